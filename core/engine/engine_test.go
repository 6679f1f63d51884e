package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a handler that logs what it sees and can schedule more.
type recorder struct {
	log  *[]string
	then func(now time.Duration, msg any, out *Out)
}

func (r recorder) Handle(now time.Duration, msg any, out *Out) {
	*r.log = append(*r.log, fmt.Sprintf("%s %v", now, msg))
	if r.then != nil {
		r.then(now, msg, out)
	}
}

// Inputs are taken strictly in (time, sequence) order, including messages
// sent for the current instant (docs/architecture.md §2).
func TestOrder(t *testing.T) {
	var log []string
	e := New(Options{})
	e.Handle(COM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
		if msg == "a" {
			out.Send(SOM, 0, "a-now")
			out.Send(SOM, time.Hour, "a-later")
		}
	}})
	e.Handle(SOM, recorder{log: &log})
	e.Inject(2*time.Hour, COM, "c")
	e.Inject(0, COM, "a")
	e.Inject(0, SOM, "b")
	e.Inject(time.Hour, COM, "d")
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, []string{"0s a", "0s b", "0s a-now", "1h0m0s d", "1h0m0s a-later", "2h0m0s c"}, log)
	assert.Equal(t, 2*time.Hour, e.Now())
	assert.EqualValues(t, 6, e.Processed())
}

// failing is a journal whose commits fail.
type failing struct{ err error }

func (f failing) Append([]store.Record) error { return f.err }

// countingAdapter counts the calls it got.
type countingAdapter struct {
	calls int
	// inProcess: it answers on the engine's clock, from inside Call.
	inProcess bool
}

func (a *countingAdapter) InProcess() bool { return a.inProcess }

func (a *countingAdapter) Call(now time.Duration, req *port.Request, reply port.Replier) {
	a.calls++
	reply.Reply(now+time.Minute, &port.Result{Key: req.Key, Final: true})
}

// The outbox rule: nothing is dispatched when the journal commit fails.
func TestOutboxRule(t *testing.T) {
	var log []string
	boom := errors.New("disk full")
	e := New(Options{Store: failing{boom}})
	a := &countingAdapter{}
	e.Attach(a, port.Access)
	e.Handle(ROM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
		out.Record(store.Record{Kind: "x", Entity: "ROI-001", To: "inProgress"})
		out.Call(port.Request{Key: "ROI-001/reserve/1", System: port.Access, Op: port.Reserve})
		out.Send(SOM, 0, "event")
	}})
	seen := 0
	e.Observe(func(store.Record) { seen++ })
	e.Inject(0, ROM, "go")
	err := e.Run(context.Background())
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 0, a.calls, "no adapter call before the commit")
	assert.Equal(t, 0, seen, "no event before the commit")
	assert.Equal(t, []string{"0s go"}, log, "the message to SOM was not sent")
}

// Records reach the store before observers, and adapter answers come back
// to the caller on the virtual clock.
func TestCommitThenDispatch(t *testing.T) {
	mem := store.NewMemory()
	e := New(Options{Store: mem})
	a := &countingAdapter{inProcess: true}
	e.Attach(a, port.Access)
	var log []string
	e.Handle(ROM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
		if msg == "go" {
			out.Record(store.Record{Kind: "x", Entity: "ROI-001", To: "inProgress"})
			out.Call(port.Request{Key: "k", System: port.Access, Op: port.Reserve})
		}
	}})
	e.Observe(func(r store.Record) {
		assert.Len(t, mem.Records(), 1, "observed after commit")
		assert.Equal(t, "ROM", r.System)
	})
	e.Inject(0, ROM, "go")
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, 1, a.calls)
	require.Len(t, log, 2)
	assert.Contains(t, log[1], "1m0s")
	assert.Equal(t, 1, mem.Commits())
}

// durable is a journal the engine takes for a durable one: it groups its
// commits.
type durable struct{ *store.Memory }

// Group commit: records wait for one commit across steps, up to
// CommitEvery; the rest is committed when the run ends. The in-memory
// journal takes each step's records as they come (nothing to gain).
func TestGroupCommit(t *testing.T) {
	for _, tc := range []struct {
		every, commits int
		memory         bool
	}{{4, 3, false}, {0, 1, false}, {0, 10, true}} {
		mem := store.NewMemory()
		var j store.Journal = durable{mem}
		if tc.memory {
			j = mem
		}
		e := New(Options{Store: j, Batch: 2, CommitEvery: tc.every})
		e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
			out.Record(store.Record{Kind: "x", Entity: fmt.Sprint(msg)})
		}})
		for i := range 10 {
			e.Inject(time.Duration(i), COM, i)
		}
		require.NoError(t, e.Run(context.Background()))
		assert.Len(t, mem.Records(), 10)
		assert.Equal(t, tc.commits, mem.Commits(), "CommitEvery %d, in memory %v", tc.every, tc.memory)
	}
}

// An adapter outside the process is called only once the journal of the
// step that calls it is committed (the outbox rule); an InProcess one may
// be called before.
func TestOutboxBeforeExternalCall(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		mem := store.NewMemory()
		e := New(Options{Store: durable{mem}})
		e.Handle(ROM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
			if _, ok := msg.(string); !ok {
				return // the call's deadline: no answer came
			}
			out.Record(store.Record{Kind: "x", Entity: "reserve"})
			out.Call(port.Request{Key: "k", System: port.NMS, Op: port.Reserve})
		}})
		seen := -1
		e.Attach(&probe{inProcess: inProcess, call: func() { seen = mem.Len() }}, port.NMS)
		e.Inject(0, ROM, "x")
		require.NoError(t, e.Run(context.Background()))
		if inProcess {
			assert.Equal(t, 0, seen, "the twin may be told before the commit")
		} else {
			assert.Equal(t, 1, seen, "an outside system sees only what is durable")
		}
	}
}

// probe is an adapter that answers nothing and notes when it is called.
type probe struct {
	inProcess bool
	call      func()
}

func (p *probe) Call(time.Duration, *port.Request, port.Replier) { p.call() }
func (p *probe) InProcess() bool                                 { return p.inProcess }

// Each component's random stream depends only on the seed and its name.
func TestRandStreams(t *testing.T) {
	a, b := NewRand(7, "twin.access"), NewRand(7, "twin.access")
	c := NewRand(7, "twin.logistics")
	for range 10 {
		x := a.Uint64()
		assert.Equal(t, x, b.Uint64())
		assert.NotEqual(t, x, c.Uint64())
	}
}

// The wall clock waits for due inputs, scaled, and gives up when the
// context ends.
func TestWallClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := &Wall{Start: start, Scale: 24} // a virtual day per real hour
		require.NoError(t, w.WaitUntil(context.Background(), 48*time.Hour))
		assert.Equal(t, 2*time.Hour, time.Since(start))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		assert.ErrorIs(t, w.WaitUntil(ctx, 1000*time.Hour), context.DeadlineExceeded)
	})
}

// A run on the wall clock takes the inputs when they are due.
func TestRunOnWallClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var seen []time.Duration
		e := New(Options{Clock: &Wall{Start: start, Scale: 60}})
		e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
			seen = append(seen, time.Since(start))
		}})
		e.Inject(time.Hour, COM, "a")
		e.Inject(3*time.Hour, COM, "b")
		require.NoError(t, e.Run(context.Background()))
		assert.Equal(t, []time.Duration{time.Minute, 3 * time.Minute}, seen)
	})
}
