package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// batch is what one journal commit takes.
type batch struct {
	records []store.Record
	inputs  []store.Input
	// docs are read models to shelve first.
	docs []store.Doc
}

type ack struct {
	b   batch
	err error
}

// committer commits journal batches on a goroutine of its own while the
// engine handles the next inputs (a pipelined group commit): a run on the
// durable store keeps one core on the engine and one on the database. At
// most one batch waits while one commits; batches commit in order. The
// engine waits for them (sync) whenever something outside the process is
// about to see the effects of what they hold.
//
// On a serving engine, a commit that fails (a full disk) is retried, the
// same batch, until it succeeds (Engine.retry): the steps it holds are
// handled already, and their effects (answers, calls, messages out of the
// process) wait for it like for any commit; they are neither lost nor
// handled again. Meanwhile
// StoreFault says why, and commands are refused at once. Only when the
// engine stops does the committer give up: the batch, and every later
// one, is then not committed, and the engine's run ends with the error;
// nothing of them was answered or left the process.
type committer struct {
	// handedN counts the batches handed over, ackedN those committed.
	handedN, ackedN uint64
	work            chan batch
	acks            chan ack
	inflight        int
	// flying are the read models of the batches handed over and not yet
	// committed, oldest first (readShelf reads them before the store).
	flying [][]store.Doc
	free   []batch
	err    error
	// handed is when the engine last handed a batch over.
	handed time.Time
}

// startCommitter starts committing on a goroutine of its own, until
// stopCommitter. For a serving engine (serve), it first checks that the
// store can write (store.Prober), and it retries a failed commit or probe
// until ctx ends (Engine.retry); a run stops at the first failure.
func (e *Engine) startCommitter(ctx context.Context, serve bool) {
	c := &committer{work: make(chan batch, 1), acks: make(chan ack, 2)}
	attempt := func(write func() error) error {
		if serve {
			return e.retry(ctx, write)
		}
		return write()
	}
	// The first probe is made here, before the engine takes any input: a
	// query answered by a serving engine comes after it.
	var probe func() error
	if p, ok := e.store.(store.Prober); ok && serve {
		if err := p.Probe(); err != nil {
			e.health.failed(err)
			probe = p.Probe
		}
	}
	go func() {
		defer close(c.acks)
		var failed error
		if probe != nil {
			failed = attempt(probe)
		}
		for b := range c.work {
			if failed == nil {
				failed = attempt(func() error {
					e.health.committing.Store(time.Now().UnixNano())
					defer e.health.committing.Store(0)
					return e.write(b)
				})
			}
			c.acks <- ack{b, failed}
		}
	}()
	e.committer = c
}

// stopCommitter waits for the batches handed over and ends the goroutine.
func (e *Engine) stopCommitter() error {
	c := e.committer
	if c == nil {
		return nil
	}
	err := e.sync()
	close(c.work)
	for range c.acks {
	}
	e.committer = nil
	return err
}

// write commits one batch: the records, with the inputs when the journal
// keeps them.
func (e *Engine) write(b batch) error {
	if len(b.docs) > 0 && !e.shelvedBefore(b) {
		if e.shelf == nil {
			return fmt.Errorf("commit journal: %d read models to shelve, but the store keeps none", len(b.docs))
		}
		docs := b.docs
		if _, ok := e.shelf.(store.HeadShelf); !ok {
			docs = store.Joined(docs)
		}
		if err := e.shelf.Shelve(docs); err != nil {
			return fmt.Errorf("commit journal: %w", err)
		}
	}
	var err error
	if e.batch != nil {
		err = e.batch.Commit(b.records, b.inputs)
	} else {
		err = e.store.Append(b.records)
	}
	if err != nil {
		return fmt.Errorf("commit journal: %w", err)
	}
	return nil
}

