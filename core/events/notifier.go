package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// Options set up a Notifier.
type Options struct {
	// Directory tells the listeners' registrations and the orders of
	// items (core/api's Server is one).
	Directory Directory
	// Epoch is the calendar time of T+0: event times are Epoch plus the
	// record's virtual time, in UTC, as the APIs write dates.
	Epoch time.Time
	// BaseURL prefixes the hrefs of entities (https://host:port); "" keeps
	// them relative to the server, as the APIs write them.
	BaseURL string
	// Client sends the events; nil is a client that gives up an attempt
	// after 10 seconds.
	Client *http.Client
	// Poll is how often the journal is read when nothing called Wake;
	// 0 means every second.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before the next attempt at
	// a failed delivery, doubling from the one to the other; 0 means
	// 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Log takes what went wrong (callbacks failing, the store or engine
	// not answering); nil discards it.
	Log *slog.Logger
}

// Notifier delivers the journal's events to the hub listeners (see the
// package comment for its guarantees).
type Notifier struct {
	opt    Options
	outbox *sqlite.Outbox
	tr     translator
	wake   chan struct{}

	mu      sync.Mutex
	workers map[string]*worker
	cancel  context.CancelFunc
	done    chan struct{}
}

// pageSize is how many records a listener reads at a time.
const pageSize = 256

// Open returns a notifier of the journal in the SQLite file, which the
// engine's store (sqlite.Open) has opened already.
func Open(file string, opt Options) (*Notifier, error) {
	if opt.Directory == nil {
		return nil, errors.New("events: no Directory")
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	opt.MaxBackoff = max(opt.MaxBackoff, opt.MinBackoff)
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ob, err := sqlite.OpenOutbox(file)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return &Notifier{opt: opt, outbox: ob, tr: translator{baseURL: opt.BaseURL, epoch: opt.Epoch, dir: opt.Directory},
		wake: make(chan struct{}, 1), workers: map[string]*worker{}}, nil
}

// Start delivers events on goroutines of the notifier's own until ctx
// ends or Stop is called. It resumes every listener after its cursor.
func (n *Notifier) Start(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cancel != nil {
		return
	}
	ctx, n.cancel = context.WithCancel(ctx)
	n.done = make(chan struct{})
	go n.watch(ctx)
}

// Wake has the notifier read the journal now rather than at its next
// poll. It never blocks: an engine observer may call it for every record.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Stop stops delivering, keeps every listener's cursor and closes the
// notifier's handle on the store. An event being sent when Stop is called
// is sent again after a restart.
func (n *Notifier) Stop() error {
	n.mu.Lock()
	cancel, done := n.cancel, n.done
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return n.outbox.Close()
}

// watch follows the listeners registered and removed, in journal order,
// starting and stopping their workers, and passes wake-ups on to them.
func (n *Notifier) watch(ctx context.Context) {
	defer close(n.done)
	defer n.stopAll()
	scan, ok := n.resume(ctx)
	for ok {
		scan = n.scan(ctx, scan)
		n.mu.Lock()
		for _, w := range n.workers {
			w.poke()
		}
		n.mu.Unlock()
		ok = n.wait(ctx, n.wake)
	}
}

// resume starts the workers of the listeners that have a cursor and
// returns how far the journal was scanned for listeners; false when ctx
// ended first.
func (n *Notifier) resume(ctx context.Context) (int64, bool) {
	for attempt := 0; ; attempt++ {
		scan, err := n.resumeOnce(ctx)
		if err == nil {
			return scan, true
		}
		n.opt.Log.Warn("hub: resume", "err", err.Error())
		if !n.sleep(ctx, attempt) {
			return 0, false
		}
	}
}

func (n *Notifier) resumeOnce(ctx context.Context) (int64, error) {
	cursors, err := n.outbox.Cursors(ctx)
	if err != nil {
		return 0, err
	}
	scan := cursors[""]
	delete(cursors, "")
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range cursors {
			if !yield(id) {
				return
			}
		}
	}) {
		l, ok, err := n.opt.Directory.Listener(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("listener %s: %w", id, err)
		}
		if !ok { // removed, and its cursor left behind
			if err := n.outbox.DeleteCursor(ctx, id); err != nil {
				return 0, err
			}
			continue
		}
		n.start(ctx, l, cursors[id])
	}
	return scan, nil
}

