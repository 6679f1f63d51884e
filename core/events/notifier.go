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

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Options set up a Notifier.
type Options struct {
	// Feed hands the store's committed records (the store's Feed): the
	// notifier reads nothing else of the journal.
	Feed *store.Feed
	// Directory tells the listeners' registrations and the orders of
	// items (core/api's Server is one).
	Directory Directory
	// Epoch is the calendar time of T+0: event times are Epoch plus the
	// record's virtual time, in UTC, as the APIs write dates.
	Epoch time.Time
	// IDs numbers the event ids, a shard's apart from its deployment's
	// other shards' (the zero value: an event's id is its record's seq).
	IDs tmf.IDSpace
	// BaseURL prefixes the hrefs of entities (https://host:port); "" keeps
	// them relative to the server, as the APIs write them.
	BaseURL string
	// Callbacks is where callbacks may go; nil is the default allow-list
	// (public addresses only).
	Callbacks *Callbacks
	// Client sends the events; nil is Callbacks.Client, which gives up
	// an attempt after 10 seconds. Whatever the client, a redirect is not
	// followed.
	Client *http.Client
	// Poll is how often the notifier looks for work when no commit came
	// (a listener's cursor to keep); 0 means every second.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before the next attempt at
	// a failed delivery, doubling from the one to the other; 0 means
	// 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// SuspendAfter and SuspendWindow: a listener whose callback failed
	// SuspendAfter attempts in a row, over at least SuspendWindow, is
	// suspended; 0 means 20 attempts and 15 minutes.
	SuspendAfter  int
	SuspendWindow time.Duration
	// Log takes what went wrong (callbacks failing, the store or engine
	// not answering); nil discards it. Callbacks are redacted in it.
	Log *slog.Logger
}

// Notifier delivers the journal's events to the hub listeners (see the
// package comment for its guarantees).
type Notifier struct {
	opt    Options
	feed   *store.Feed
	outbox store.Cursors
	tr     translator

	mu sync.Mutex
	// read is the last record dispatched: every listener in step has
	// been given the events up to it.
	read int64
	// scanned is how far the journal was read for listeners (registered,
	// removed, suspended) before this start.
	scanned int64
	workers map[string]*worker
	index   index
	// sent: a listener was sent something since the cursors were kept.
	sent bool
	// flushed is when the cursors of idle listeners were last kept, and
	// flushedAt the record they were kept at.
	flushed   time.Time
	flushedAt int64
	// fullFlushed is when the cursors of all idle listeners were kept.
	fullFlushed time.Time
	cancel      context.CancelFunc
	done        chan struct{}
	// hubs are the hub records committed since the notifier started
	// watching the feed (Feed.Watch), up to watched, the last record it
	// was told; every record after watching was told. With no listener,
	// the notifier reads only these: the other records concern no one.
	hubs     []store.Entry
	watched  int64
	watching int64
	stopped  bool
}

// pageSize is how many records are read at a time: a reader behind the
// feed's window reads the store a commit at a time (group commits hold up
// to 4,096 records).
const pageSize = 4096

// maxQueue is how many events a listener may have waiting in memory;
// beyond, it reads the journal itself until it is back in step.
const maxQueue = 1024

// flushEvery is how often the cursors of the listeners sent something are
// kept while records flow; fullFlushEvery how often those of every idle
// listener are (a listener sent nothing has nothing to send again after a
// crash: its cursor only bounds what a restart reads).
const (
	flushEvery     = 5 * time.Second
	fullFlushEvery = 10 * time.Minute
)