// shelvedBefore tells whether a replayed batch's read models are on the
// shelf already: the journal holds its records (store.Ahead), which were
// committed after their step's read models were shelved (write). A
// replay then writes nothing: a restart on a full disk replays, and is
// not ready until it can write, instead of failing.
func (e *Engine) shelvedBefore(b batch) bool {
	ahead, ok := e.store.(store.Ahead)
	if !e.replaying || !ok || len(b.records) == 0 {
		return false
	}
	_, held := ahead.Ahead(len(b.records) - 1)
	return held
}

// commit hands the records handled so far (and the inputs taken) to the
// journal: to the committer when one runs, else at once. Use durable when
// the caller needs them committed on return.
func (e *Engine) commit() error {
	c := e.committer
	if c != nil && c.err != nil {
		return c.err
	}
	if !e.unhanded() {
		return nil
	}
	b := batch{records: e.unsaved, inputs: e.inputs, docs: e.shelving}
	e.recorded += uint64(len(b.records))
	if c == nil {
		err := e.write(b)
		clear(e.unsaved)
		clear(e.inputs)
		clear(e.shelving)
		e.unsaved, e.inputs, e.shelving = e.unsaved[:0], e.inputs[:0], e.shelving[:0]
		return err
	}
	c.take(false)
	c.inflight++
	c.handedN++
	if len(b.docs) > 0 {
		c.flying = append(c.flying, b.docs)
	}
	c.handed = time.Now()
	select {
	case c.work <- b:
	default:
		// The committer is behind, or retrying a failed commit.
		was := e.health.stalled.Swap(true)
		c.work <- b
		e.health.stalled.Store(was)
	}
	e.unsaved, e.inputs, e.shelving = nil, nil, nil
	if n := len(c.free); n > 0 {
		e.unsaved, e.inputs, e.shelving = c.free[n-1].records, c.free[n-1].inputs, c.free[n-1].docs
		c.free = c.free[:n-1]
	}
	return c.err
}

// sync waits until every batch handed over is committed, answers what
// waited for them, and returns the first error.
func (e *Engine) sync() error {
	if c := e.committer; c != nil {
		if c.inflight > 0 {
			was := e.health.stalled.Swap(true)
			for c.inflight > 0 {
				c.take(true)
			}
			e.health.stalled.Store(was)
		}
		e.release()
		return c.err
	}
	return nil
}

// heldAnswer is a command's answer, or a query that has run, waiting for
// the commit of batch (the committer's count), which holds the records of
// the last step it saw.
type heldAnswer struct {
	batch uint64
	r     reply
	q     *query
}

// send gives the answer, or says the query's result is durable.
func (h *heldAnswer) send() {
	if h.q != nil {
		close(h.q.durable)
		return
	}
	h.r.send()
}

// nextBatch is the batch that will hold the records handled so far: the
// last handed over, or the next when some wait for it.
func (e *Engine) nextBatch() uint64 {
	b := e.committer.handedN
	if e.unhanded() {
		b++
	}
	return b
}

// answerCommitted answers the commands whose records are committed, and
// hands over the records of those still held when the committer is idle:
// under a stream of commands, each commit takes every step handled while
// the one before it was written.
func (e *Engine) answerCommitted() error {
	c := e.committer
	if c == nil || len(e.held) == 0 {
		return nil
	}
	c.take(false)
	e.release()
	if len(e.held) > 0 && c.err == nil {
		if now, _ := e.handOverDue(); now {
			return e.commit()
		}
	}
	return c.err
}

// beforeIdle hands the records handled so far to the committer before
// the engine waits, without waiting for their commit (the outbox rule,
// §2: nothing outside the process sees them meanwhile), as often as
// handOverDue says. Held answers are answered as their commits land: the
// wait ends then (waitOrWake), so that commands submitted meanwhile are
// handled and group into the next commit instead of waiting behind this
// one. flush is when the engine must wake to hand over what is left (zero:
// nothing is left, or a commit landing wakes it first).
func (e *Engine) beforeIdle() (flush time.Time, err error) {
	c := e.committer
	if c == nil {
		return time.Time{}, nil // each step commits (the store is in memory)
	}
	c.take(false)
	e.release()
	now, at := e.handOverDue()
	if now {
		return time.Time{}, e.commit()
	}
	return at, c.err
}

