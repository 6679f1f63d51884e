package engine

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedRecords are the refusal records of a journal.
func refusedRecords(records []store.Record) []store.Record {
	var out []store.Record
	for _, r := range records {
		if r.Kind == Refused {
			out = append(out, r)
		}
	}
	return out
}

// An input its handler cannot apply is refused, not a stop: what handling
// it yielded before the refusal (a record, a message, an adapter call) is
// taken back, the journal holds one refusal record naming the input's
// kind, the component and the reason, and the engine takes the next input
// (docs/architecture.md §8: no input, however malformed, stops the engine).
func TestRefusedInputChangesNothing(t *testing.T) {
	set := lifecycle.NewSet()
	mem := store.NewMemory()
	a := &countingAdapter{}
	e := New(Options{Store: mem})
	e.Attach(a, port.Access)
	var log []string
	e.Handle(SOM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
		switch msg {
		case "poison":
			out.Record(store.Record{Kind: "serviceOrder", Entity: "SO-001", To: "inProgress"})
			out.Send(SOM, time.Hour, "later")
			out.Call(port.Request{Key: "k", System: port.Access, Op: port.Reserve})
			out.Reply("never seen")
			state := lifecycle.Completed
			out.Fire(set, lifecycle.ServiceOrder, "SO-001", "SO-PILOT", &state, lifecycle.Start, "", "SOM")
			assert.Equal(t, lifecycle.Completed, state, "an illegal event changes no state")
		case "fine":
			out.Record(store.Record{Kind: "serviceOrder", Entity: "SO-002", To: "acknowledged"})
		}
	}})
	e.Inject(0, SOM, "poison")
	e.Inject(time.Minute, SOM, "fine")
	require.NoError(t, e.Run(context.Background()))

	assert.Equal(t, []string{"0s poison", "1m0s fine"}, log, "the message sent by the refused input never came")
	assert.Zero(t, a.calls, "the refused input's call was not made")
	records := mem.Records()
	require.Len(t, records, 2)
	r := records[0]
	assert.Equal(t, Refused, r.Kind)
	assert.Equal(t, "string", r.Entity, "the input's kind")
	assert.Equal(t, "SOM", r.System, "the component that refused it")
	assert.Contains(t, r.Reason, "SO-001")
	assert.Contains(t, r.Reason, `"completed"`)
	assert.Contains(t, r.Reason, `"start"`)
	assert.Equal(t, "SO-002", records[1].Entity, "the engine carried on")
	assert.Equal(t, uint64(1), e.Refusals())
}

// An input for a component this engine does not run, a call to a system
// no adapter serves and a handler that panics are refusals of the input
// too: each is journalled with its reason.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		to     Address
		then   func(now time.Duration, msg any, out *Out)
		reason string
	}{
		{"no component", ROM, nil, "no component ROM here"},
		{"no adapter", SOM, func(now time.Duration, msg any, out *Out) {
			out.Call(port.Request{Key: "k", System: port.NMS, Op: port.Reserve})
		}, `call reserve k: no adapter for system "nms"`},
		{"panic", SOM, func(now time.Duration, msg any, out *Out) {
			var items []int
			_ = items[len(msg.(string))]
		}, "panic in github.com/ordertwin/ordertwin/core/engine.TestRefusals.func"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := store.NewMemory()
			e := New(Options{Store: mem})
			e.Handle(SOM, recorder{log: new([]string), then: tc.then})
			e.Inject(0, tc.to, "x")
			require.NoError(t, e.Run(context.Background()))
			records := mem.Records()
			require.Len(t, records, 1)
			assert.Equal(t, Refused, records[0].Kind)
			assert.Equal(t, tc.to.String(), records[0].System)
			assert.Contains(t, records[0].Reason, tc.reason)
		})
	}
}

// picky is the counter of replay_test.go, but it refuses an order with no
// name after counting it (a half-done change that must not survive).
type picky struct{ counter }

func (p *picky) Handle(now time.Duration, msg any, out *Out) {
	if o, ok := msg.(order); ok && o.Name == "" {
		out.Error(errors.New("an order needs a name"))
		return
	}
	p.counter.Handle(now, msg, out)
}

// A refused command is answered with the refusal (ErrRefused, the reason
// given), journalled as refused, and the engine serves on; a restarted
// engine replays the logged command to the same refusal, checked against
// the journal like every record, and reaches the same state.
func TestRefusedCommandReplays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec := NewCodec(order{})
		mem := store.NewMemory()
		start := time.Now()
		first := &picky{}
		e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: mem, Log: mem, Codec: codec})
		e.Handle(COM, first)
		stop := serve(t, e)

		got, err := e.Command(context.Background(), COM, order{"a"})
		require.NoError(t, err)
		assert.Equal(t, "a-1", got)
		got, err = e.Command(context.Background(), COM, order{""})
		require.ErrorIs(t, err, ErrRefused)
		assert.Nil(t, got)
		var refusal *Refusal
		require.ErrorAs(t, err, &refusal)
		assert.Equal(t, COM, refusal.To)
		assert.Equal(t, "engine.order", refusal.Kind)
		assert.EqualError(t, err, "COM refused engine.order: an order needs a name")
		got, err = e.Command(context.Background(), COM, order{"b"})
		require.NoError(t, err, "the engine serves on")
		assert.Equal(t, "b-2", got)
		synctest.Wait()
		stop()

		held := mem.Records()
		refused := refusedRecords(held)
		require.Len(t, refused, 1)
		assert.Equal(t, store.Record{Kind: Refused, Entity: "engine.order", System: "COM", To: Refused, Event: "refuse",
			Reason: "an order needs a name"}, refused[0])
		logged := mem.Inputs()
		require.Len(t, logged, 3, "the refused command is in the input log")

		// Restart: the replay meets the refused command again, refuses it
		// the same way, and does not stop.
		again := &picky{}
		resumed := store.Resume(mem, held)
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Log: mem, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		assert.True(t, resumed.Caught())
		assert.Equal(t, first.n, again.n)
		assert.Equal(t, uint64(1), r.Refusals())
		assert.Equal(t, len(held), mem.Len(), "the replay committed nothing twice")
	})
}

// A replayed refusal that the journal does not hold where the replay
// reaches it is a divergence like any other record.
func TestReplayedRefusalChecked(t *testing.T) {
	mem := store.NewMemory()
	require.NoError(t, mem.Append([]store.Record{{Kind: "order", Entity: "x-1", To: "acknowledged"}}))
	codec := NewCodec(order{})
	kind, body, err := codec.Encode(order{""})
	require.NoError(t, err)
	resumed := store.Resume(mem, mem.Records())
	e := New(Options{Store: resumed, Codec: codec})
	e.Handle(COM, &picky{})
	err = e.Replay(context.Background(), []store.Input{{Kind: kind, Body: body, To: uint8(COM)}}, resumed.Caught)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replay diverged at record 1")
	assert.Contains(t, err.Error(), "an order needs a name")
}
