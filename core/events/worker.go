package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// worker delivers one listener's events, in journal order. It runs a
// goroutine only while it has events to deliver: an idle listener costs
// no goroutine and no read of the journal.
type worker struct {
	n        *Notifier
	l        Listener
	api      *API
	filter   Filter
	callback string // redacted, for the log
	ctx      context.Context
	cancel   context.CancelFunc
	runs     sync.WaitGroup

	// Guarded by n.mu.
	//
	// from: records up to it are not for this worker (they came before
	// its cursor when it started).
	from int64
	// queue holds the events handed to it, in journal order.
	queue []queued
	// behind: its queue overflowed, or it was made active again; it
	// reads the journal itself from its cursor until it is in step.
	behind  bool
	running bool
	// cursor is the last record handled; saved the one the store has;
	// dirty: it was sent something since its cursor was last kept.
	cursor, saved int64
	dirty         bool

	// The goroutine's own: the failed attempts in a row, since when.
	failures     int
	failingSince time.Time
}

type queued struct {
	seq int64
	ev  *Event
}

// enqueue hands the worker the event of record seq; n.mu held.
func (w *worker) enqueue(seq int64, ev *Event) {
	if len(w.queue) >= maxQueue {
		w.behind = true // it reads from its cursor on, this record included
	} else {
		w.queue = append(w.queue, queued{seq, ev})
	}
	w.kick()
}

// kick starts the worker's goroutine unless it runs; n.mu held.
func (w *worker) kick() {
	if w.running || w.ctx.Err() != nil {
		return
	}
	w.running = true
	w.runs.Add(1)
	go w.run()
}

func (w *worker) run() {
	n := w.n
	defer w.runs.Done()
	for {
		n.mu.Lock()
		switch {
		case w.ctx.Err() != nil:
			w.running = false
			n.mu.Unlock()
			w.save()
			return
		case len(w.queue) > 0:
			// It stays queued until delivered: a worker stopped with
			// an event in flight is not idle.
			q := w.queue[0]
			n.mu.Unlock()
			if !w.handle(q.seq, q.ev) {
				continue // stopped or suspended: the next turn ends it
			}
			n.mu.Lock()
			if len(w.queue) > 0 && w.queue[0].seq == q.seq {
				w.queue = w.queue[1:]
			}
			w.cursor, w.dirty, n.sent = q.seq, true, true
			n.mu.Unlock()
		case w.behind:
			n.mu.Unlock()
			w.catchUp()
		default: // in step, nothing left: the notifier keeps its cursor with the idle ones' (flush)
			w.cursor = max(w.cursor, n.read)
			w.running = false
			n.mu.Unlock()
			return
		}
	}
}

// catchUp reads a page of the journal after the worker's cursor, up to
// where the dispatch is, and delivers what is for it; once it reaches the
// dispatch it is in step again.
func (w *worker) catchUp() {
	n := w.n
	n.mu.Lock()
	cursor, read := w.cursor, n.read
	n.mu.Unlock()
	page, err := n.feed.After(w.ctx, cursor, pageSize)
	if err != nil {
		if w.ctx.Err() == nil {
			n.opt.Log.Warn("hub: read the journal", "listener", w.l.ID, "err", err.Error())
			n.sleep(w.ctx, 0)
		}
		return
	}
	for _, e := range page {
		if e.Seq > read {
			break // the dispatch hands it out
		}
		if e.Kind == hubKind && e.Entity == w.l.ID && e.Event == docDelete {
			w.cancel() // removed: nothing after its removal
			return
		}
		if api := apiOf(e); api == w.api && e.Seq > cursor {
			ev, ok, err := n.tr.event(w.ctx, api, e)
			for attempt := 0; err != nil && w.ctx.Err() == nil; attempt++ {
				n.opt.Log.Warn("hub: event", "listener", w.l.ID, "record", e.Seq, "err", err.Error())
				n.sleep(w.ctx, attempt)
				ev, ok, err = n.tr.event(w.ctx, api, e)
			}
			if ok && w.filter.Match(&ev) && !w.handle(e.Seq, &ev) {
				return
			}
		}
		if w.ctx.Err() != nil {
			return
		}
		n.mu.Lock()
		w.cursor = e.Seq
		n.mu.Unlock()
	}
	w.save()
	n.mu.Lock()
	if w.cursor >= n.read {
		w.behind = false
	}
	n.mu.Unlock()
}

// handle delivers ev, the event of record seq, until the callback takes
// it, unless the listener is bound to a tenant whose party ev is not
// about; false when the worker was stopped or suspended first.
func (w *worker) handle(seq int64, ev *Event) bool {
	n := w.n
	for attempt := 0; w.l.Tenant != ""; attempt++ {
		hears, err := n.tenantHears(w.ctx, w.api, w.l.Tenant, ev)
		if err == nil && !hears {
			return true // another party's: not for this listener
		}
		if err == nil {
			break
		}
		n.opt.Log.Warn("hub: the party of an event", "listener", w.l.ID, "eventId", seq, "err", err.Error())
		if !n.sleep(w.ctx, attempt) {
			return false
		}
	}
	for attempt := 0; ; attempt++ {
		err := w.post(ev)
		if err == nil {
			w.failures = 0
			return true
		}
		if w.ctx.Err() != nil {
			return false
		}
		if attempt == 0 {
			w.save() // keep what was done before this event
		}
		now := time.Now()
		if w.failures == 0 {
			w.failingSince = now
		}
		w.failures++
		reason := redactErr(err, w.l.Callback)
		if w.failures >= n.opt.SuspendAfter && now.Sub(w.failingSince) >= n.opt.SuspendWindow {
			if w.suspend(seq, reason) {
				return false
			}
		}
		n.opt.Log.Warn("hub: delivery failed", "listener", w.l.ID, "callback", w.callback, "eventId", seq,
			"attempt", attempt+1, "retryIn", n.backoff(attempt).String(), "err", reason)
		if !n.sleep(w.ctx, attempt) {
			return false
		}
	}
}

// suspend has the listener suspended: it costs no more work until it is
// made active again, and then resumes at the event that failed.
func (w *worker) suspend(seq int64, reason string) bool {
	n := w.n
	msg := fmt.Sprintf("suspended after %d failed attempts over %s; last at event %d: %s", w.failures,
		time.Since(w.failingSince).Round(time.Second), seq, reason)
	if err := n.opt.Directory.Suspend(w.ctx, w.l.ID, msg); err != nil {
		n.opt.Log.Warn("hub: suspend", "listener", w.l.ID, "err", err.Error())
		return false
	}
	n.opt.Log.Warn("hub: listener suspended", "listener", w.l.ID, "callback", w.callback, "reason", msg)
	n.mu.Lock()
	n.drop(w)
	n.mu.Unlock()
	w.cancel()
	return true
}

// post sends ev to the callback: a 2xx answer is the only success.
func (w *worker) post(ev *Event) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.l.Callback, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := w.n.opt.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("the callback answered %s", res.Status)
	}
	return nil
}

// save keeps the cursor in the store, if it moved. It runs on after the
// worker was stopped (a stop keeps what was delivered), for a few seconds
// at most.
func (w *worker) save() {
	n := w.n
	n.mu.Lock()
	cursor, saved := w.cursor, w.saved
	n.mu.Unlock()
	if cursor <= saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.outbox.MoveCursor(ctx, w.l.ID, cursor); err != nil {
		n.opt.Log.Warn("hub: keep the cursor", "listener", w.l.ID, "err", err.Error())
		return
	}
	n.mu.Lock()
	w.saved = max(w.saved, cursor)
	n.mu.Unlock()
}