// unhanded tells whether records, inputs or read models wait for the
// next hand-over.
func (e *Engine) unhanded() bool {
	return len(e.unsaved) > 0 || len(e.inputs) > 0 || len(e.shelving) > 0
}

// handOverDue says whether the records handled so far go to the committer
// now: when it is idle, and, unless a command's answer or a query waits for
// them, the last hand-over is handOverEvery old. Else at is when they will,
// if the committer is idle (zero: the commit it writes lands first, or
// nothing waits).
//
// Handing over whatever there was whenever the committer was idle, and
// committing before every query, made a commit of almost every timer,
// command and read of a busy live run (2,300 a second at 500 orders a
// second, most of them a few records), each writing its own pages to the
// WAL.
func (e *Engine) handOverDue() (now bool, at time.Time) {
	c := e.committer
	if c == nil || c.inflight > 0 || !e.unhanded() {
		return false, time.Time{}
	}
	if len(e.held) > 0 {
		return true, time.Time{}
	}
	at = c.handed.Add(handOverEvery)
	if !time.Now().Before(at) {
		return true, time.Time{}
	}
	return false, at
}

// landed takes a commit's answer the engine woke for (waitOrWake),
// answers what waited for it and hands over what the held answers wait
// for next.
func (e *Engine) landed(a ack) error {
	e.committer.settle(a)
	return e.answerCommitted()
}

// release answers the held commands whose batches are committed.
func (e *Engine) release() {
	c := e.committer
	n := 0
	for n < len(e.held) && e.held[n].batch <= c.ackedN {
		e.held[n].send()
		n++
	}
	if n > 0 {
		clear(e.held[:n])
		e.held = append(e.held[:0], e.held[n:]...)
	}
	e.health.holding.Store(len(e.held) > 0)
}

// durable commits everything handled so far and waits for it. The engine
// counts as stalled from the start: a commit that fails as soon as it is
// handed over has its readers refused at once, not kept waiting.
func (e *Engine) durable() error {
	was := e.health.stalled.Swap(true)
	defer e.health.stalled.Store(was)
	if err := e.commit(); err != nil {
		return err
	}
	return e.sync()
}

// handOverEvery is how often at most an engine hands its records to the
// committer when no command's answer waits for them (handOverDue), unless
// CommitEvery of them wait first, a command's answer or a query waits for
// them (held), or something outside the process does (durable).
const handOverEvery = 10 * time.Millisecond

// handOver hands the records handled so far to the committer, without
// waiting, as often as handOverDue says: an engine behind its clock has
// its records made durable within a few milliseconds, in commits large
// enough that the database takes a small part of the CPU the engine needs
// to catch up. Nothing outside the process waits for these records
// (durable is for that), so committing more often would buy nothing.
func (e *Engine) handOver() error {
	c := e.committer
	if c == nil {
		return nil // each step commits (the store is in memory)
	}
	c.take(false)
	e.release()
	if now, _ := e.handOverDue(); now {
		return e.commit()
	}
	return c.err
}

// take collects the answers of committed batches, recycling their
// buffers; with wait, it waits for one.
func (c *committer) take(wait bool) {
	for c.inflight > 0 {
		var a ack
		if wait {
			a = <-c.acks
		} else {
			select {
			case a = <-c.acks:
			default:
				return
			}
		}
		c.settle(a)
		if wait {
			return
		}
	}
}

// settle takes the answer of a committed batch, recycling its buffers.
func (c *committer) settle(a ack) {
	c.inflight--
	if a.err != nil && c.err == nil {
		c.err = a.err
	}
	if a.err == nil {
		c.ackedN++
	}
	if len(a.b.docs) > 0 && len(c.flying) > 0 {
		c.flying[0] = nil
		c.flying = c.flying[1:] // batches commit in the order handed over
	}
	clear(a.b.records)
	clear(a.b.inputs)
	clear(a.b.docs)
	c.free = append(c.free, batch{records: a.b.records[:0], inputs: a.b.inputs[:0], docs: a.b.docs[:0]})
}
