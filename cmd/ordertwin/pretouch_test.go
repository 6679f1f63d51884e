package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "4096": 4096, "64KiB": 64 << 10, "512MiB": 512 << 20, "2GiB": 2 << 30} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "512MB", "1.5GiB", "MiB", "12 MiB", "99999999999GiB"} {
		_, err := parseBytes(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "want a size such as 512MiB", in)
	}
}

// A bad --pretouch is refused before anything is written.
func TestServeRefusesABadPretouch(t *testing.T) {
	dir := t.TempDir()
	err := dispatch(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "p.db"), "--pretouch", "lots"}, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `serve: --pretouch "lots": want a size such as 512MiB`)
	assert.NoFileExists(t, filepath.Join(dir, "p.db"))
}