// Open returns a notifier of the records opt.Feed hands, which keeps its
// listeners' cursors in st, the engine's store, through a handle of its
// own (store.Cursors).
func Open(st store.CursorKeeper, opt Options) (*Notifier, error) {
	if opt.Directory == nil {
		return nil, errors.New("events: no Directory")
	}
	if opt.Feed == nil {
		return nil, errors.New("events: no Feed")
	}
	if opt.Callbacks == nil {
		opt.Callbacks = MustCallbacks(DefaultAllow...)
	}
	if opt.Client == nil {
		opt.Client = opt.Callbacks.Client(10 * time.Second)
	} else {
		c := *opt.Client
		c.CheckRedirect = NoRedirect
		opt.Client = &c
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
	if opt.SuspendAfter <= 0 {
		opt.SuspendAfter = 20
	}
	if opt.SuspendWindow <= 0 {
		opt.SuspendWindow = 15 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ob, err := st.OpenCursors()
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return &Notifier{opt: opt, feed: opt.Feed, outbox: ob, tr: translator{baseURL: opt.BaseURL, epoch: opt.Epoch, dir: opt.Directory, ids: opt.IDs},
		workers: map[string]*worker{}}, nil
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
	sub := n.feed.Subscribe()
	n.feed.Watch(n.told)
	n.watching = n.feed.Last()
	go n.watch(ctx, sub)
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
	n.mu.Lock()
	n.stopped, n.hubs = true, nil
	n.mu.Unlock()
	return n.outbox.Close()
}

// told takes the records of a commit (Feed.Watch): it keeps the hub
// records, for the time no listener is registered.
func (n *Notifier) told(first int64, records []store.Record) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped || len(records) == 0 {
		return
	}
	for i, r := range records {
		if r.Kind == hubKind {
			n.hubs = append(n.hubs, store.Entry{Seq: first + int64(i), Record: r})
		}
	}
	n.watched = first + int64(len(records)) - 1
}

// dispatchHubs dispatches, while no listener is registered, only the hub
// records told since read, and marks every record told as read: it reads
// nothing. It stops after a record that registers a listener (then the
// records after it are read, for it). done is false when it did not
// apply, the notifier having listeners or not yet told of every record.
func (n *Notifier) dispatchHubs(ctx context.Context) (done bool, err error) {
	n.mu.Lock()
	if len(n.workers) > 0 || n.read < n.watching {
		n.mu.Unlock()
		return false, nil
	}
	hubs, upto, read := n.hubs, n.watched, n.read
	n.hubs = nil
	n.mu.Unlock()
	for i, e := range hubs {
		if e.Seq <= read {
			continue
		}
		if err := n.dispatch(ctx, e); err != nil {
			n.putBack(hubs[i:])
			return true, err // this record again, after a backoff
		}
		n.mu.Lock()
		registered := len(n.workers) > 0
		n.mu.Unlock()
		if registered {
			n.putBack(hubs[i+1:])
			return true, nil
		}
	}
	if upto > read {
		n.advance(upto, nil, nil)
	}
	return true, nil
}

// putBack puts hub records not dispatched before those told since.
func (n *Notifier) putBack(hubs []store.Entry) {
	n.mu.Lock()
	n.hubs = append(slices.Clone(hubs), n.hubs...)
	n.mu.Unlock()
}

// watch reads the feed once for all listeners: it follows the listeners
// registered, suspended and removed, in journal order, and hands each
// event to the listeners it concerns. Its cost is, per record, a look at
// its kind, and, when listeners are registered, the listeners that take
// its event type: an idle listener costs nothing, and with none
// registered no record is translated.
func (n *Notifier) watch(ctx context.Context, sub *store.Subscription) {
	defer close(n.done)
	defer sub.Close()
	defer n.stopAll()
	ok := n.resume(ctx)
	for attempt := 0; ok; {
		more, err := n.dispatchPage(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			n.opt.Log.Warn("hub: dispatch", "err", err.Error())
			ok = n.sleep(ctx, attempt)
			attempt++
			continue
		}
		attempt = 0
		if !more {
			ok = n.wait(ctx, sub.C())
		}
	}
}

// resume starts the workers of the listeners that have a cursor and are
// not suspended, and sets where the dispatch starts; false when ctx ended
// first.
func (n *Notifier) resume(ctx context.Context) bool {
	for attempt := 0; ; attempt++ {
		err := n.resumeOnce(ctx)
		if err == nil {
			return true
		}
		n.opt.Log.Warn("hub: resume", "err", err.Error())
		if !n.sleep(ctx, attempt) {
			return false
		}
	}
}

func (n *Notifier) resumeOnce(ctx context.Context) error {
	cursors, err := n.outbox.Cursors(ctx)
	if err != nil {
		return err
	}
	scanned := cursors[""]
	delete(cursors, "")
	from := scanned
	var ls []Listener
	for id, seq := range cursors {
		l, ok, err := n.opt.Directory.Listener(ctx, id)
		if err != nil {
			return fmt.Errorf("listener %s: %w", id, err)
		}
		if !ok { // removed, and its cursor left behind
			if err := n.outbox.DeleteCursor(ctx, id); err != nil {
				return err
			}
			delete(cursors, id)
			continue
		}
		if !l.Suspended {
			ls = append(ls, l)
			from = min(from, seq)
		}
	}
	n.mu.Lock()
	n.read, n.scanned, n.flushed, n.flushedAt, n.fullFlushed = from, scanned, time.Now(), from, time.Now()
	n.mu.Unlock()
	for _, l := range ls {
		n.start(ctx, l, cursors[l.ID], false)
	}
	return nil
}

// dispatchPage reads the records after the last dispatched and hands
// them out; more tells that a full page was read. With no listener
// running, only the hub's own records (a listener registered) are looked
// at.
func (n *Notifier) dispatchPage(ctx context.Context) (more bool, err error) {
	if done, err := n.dispatchHubs(ctx); done {
		if err == nil {
			n.flushIfDue(false)
		}
		n.mu.Lock()
		more = len(n.workers) > 0
		n.mu.Unlock()
		return more, err
	}
	n.mu.Lock()
	from, none := n.read, len(n.workers) == 0
	n.mu.Unlock()
	page, err := n.feed.After(ctx, from, pageSize)
	if err != nil {
		return false, fmt.Errorf("read the journal: %w", err)
	}
	for _, e := range page {
		if none && e.Kind != hubKind {
			continue
		}
		if err := n.dispatch(ctx, e); err != nil {
			return false, err // this record again, after a backoff
		}
		n.mu.Lock()
		none = len(n.workers) == 0
		n.mu.Unlock()
	}
	if len(page) > 0 {
		n.advance(page[len(page)-1].Seq, nil, nil)
	}
	n.flushIfDue(len(page) == 0)
	return len(page) == pageSize, nil
}

// flushIfDue keeps the cursors when it is time: those of the listeners
// that were sent something every flushEvery while records come, and once
// they stop (caught up); those of all idle listeners every
// fullFlushEvery; how far the journal was read, with them or else every
// flushEvery.
func (n *Notifier) flushIfDue(caught bool) {
	n.mu.Lock()
	flush := n.read > n.flushedAt && (caught && n.sent || time.Since(n.flushed) >= flushEvery)
	full := time.Since(n.fullFlushed) >= fullFlushEvery
	n.mu.Unlock()
	if flush || full {
		n.flush(full)
	}
}

// dispatch hands record e to the listeners it concerns.
func (n *Notifier) dispatch(ctx context.Context, e store.Entry) error {
	if e.Kind == hubKind {
		if e.Seq > n.scanned {
			if err := n.apply(ctx, e); err != nil {
				return fmt.Errorf("listener %s: %w", e.Entity, err)
			}
		}
		n.advance(e.Seq, nil, nil)
		return nil
	}
	api := apiOf(e)
	n.mu.Lock()
	listened := api != nil && n.index.listened(api)
	n.mu.Unlock()
	if !listened {
		n.advance(e.Seq, nil, nil)
		return nil
	}
	ev, ok, err := n.tr.event(ctx, api, e)
	if err != nil {
		return fmt.Errorf("event of record %d: %w", e.Seq, err)
	}
	if !ok {
		n.advance(e.Seq, nil, nil)
		return nil
	}
	n.advance(e.Seq, api, &ev)
	return nil
}

// advance marks record seq dispatched, handing ev (if any) to the
// listeners in step whose query it meets.
func (n *Notifier) advance(seq int64, api *API, ev *Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ev != nil {
		n.index.each(api, ev.EventType, func(w *worker) {
			if seq > w.from && !w.behind && w.filter.Match(ev) {
				w.enqueue(seq, ev)
			}
		})
	}
	n.read = seq
}

// apply acts on a listener's registration, change or removal.
func (n *Notifier) apply(ctx context.Context, e store.Entry) error {
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
		if !l.Suspended {
			n.start(ctx, l, seq, false)
		}
	case docPatch:
		l, ok, err := n.opt.Directory.Listener(ctx, e.Entity)
		if err != nil || !ok {
			return err
		}
		if l.Suspended {
			n.stop(l.ID)
			return nil
		}
		n.mu.Lock()
		running := n.workers[l.ID] != nil
		n.mu.Unlock()
		if !running { // made active again: on from where it stopped
			seq, err := n.outbox.AddCursor(ctx, l.ID, e.Seq)
			if err != nil {
				return err
			}
			n.start(ctx, l, seq, true)
		}
	case docDelete:
		n.stop(e.Entity)
		return n.outbox.DeleteCursor(ctx, e.Entity)
	}
	return nil
}

