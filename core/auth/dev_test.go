package auth

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Servers starting together on one store (the instances of a deployment)
// agree on one development issuer's key: one makes it, the others read
// it, none fails, and no half-written file is left or read.
func TestDevKeyMadeOnceByServersStartingTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.issuer.pem")
	const servers = 8
	keys, made, errs := make([][]byte, servers), make([]bool, servers), make([]error, servers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range servers {
		wg.Go(func() {
			<-start
			k, created, err := LoadOrCreateDevKey(path)
			keys[i], made[i], errs[i] = k, created, err
		})
	}
	close(start)
	wg.Wait()
	n := 0
	for i := range servers {
		require.NoError(t, errs[i], "server %d", i)
		assert.Equal(t, keys[0], keys[i], "server %d has another key", i)
		if made[i] {
			n++
		}
	}
	assert.Equal(t, 1, n, "one made it")
	files, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, files, 1, "the key alone, no file half-written beside it")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}
