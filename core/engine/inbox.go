package engine

import (
	"context"
	"fmt"
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
	if e.log != nil && in.logged == nil {
		// Encoded here, on the submitter's goroutine: the engine's loop is
		// the server's narrowest path.
		kind, body, err := e.codec.Encode(in.Msg)
		in.logged = &logEntry{kind, body, err}
	}
	e.inbox.mu.Lock()
	e.inbox.items = append(e.inbox.items, in)
	e.inbox.mu.Unlock()
	select {
	case e.inbox.wake <- struct{}{}:
	default: // a token is already waiting
	}
}

// query is a function to run on the engine's goroutine, whether it is
// still to run, the channel closed when it has run, and the one closed
// when what it saw is committed.
type query struct {
	fn      func()
	state   atomic.Int32 // queryWaiting, queryRunning or queryDropped
	done    chan struct{}
	durable chan struct{}
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
// will, so what it writes may be read.
//
// A query shows only what is committed: fn runs at once, but Query
// returns nil only once every record handled before it is durable, like a
// command's answer (the engine does not wait for that commit: it holds the
// query and goes on). If ctx ends first, or the store fails meanwhile,
// Query returns the error: fn has run, but what it saw may still be taken
// back. While the engine waits for a commit the store cannot make, Query
// fails at once with the StoreFault.
func (e *Engine) Query(ctx context.Context, fn func()) error { return e.query(ctx, nil, fn) }

// QueryAdmitted is Query for a caller who is answered at once rather than
// kept waiting for a busy engine (an API's read): a query the engine has
// not run within its admission time (Limits) is dropped, fn never runs,
// and it returns ErrOverloaded. One it ran waits for its commit until ctx
// ends, as a command does: a commit slower than the admission time is no
// refusal.
func (e *Engine) QueryAdmitted(ctx context.Context, fn func()) error {
	admission := time.NewTimer(e.limits.Admission)
	defer admission.Stop()
	return e.query(ctx, admission.C, fn)
}

// query is Query, dropped at admission if it has not run by then (nil:
// never).
func (e *Engine) query(ctx context.Context, admission <-chan time.Time, fn func()) error {
	if e.health.waitsOnStore() {
		if f := e.StoreFault(); f != nil {
			return f
		}
	}
	q := &query{fn: fn, done: make(chan struct{}), durable: make(chan struct{})}
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
		case <-q.durable:
			return nil
		case <-admission:
			if q.state.CompareAndSwap(queryWaiting, queryDropped) {
				return fmt.Errorf("%w: it did not run the query within %s", ErrOverloaded, e.limits.Admission)
			}
		case <-stall.C:
			f := e.StoreFault()
			if f == nil || !e.health.waitsOnStore() {
				continue
			}
			if !q.state.CompareAndSwap(queryWaiting, queryDropped) {
				<-q.done // it ran, or ends soon, between two steps
			}
			return f
		case <-ctx.Done():
			if q.state.CompareAndSwap(queryWaiting, queryDropped) {
				return ctx.Err()
			}
			<-q.done // it ran, or ends soon, between two steps
			select {
			case <-q.durable:
				return nil
			default:
				return fmt.Errorf("what the query saw is not committed yet: %w", ctx.Err())
			}
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
	var failed []reply
	for _, in := range items {
		if in.answer != nil && !in.answer.take() {
			continue
		}
		if in.answer != nil && in.answer.around.Check != nil {
			if err := in.answer.around.Check(); err != nil {
				failed = append(failed, reply{in.answer, &CheckError{err}})
				continue // neither logged nor handled
			}
		}
		kept = append(kept, in)
	}
	clear(items[len(kept):])
	items = kept
	if err := e.runQueries(queries, failed); err != nil {
		return err
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
	e.snaps.commands += len(items)
	for _, in := range items {
		in.taken = true
		e.inject(in)
	}
	return nil
}

// runQueries runs the queries submitted, and holds each until what it saw
// is committed (a query shows only what is durable), with the answers of
// the commands whose check failed (which saw as much): they are answered
// with the commands' answers, as commits land (release).
func (e *Engine) runQueries(queries []*query, failed []reply) error {
	if len(queries) == 0 && len(failed) == 0 {
		return nil
	}
	c := e.committer
	var batch uint64
	if c == nil {
		// Each step commits, or the journal is in memory: durable
		// commits what is left.
		if err := e.durable(); err != nil {
			return err
		}
	} else {
		batch = e.nextBatch()
	}
	for _, q := range queries {
		if !q.state.CompareAndSwap(queryWaiting, queryRunning) {
			continue
		}
		q.fn()
		close(q.done)
		if c == nil {
			close(q.durable)
			continue
		}
		e.held = append(e.held, heldAnswer{batch: batch, q: q})
	}
	for _, r := range failed {
		if c == nil {
			r.send()
			continue
		}
		e.held = append(e.held, heldAnswer{batch: batch, r: r})
	}
	if c != nil {
		e.health.holding.Store(len(e.held) > 0)
		e.release()
	}
	return nil
}

// Serve runs the engine like Run, but does not stop when it has nothing to
// do: it waits for submitted inputs (Submit) and due timers until ctx ends,
// and returns ctx's error then, or the first error of a step.
func (e *Engine) Serve(ctx context.Context) error { return e.run(ctx, true) }

// waitOrWake waits until virtual time at is due, or (with no time, at < 0)
// for ever, unless an input is submitted first, a commit lands that held
// answers or unhanded records wait for, or the wall clock reaches flush
// (not zero: records to hand over then, beforeIdle): woke tells whether
// the wait ended early.
func (e *Engine) waitOrWake(ctx context.Context, at time.Duration, flush time.Time) (woke bool, err error) {
	if w, ok := e.clock.(Waiter); ok {
		return e.waitOrWakeOn(ctx, w, at, flush)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var submitted, flushed atomic.Bool
	// A commit landing wakes the engine to answer what waited for it, or
	// to hand over what the last hand-over left.
	var acks <-chan ack
	if c := e.committer; c != nil && c.inflight > 0 && (len(e.held) > 0 || e.unhanded()) {
		acks = c.acks
	}
	var due <-chan time.Time
	if !flush.IsZero() {
		t := time.NewTimer(time.Until(flush))
		defer t.Stop()
		due = t.C
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
		case <-due:
			flushed.Store(true)
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
	if submitted.Load() || flushed.Load() {
		return true, nil
	}
	if err == nil {
		err = ctx.Err()
	}
	return false, err
}

// waitOrWakeOn is waitOrWake on a Waiter clock: one select, on timers the
// engine keeps (wakeTimers), with no goroutine or context of its own. The
// general one (a goroutine watching for wakes, the clock's WaitUntil
// cancelled by it) cost a goroutine, a context and up to two timers each
// wait: at 500 orders a second 0.52 CPU s of the engine goroutine's 6.1
// in a 20 s run, this one 0.24.
func (e *Engine) waitOrWakeOn(ctx context.Context, w Waiter, at time.Duration, flush time.Time) (woke bool, err error) {
	var acks <-chan ack
	if c := e.committer; c != nil && c.inflight > 0 && (len(e.held) > 0 || e.unhanded()) {
		acks = c.acks
	}
	t := &e.wakeTimers
	var due <-chan time.Time
	if !flush.IsZero() {
		due = t.flush.set(time.Until(flush))
		defer t.flush.stop()
	}
	defer t.clock.stop()
	for {
		var tick <-chan time.Time
		var changed <-chan struct{}
		if at >= 0 {
			d, running, ch := w.Until(at)
			if running && d <= 0 {
				return false, ctx.Err()
			}
			if running {
				tick = t.clock.set(d)
			}
			changed = ch
		}
		select {
		case <-e.inbox.wake:
			return true, nil
		case a, ok := <-acks:
			if !ok {
				acks = nil // the committer ended: nothing more lands
				continue
			}
			return true, e.landed(a)
		case <-due:
			return true, nil
		case <-tick:
			// Due, or looked at again below if the clock moved meanwhile.
		case <-changed:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// wakeTimers are the timers waitOrWakeOn waits on, kept from one wait to
// the next.
type wakeTimers struct{ flush, clock reusedTimer }

// reusedTimer is a timer made once and set again for each wait.
type reusedTimer struct{ t *time.Timer }

// set starts the timer for d and returns its channel.
func (r *reusedTimer) set(d time.Duration) <-chan time.Time {
	if r.t == nil {
		r.t = time.NewTimer(d)
	} else {
		r.t.Reset(d) // since Go 1.23 no stale tick is left to drain
	}
	return r.t.C
}

// stop stops the timer, if set.
func (r *reusedTimer) stop() {
	if r.t != nil {
		r.t.Stop()
	}
}

// Pending counts the inputs waiting, timers included. Like all engine
// state, read it on the engine's goroutine (in a Query).
func (e *Engine) Pending() int { return e.queue.len() + e.due.len() }