// start sets up the worker of l after record seq, unless it has one;
// behind: it reads the journal itself until it is in step.
func (n *Notifier) start(ctx context.Context, l Listener, seq int64, behind bool) {
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
	w := &worker{n: n, l: l, api: api, filter: f, from: seq, cursor: seq, saved: seq, ctx: wctx, cancel: cancel,
		callback: Redact(l.Callback)}
	n.workers[l.ID] = w
	n.index.add(w)
	if behind {
		w.behind = true
		w.kick()
	}
}

// stop stops the worker of listener id and waits for it.
func (n *Notifier) stop(id string) {
	n.mu.Lock()
	w := n.workers[id]
	if w != nil {
		n.drop(w)
	}
	n.mu.Unlock()
	if w != nil {
		w.cancel()
		w.runs.Wait()
	}
}

// drop takes w out of the dispatch; n.mu held.
func (n *Notifier) drop(w *worker) {
	if n.workers[w.l.ID] == w {
		delete(n.workers, w.l.ID)
		n.index.remove(w)
	}
	w.queue = nil
}

func (n *Notifier) stopAll() {
	n.mu.Lock()
	ws := n.workers
	n.workers = map[string]*worker{}
	n.index = index{}
	n.mu.Unlock()
	for _, w := range ws {
		w.cancel()
	}
	for _, w := range ws {
		w.runs.Wait()
	}
	n.flushWorkers(ws, true)
}

