package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A PostgreSQL keyword=value connection string given as a store is
// refused, naming it, and makes no file; a file whose name holds an
// equals sign is a file.
func TestOpenRefusesAConnectionString(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	for _, dsn := range []string{"host=db1 dbname=orders user=ot", " dbname=orders", "user=ot"} {
		_, err := Open(dsn, Options{})
		require.Error(t, err, dsn)
		assert.Contains(t, err.Error(), "PostgreSQL connection string")
		assert.Contains(t, err.Error(), "postgres://")
		_, err = Hold(dsn)
		require.Error(t, err, dsn)
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "a refused name makes no file")

	s, err := Open(filepath.Join(tmp, "run=1.db"), Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
