package peer

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// got keeps what reaches the component.
type got struct{ msgs []any }

func (g *got) Handle(_ time.Duration, msg any, _ *engine.Out) { g.msgs = append(g.msgs, msg) }

// A stream's messages reach their component once each and in order: a
// message sent again is dropped (answered "had it"), one that skips a
// number is refused; streams are numbered apart.
func TestInboxOncePerMessageInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine.New(engine.Options{})
		com := &got{}
		e.Handle(engine.COM, com)
		e.Handle(engine.Peers, NewInbox())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		deliver := func(from string, seq uint64, msg string) any {
			r, err := e.Command(ctx, engine.Peers, Delivery{From: from, Seq: seq, To: engine.COM, Msg: msg})
			require.NoError(t, err)
			return r
		}
		assert.Equal(t, Taken(true), deliver("som→com", 1, "a"))
		assert.Equal(t, Taken(true), deliver("som→com", 2, "b"))
		assert.Equal(t, Taken(false), deliver("som→com", 1, "a"), "sent again after a restart")
		assert.Equal(t, Taken(false), deliver("som→com", 2, "b"))
		gap, isErr := deliver("som→com", 4, "d").(error)
		require.True(t, isErr, "a gap is refused")
		assert.ErrorContains(t, gap, "message 4 came before 3")
		assert.Equal(t, Taken(true), deliver("rom→com", 1, "x"), "another stream counts apart")
		assert.Equal(t, Taken(true), deliver("som→com", 3, "c"))
		synctest.Wait()
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, []any{"a", "b", "x", "c"}, com.msgs)
	})
}
