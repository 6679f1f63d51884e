package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gated is a journal whose commits wait until open is closed, and which
// counts them.
type gated struct {
	mem     *store.Memory
	open    chan struct{}
	commits int
}

func (g *gated) Append(records []store.Record) error {
	<-g.open
	g.commits++
	return g.mem.Append(records)
}

// An engine behind its wall clock does not wait for its commits between
// instants (docs/architecture.md §2, Group commit): it hands a batch to
// the committer and goes on, and the records of the instants it handles
// while that batch commits group into the next. Here the first commit
// cannot end before the last instant is handled: an engine that waited
// for it would never get there.
func TestBehindNoWait(t *testing.T) {
	const instants = 1000
	g := &gated{mem: store.NewMemory(), open: make(chan struct{})}
	clock := &present{at: instants * time.Hour} // every input is due already
	e := New(Options{Clock: clock, Store: g})
	e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
		out.Record(store.Record{Kind: "order", Entity: "o", To: "done"})
		if now == instants*time.Minute {
			close(g.open)
		}
	}})
	for i := 1; i <= instants; i++ {
		e.Inject(time.Duration(i)*time.Minute, COM, i)
	}
	done := make(chan error, 1)
	go func() { done <- e.Run(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the engine waited for a commit between two instants it was behind on")
	}
	assert.Equal(t, 2, g.commits, "one batch while the engine ran behind, the rest when it stopped")
	assert.Len(t, g.mem.Records(), instants)
}
