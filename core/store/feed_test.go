package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// records returns n records numbered from k+1, some long enough to start
// new chunks of the memory journal.
func records(k, n int) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{Kind: "resourceOrderItem", Entity: fmt.Sprintf("ROI-%d", k+i+1), To: "completed",
			Reason: strings.Repeat("r", (k+i)%5*2000)}
	}
	return out
}

func seqs(es []Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// The feed hands the records after any seq, numbered from 1 in commit
// order: from its window while a subscriber keeps one, from the store
// behind it, the same records either way (docs/architecture.md §7).
func TestFeedAfter(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	m.feed = NewFeed(0, 8, m.after) // a small window, to read behind it
	f := m.Feed()
	got, err := f.After(ctx, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing committed")
	_, err = f.After(ctx, 0, 0)
	assert.ErrorContains(t, err, "limit 0")

	require.NoError(t, m.Append(records(0, 5)))
	assert.Nil(t, f.ring, "no subscriber: no window")
	got, err = f.After(ctx, 2, 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{3, 4, 5}, seqs(got), "read from the store")
	assert.Equal(t, "ROI-3", got[0].Entity)

	sub := f.Subscribe()
	select {
	case <-sub.C():
		t.Fatal("a signal before any commit")
	default:
	}
	for k := 5; k < 40; k += 7 {
		require.NoError(t, m.Append(records(k, 7)))
	}
	require.NoError(t, m.Append(nil))
	assert.EqualValues(t, 40, f.Last())
	select {
	case <-sub.C():
	default:
		t.Fatal("no signal after a commit")
	}
	all := m.Records()
	for after := int64(0); after <= 40; after++ {
		got, err := f.After(ctx, after, 6)
		require.NoError(t, err)
		want := min(6, 40-int(after))
		require.Len(t, got, want, "after %d", after)
		for i, e := range got {
			assert.Equal(t, after+int64(i)+1, e.Seq)
			assert.Equal(t, all[e.Seq-1], e.Record, "record %d", e.Seq)
		}
	}
	all2, err := m.after(ctx, 0, -1)
	require.NoError(t, err)
	assert.Len(t, all2, 40)
	sub.Close()
	assert.Nil(t, f.ring, "the last subscriber gone, the window goes")
}

// A watcher is told each commit's records with their seqs, once the
// store has them, in commit order; a commit out of order is a broken
// store, not a silent gap.
func TestFeedWatch(t *testing.T) {
	m := NewMemory()
	var told [][]int64
	m.Feed().Watch(func(first int64, rs []Record) {
		last := first + int64(len(rs)) - 1
		assert.Equal(t, int(last), m.n, "told after the store has it")
		var commit []int64
		for seq := first; seq <= last; seq++ {
			commit = append(commit, seq)
		}
		told = append(told, commit)
	})
	require.NoError(t, m.Append(records(0, 2)))
	require.NoError(t, m.Commit(records(2, 1), []Input{{Kind: "x"}}))
	assert.Equal(t, [][]int64{{1, 2}, {3}}, told)
	assert.Panics(t, func() { m.Feed().Publish(7, records(0, 1)) })
}

// A journal resumed has the feed of the journal it wraps; a journal
// without one has none.
func TestFeedOf(t *testing.T) {
	m := NewMemory()
	f, ok := FeedOf(Resume(m, nil))
	require.True(t, ok)
	assert.Same(t, m.Feed(), f)
	_, ok = FeedOf(noFeed{})
	assert.False(t, ok)
}

type noFeed struct{}

func (noFeed) Append([]Record) error { return nil }