// flush keeps the cursors of the idle listeners in step, and how far the
// journal was read for listeners, in one write.
func (n *Notifier) flush(all bool) {
	n.mu.Lock()
	ws := n.workers
	n.mu.Unlock()
	n.flushWorkers(ws, all)
}

// flushWorkers keeps the cursors of the idle listeners in step among ws
// that were sent something since (all: every one) at the last record
// dispatched.
func (n *Notifier) flushWorkers(ws map[string]*worker, all bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.mu.Lock()
	read := n.read
	var ids []string
	for _, w := range ws {
		if !w.running && !w.behind && len(w.queue) == 0 && w.saved < read && (all || w.dirty) {
			ids = append(ids, w.l.ID)
			w.cursor, w.saved, w.dirty = read, read, false
		}
	}
	n.flushed, n.flushedAt, n.sent = time.Now(), read, false
	if all {
		n.fullFlushed = n.flushed
	}
	n.mu.Unlock()
	if err := n.outbox.MoveCursors(ctx, ids, read); err != nil {
		n.opt.Log.Warn("hub: keep the cursors", "err", err.Error())
	}
	if err := n.outbox.SetCursor(ctx, "", read); err != nil {
		n.opt.Log.Warn("hub: keep the scan", "err", err.Error())
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

// index finds the listeners of an API by the event types they take.
type index struct {
	apis map[*API]*apiListeners
}

type apiListeners struct {
	n int
	// byType: the listeners whose query names event types; any: those
	// that take every type.
	byType map[string]map[*worker]struct{}
	any    map[*worker]struct{}
}

func (x *index) listened(api *API) bool { return x.apis[api] != nil && x.apis[api].n > 0 }

func (x *index) add(w *worker) {
	if x.apis == nil {
		x.apis = map[*API]*apiListeners{}
	}
	a := x.apis[w.api]
	if a == nil {
		a = &apiListeners{byType: map[string]map[*worker]struct{}{}, any: map[*worker]struct{}{}}
		x.apis[w.api] = a
	}
	a.n++
	types := w.filter.EventTypes()
	if types == nil {
		a.any[w] = struct{}{}
	}
	for _, t := range types {
		if a.byType[t] == nil {
			a.byType[t] = map[*worker]struct{}{}
		}
		a.byType[t][w] = struct{}{}
	}
}

func (x *index) remove(w *worker) {
	a := x.apis[w.api]
	if a == nil {
		return
	}
	a.n--
	delete(a.any, w)
	for _, t := range w.filter.EventTypes() {
		delete(a.byType[t], w)
	}
}

// each calls fn for every listener of api that may take eventType.
func (x *index) each(api *API, eventType string, fn func(*worker)) {
	a := x.apis[api]
	if a == nil {
		return
	}
	for w := range a.any {
		fn(w)
	}
	for w := range a.byType[eventType] {
		fn(w)
	}
}
