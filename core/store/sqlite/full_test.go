package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A commit on a full store (SQLite's own "database or disk is full", the
// error of a full disk, here by capping the file's size) fails whole and
// keeps nothing; given again once there is room, it is committed once,
// and it is there after the file is opened again.
func TestCommitOnAFullStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Commit(batch(0, 5), []store.Input{{Kind: "a", Body: []byte("first")}}))
	size, err := sqlite.Size(s)
	require.NoError(t, err)
	require.NoError(t, sqlite.SetMaxSize(s, size))

	records, inputs := batch(5, 400), []store.Input{{Kind: "b", Body: []byte("second")}}
	for range 3 {
		err = s.Commit(records, inputs)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "database or disk is full")
	}
	assert.Equal(t, 5, s.Len())
	got, err := s.Records()
	require.NoError(t, err)
	assert.Equal(t, batch(0, 5), got, "nothing of the failed commits is kept")

	require.NoError(t, sqlite.SetMaxSize(s, 0)) // space comes back
	require.NoError(t, s.Commit(records, inputs))
	require.NoError(t, s.Close())

	s, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	got, err = s.Records()
	require.NoError(t, err)
	assert.Equal(t, append(batch(0, 5), records...), got)
	in, err := s.Inputs()
	require.NoError(t, err)
	require.Len(t, in, 2)
	assert.Equal(t, "b", in[1].Kind)
}

// A commit whose end failed but which reached the file all the same is not
// written again when it is given again: its records and inputs are there
// once.
func TestCommitGivenAgainAfterALostAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records []store.Record
		inputs  []store.Input
	}{
		{"records and inputs", batch(3, 4), []store.Input{{Kind: "b", Body: []byte("x")}}},
		{"inputs only", nil, []store.Input{{Kind: "b", Body: []byte("x")}, {Kind: "c", Body: []byte("y")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "journal.db"), sqlite.Options{})
			require.NoError(t, err)
			defer s.Close()
			require.NoError(t, s.Commit(batch(0, 3), []store.Input{{Kind: "a", Body: []byte("a")}}))
			require.NoError(t, s.Commit(tc.records, tc.inputs))
			sqlite.LoseAck(s, len(tc.records), len(tc.inputs))
			require.NoError(t, s.Commit(tc.records, tc.inputs))
			got, err := s.Records()
			require.NoError(t, err)
			assert.Equal(t, append(batch(0, 3), tc.records...), got)
			assert.Equal(t, 3+len(tc.records), s.Len())
			in, err := s.Inputs()
			require.NoError(t, err)
			assert.Len(t, in, 1+len(tc.inputs))
			// And the next commit goes on from there.
			require.NoError(t, s.Commit(batch(7, 1), nil))
			assert.Equal(t, 4+len(tc.records), s.Len())
		})
	}
}

// The write probe succeeds on a store that can write, and fails on one
// that cannot (here: closed).
func TestProbe(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "journal.db"), sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Probe())
	at, ok, err := s.Meta("probe")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.NotEmpty(t, at)
	require.NoError(t, s.Close())
	assert.Error(t, s.Probe())
}