// scan reads the listeners registered and removed after record from and
// returns how far it got.
func (n *Notifier) scan(ctx context.Context, from int64) int64 {
	last, err := n.outbox.Last(ctx)
	if err != nil {
		n.opt.Log.Warn("hub: read the journal", "err", err.Error())
		return from
	}
	if last <= from {
		return from
	}
	hubs, err := n.outbox.Kind(ctx, hubKind, from, last)
	if err != nil {
		n.opt.Log.Warn("hub: read the journal", "err", err.Error())
		return from
	}
	for _, e := range hubs {
		if err := n.apply(ctx, e); err != nil {
			n.opt.Log.Warn("hub: listener", "listener", e.Entity, "err", err.Error())
			return e.Seq - 1 // again at the next scan
		}
	}
	if err := n.outbox.SetCursor(ctx, "", last); err != nil {
		n.opt.Log.Warn("hub: keep the scan", "err", err.Error())
	}
	return last
}

// apply acts on a listener's registration or removal.
func (n *Notifier) apply(ctx context.Context, e sqlite.Entry) error {
	switch e.Event {
	case docCreate:
		l, ok, err := n.opt.Directory.Listener(ctx, e.Entity)
		if err != nil || !ok { // not found: removed since, a later record says so
			return err
		}
		// It gets the records after its registration.
		seq, err := n.outbox.AddCursor(ctx, l.ID, e.Seq)
		if err != nil {
			return err
		}
		n.start(ctx, l, seq)
	case docDelete:
		n.stop(e.Entity)
		return n.outbox.DeleteCursor(ctx, e.Entity)
	}
	return nil
}

// start starts the worker of l after record seq, unless it runs.
func (n *Notifier) start(ctx context.Context, l Listener, seq int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.workers[l.ID] != nil {
		return
	}
	api := APIAt(l.Base)
	if api == nil {
		n.opt.Log.Error("hub: listener on no API with a hub", "listener", l.ID, "base", l.Base)
		return
	}
	f, err := ParseQuery(api, l.Query)
	if err != nil {
		n.opt.Log.Error("hub: listener's query", "listener", l.ID, "err", err.Error())
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{n: n, l: l, api: api, filter: f, cursor: seq, saved: seq, wake: make(chan struct{}, 1),
		cancel: cancel, done: make(chan struct{})}
	n.workers[l.ID] = w
	go w.run(wctx)
}

// stop stops the worker of listener id and waits for it.
func (n *Notifier) stop(id string) {
	n.mu.Lock()
	w := n.workers[id]
	delete(n.workers, id)
	n.mu.Unlock()
	if w != nil {
		w.cancel()
		<-w.done
	}
}

func (n *Notifier) stopAll() {
	n.mu.Lock()
	ws := n.workers
	n.workers = map[string]*worker{}
	n.mu.Unlock()
	for _, w := range ws {
		w.cancel()
	}
	for _, w := range ws {
		<-w.done
	}
}

// wait waits for a wake-up or the next poll; false when ctx ended.
func (n *Notifier) wait(ctx context.Context, wake <-chan struct{}) bool {
	t := time.NewTimer(n.opt.Poll)
	defer t.Stop()
	select {
	case <-wake:
		return true
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff is the wait after the attempt-th failure in a row (from 0).
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.opt.MinBackoff
	for i := 0; i < attempt && d < n.opt.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, n.opt.MaxBackoff)
}

// sleep waits out the backoff of a failed attempt; false when ctx ended.
func (n *Notifier) sleep(ctx context.Context, attempt int) bool {
	t := time.NewTimer(n.backoff(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
