package store

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky is a batch journal in memory whose next commit fails while fail is
// set.
type flaky struct {
	*Memory
	fail bool
}

func (f *flaky) Commit(records []Record, inputs []Input) error {
	if f.fail {
		return errors.New("disk full")
	}
	return f.Memory.Commit(records, inputs)
}

// A replay's commit that fails is given again whole: the records it
// checked against the journal are checked again, not taken for new ones,
// and the new ones are committed once (docs/architecture.md §7: a replay checks
// each record against the journal).
func TestResumedCommitGivenAgain(t *testing.T) {
	done := []Record{{Entity: "PO-1"}, {Entity: "PO-2"}}
	j := &flaky{Memory: NewMemory()}
	r := Resume(j, done)
	replayed := []Record{{Entity: "PO-1"}, {Entity: "PO-2"}, {Entity: "PO-3"}}
	j.fail = true
	require.Error(t, r.Commit(replayed, nil))
	assert.False(t, r.Caught(), "nothing counts as checked before the commit succeeds")
	j.fail = false
	require.NoError(t, r.Commit(replayed, []Input{{Kind: "x"}}))
	assert.True(t, r.Caught())
	assert.Equal(t, []Record{{Entity: "PO-3"}}, j.Records(), "only the new record, once")
	assert.Len(t, j.Inputs(), 1)

	_, err := Resume(NewMemory(), done).skip([]Record{{Entity: "PO-9"}})
	assert.ErrorContains(t, err, "replay diverged at record 1")
}
