package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// inbox takes inputs from other goroutines (API handlers, adapters that
// answer from their own goroutines) for a serving engine.
type inbox struct {
	mu      sync.Mutex
	items   []Input
	queries []*query
	// wake holds a token when items may be waiting.
	wake chan struct{}
}

// Submit hands an input to the engine from any goroutine. The engine takes
// it at its clock's present, or with its first input overdue when it is
// behind (never before its own time: see taking), after the step it
// is in, in the order inputs were submitted. Submit does not wait for the
// input to be handled; only a serving engine (Serve) takes inputs while it
// waits.
func (e *Engine) Submit(to Address, msg any) { e.submit(Input{To: to, Msg: msg}) }

func (e *Engine) submit(in Input) {
	e.inbox.mu.Lock()
	e.inbox.items = append(e.inbox.items, in)
	e.inbox.mu.Unlock()
	select {
	case e.inbox.wake <- struct{}{}:
	default: // a token is already waiting
	}
}

// query is a function to run on the engine's goroutine, whether it is
// still to run, and the channel closed when it has run.
type query struct {
	fn    func()
	state atomic.Int32 // queryWaiting, queryRunning or queryDropped
	done  chan struct{}
}

const (
	queryWaiting = iota
	queryRunning
	queryDropped
)

// Query runs fn on a serving engine's goroutine, between two steps, and
// waits for it: the way for other goroutines (an API handler, a metrics
// scrape) to read the state the handlers own. fn must copy what it needs
// and keep no reference to that state. Query fails when ctx ends before fn
// starts, and fn then never runs: when Query returns, fn has run or never
// will, so what it writes may be read. A query shows only what is
// committed: while the engine waits for a commit the store cannot make,
// Query fails at once with the StoreFault.
func (e *Engine) Query(ctx context.Context, fn func()) error {
	if e.health.waitsOnStore() {
		if f := e.StoreFault(); f != nil {
			return f
		}
	}
	q := &query{fn: fn, done: make(chan struct{})}
	e.inbox.mu.Lock()
	e.inbox.queries = append(e.inbox.queries, q)
	e.inbox.mu.Unlock()
	select {
	case e.inbox.wake <- struct{}{}:
	default:
	}
	// An engine that stalls on a store that cannot write while the query
	// waits answers it with that fault at once, not at the deadline.
	stall := time.NewTicker(stallCheck)
	defer stall.Stop()
	for {
		select {
		case <-q.done:
			return nil
		case <-stall.C:
			f := e.StoreFault()
			if f == nil || !e.health.waitsOnStore() || !q.state.CompareAndSwap(queryWaiting, queryDropped) {
				continue
			}
			return f
		case <-ctx.Done():
			if q.state.CompareAndSwap(queryWaiting, queryDropped) {
				return ctx.Err()
			}
			<-q.done // it started: it ends soon, between two steps
			return nil
		}
	}
}

// stallCheck is how often a waiting query looks whether the engine has
// stalled on its store.
const stallCheck = 50 * time.Millisecond

// Presenter is a clock that follows real time: Present is the virtual time
// now. Inputs submitted to a serving engine are taken at that time.
type Presenter interface {
	Present() time.Duration
}

// Present is the virtual time now on the wall clock.
func (w *Wall) Present() time.Duration {
	scale := w.Scale
	if scale <= 0 {
		scale = 1
	}
	return time.Duration(float64(time.Since(w.Start)) * scale)
}

// takeInbox runs the queries waiting, then logs the submitted inputs and
// queues them at the present.
func (e *Engine) takeInbox() error {
	e.inbox.mu.Lock()
	items, queries := e.inbox.items, e.inbox.queries
	e.inbox.items, e.inbox.queries = nil, nil
	e.inbox.mu.Unlock()
	// A command whose caller stopped waiting before now is never handled.
	kept := items[:0]
	for _, in := range items {
		if in.answer == nil || in.answer.take() {
			kept = append(kept, in)
		}
	}
	clear(items[len(kept):])
	items = kept
	if len(queries) > 0 {
		// A query shows only what is durable.
		if err := e.durable(); err != nil {
			return err
		}
	}
	for _, q := range queries {
		if q.state.CompareAndSwap(queryWaiting, queryRunning) {
			q.fn()
			close(q.done)
		}
	}
	if len(items) == 0 {
		return nil
	}
	at := e.taking()
	for i := range items {
		items[i].At = at
	}
	items, err := e.logInputs(items)
	if err != nil {
		return err
	}
	e.taken += len(items)
	for _, in := range items {
		in.taken = true
		e.inject(in)
	}
	return nil
}

// Serve runs the engine like Run, but does not stop when it has nothing to
// do: it waits for submitted inputs (Submit) and due timers until ctx ends,
// and returns ctx's error then, or the first error of a step.
func (e *Engine) Serve(ctx context.Context) error { return e.run(ctx, true) }

// waitOrWake waits until virtual time at is due, or (with no time, at < 0)
// for ever, unless an input is submitted first: woke tells which.
func (e *Engine) waitOrWake(ctx context.Context, at time.Duration) (woke bool, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var submitted atomic.Bool
	// Commands answered once their commit lands: it wakes the engine too.
	var acks <-chan ack
	if c := e.committer; c != nil && c.inflight > 0 && len(e.held) > 0 {
		acks = c.acks
	}
	var landed *ack
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-e.inbox.wake:
			submitted.Store(true)
			cancel()
		case a, ok := <-acks:
			if ok {
				landed = &a
			}
			cancel()
		case <-wctx.Done():
		}
	}()
	if at < 0 {
		<-wctx.Done()
	} else {
		err = e.clock.WaitUntil(wctx, at)
	}
	cancel()
	// Join the watcher: a wake token it took must not be lost, or a
	// submission could wait for ever.
	<-exited
	if landed != nil {
		return true, e.landed(*landed)
	}
	if submitted.Load() {
		return true, nil
	}
	if err == nil {
		err = ctx.Err()
	}
	return false, err
}

// Pending counts the inputs waiting, timers included. Like all engine
// state, read it on the engine's goroutine (in a Query).
func (e *Engine) Pending() int { return e.queue.len() + e.due.len() }
