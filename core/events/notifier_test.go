package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// directory is the engine's state as the notifier asks about it.
type directory struct {
	mu        sync.Mutex
	listeners map[string]events.Listener
	orders    map[string]string // item → order
	// suspended keeps why each listener was suspended; journal records
	// the change, as the engine would.
	suspended map[string]string
	journal   func(store.Record)
	// asked counts the questions about an item's order (translations).
	asked int
}

func (d *directory) Suspend(_ context.Context, id, reason string) error {
	d.mu.Lock()
	l, ok := d.listeners[id]
	if ok {
		l.Suspended = true
		d.listeners[id] = l
		d.suspended[id] = reason
	}
	d.mu.Unlock()
	if ok {
		d.journal(store.Record{Kind: "hub", Entity: id, System: "API", To: "updated", Event: "patch"})
	}
	return nil
}

func (d *directory) Listener(_ context.Context, id string) (events.Listener, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l, ok := d.listeners[id]
	return l, ok, nil
}

func (d *directory) Order(_ context.Context, _, item string) (string, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked++
	o, ok := d.orders[item]
	return o, ok, nil
}

func (d *directory) register(l events.Listener) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.listeners[l.ID] = l
}

// callback is a listener's endpoint: it keeps what it was sent, and when
// each attempt came.
type callback struct {
	mu       sync.Mutex
	got      []events.Event
	attempts []time.Time
	// fail answers 500 to that many attempts first.
	fail int
	// hang holds the attempt at that eventId until its request ends.
	hang string
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev events.Event
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.attempts = append(c.attempts, time.Now())
	hang := c.hang != "" && ev.EventID == c.hang
	if hang {
		c.hang = ""
	}
	failing := c.fail > 0
	if failing {
		c.fail--
	} else if !hang {
		c.got = append(c.got, ev)
	}
	c.mu.Unlock()
	switch {
	case hang:
		<-r.Context().Done()
	case failing:
		http.Error(w, "down", http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (c *callback) events() []events.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]events.Event(nil), c.got...)
}

func (c *callback) tries() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.attempts...)
}

// network routes requests to the callbacks by host, in process (so that
// the tests run in a synctest bubble); an unknown host is a connection
// error.
type network struct {
	mu    sync.Mutex
	hosts map[string]http.Handler
}

func (n *network) set(host string, h http.Handler) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if h == nil {
		delete(n.hosts, host)
	} else {
		n.hosts[host] = h
	}
}

func (n *network) RoundTrip(r *http.Request) (*http.Response, error) {
	n.mu.Lock()
	h := n.hosts[r.URL.Host]
	n.mu.Unlock()
	if h == nil {
		return nil, errors.New("connection refused")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return w.Result(), nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// rig is a journal, a directory and the notifier reading them.
type rig struct {
	t     *testing.T
	file  string
	st    *sqlite.Store
	dir   *directory
	net   *network
	n     *events.Notifier
	seq   int64
	start context.CancelFunc
	// opt, when set, changes the notifier's options; log, when set,
	// takes its log.
	opt func(*events.Options)
	log io.Writer
}

func newRig(t *testing.T) *rig {
	file := filepath.Join(t.TempDir(), "journal.db")
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	r := &rig{t: t, file: file, st: st, dir: &directory{listeners: map[string]events.Listener{}, orders: map[string]string{},
		suspended: map[string]string{}}, net: &network{hosts: map[string]http.Handler{}}}
	r.dir.journal = func(rec store.Record) {
		require.NoError(t, r.st.Append([]store.Record{rec}))
	}
	t.Cleanup(func() { st.Close() })
	return r
}

// open opens and starts a notifier.
func (r *rig) open() {
	var logs io.Writer = testWriter{r.t}
	if r.log != nil {
		logs = io.MultiWriter(logs, r.log)
	}
	opt := events.Options{Feed: r.st.Feed(), Directory: r.dir, Epoch: epoch, Client: &http.Client{Transport: r.net},
		Poll: time.Hour, Log: slog.New(slog.NewTextHandler(logs, nil))}
	if r.opt != nil {
		r.opt(&opt)
	}
	n, err := events.Open(r.st, opt)
	require.NoError(r.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n.Start(ctx)
	r.n, r.start = n, cancel
	// Settled before the test writes: a write of the test's meeting one
	// of the notifier's would wait in SQLite's busy handler, asleep on
	// the bubble's clock.
	synctest.Wait()
}

// stop stops the notifier.
func (r *rig) stop() {
	require.NoError(r.t, r.n.Stop())
	r.start()
}

// commit appends records as one engine step would, wakes the notifier
// and waits until it has done all it can.
func (r *rig) commit(recs ...store.Record) {
	require.NoError(r.t, r.st.Append(recs))
	r.seq += int64(len(recs))
	synctest.Wait()
}

// listen registers a listener on api's hub: its document, then its
// record, as core/docs journals it.
func (r *rig) listen(id, host, query string, api *events.API) *callback {
	return r.listenAt(id, host, "http://"+host+"/events", query, api)
}

// listenAt registers a listener whose callback is url, served on host.
func (r *rig) listenAt(id, host, url, query string, api *events.API) *callback {
	cb := &callback{}
	r.net.set(host, cb)
	r.dir.register(events.Listener{ID: id, Callback: url, Query: query, Base: api.Base})
	r.commit(store.Record{Kind: "hub", Entity: id, System: "API", To: "created", Event: "create"})
	return cb
}

func (r *rig) unlisten(id string) {
	r.dir.mu.Lock()
	delete(r.dir.listeners, id)
	r.dir.mu.Unlock()
	r.commit(store.Record{Kind: "hub", Entity: id, System: "API", To: "deleted", Event: "delete"})
}

func transition(kind, id, from, to, event string, at time.Duration) store.Record {
	return store.Record{At: at, Kind: kind, Entity: id, System: "COM", From: from, To: to, Event: event}
}

// summary is "eventId eventType entity-id state items" of each event.
func summary(evs []events.Event) []string {
	var out []string
	for _, ev := range evs {
		for field, ent := range ev.Event {
			s := fmt.Sprintf("%s %s %s:%s", ev.EventID, ev.EventType, field, ent["id"])
			for _, k := range []string{"state", "status"} {
				if v, ok := ent[k]; ok {
					s += " " + k + "=" + v.(string)
				}
			}
			if items, ok := ent["productOrderItem"].([]any); ok {
				for _, it := range items {
					m := it.(map[string]any)
					s += fmt.Sprintf(" item:%s=%s", m["id"], m["state"])
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// A listener on TMF622's hub gets the product order's events that come
// after its registration, in journal order, each once, with the record's
// sequence number as its eventId; records of other APIs' entities are not
// for it. Item changes are AttributeValueChange events of their order.
func TestDeliverInJournalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.dir.orders["POI-001"], r.dir.orders["POI-002"] = "PO-1", "PO-1"
		r.commit(transition("productOrder", "PO-0", "", "acknowledged", "create", 0))
		r.open()
		defer r.stop()
		cb := r.listen("HUB-001", "crm.test", "", events.ProductOrdering)
		r.commit(
			transition("quote", "QT-001", "", "inProgress", "create", 0),
			transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
		)
		r.commit(
			transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", time.Hour),
			transition("productOrderItem", "POI-001", "acknowledged", "inProgress", "start", time.Hour),
			transition("productOrderItem", "POI-002", "acknowledged", "inProgress", "start", time.Hour),
			transition("serviceOrder", "SO-001", "", "acknowledged", "create", time.Hour),
		)
		r.commit(
			transition("productOrderItem", "POI-001", "inProgress", "completed", "complete", 48*time.Hour),
			transition("productOrderItem", "POI-002", "inProgress", "completed", "complete", 48*time.Hour),
			transition("productOrder", "PO-1", "inProgress", "completed", "complete", 48*time.Hour),
		)
		assert.Equal(t, []string{
			"4 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"5 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress",
			"6 ProductOrderAttributeValueChangeEvent productOrder:PO-1 item:POI-001=inProgress",
			"7 ProductOrderAttributeValueChangeEvent productOrder:PO-1 item:POI-002=inProgress",
			"9 ProductOrderAttributeValueChangeEvent productOrder:PO-1 item:POI-001=completed",
			"10 ProductOrderAttributeValueChangeEvent productOrder:PO-1 item:POI-002=completed",
			"11 ProductOrderStateChangeEvent productOrder:PO-1 state=completed",
		}, summary(cb.events()))
		require.Len(t, cb.events(), 7)
		last := cb.events()[6]
		assert.Equal(t, "2024-03-03T00:00:00Z", last.EventTime, "T+48h from the epoch")
		assert.Equal(t, last.EventTime, last.TimeOcurred)
		assert.Equal(t, "productOrderingManagement", last.Domain)
		assert.Equal(t, "/tmf-api/productOrderingManagement/v4/productOrder/PO-1", last.Event["productOrder"]["href"])
		assert.Equal(t, "ProductOrder", last.Event["productOrder"]["@type"])
	})
}

// With no listener registered the notifier translates no record and
// reads nothing of the store: it is handed the commits by the store's
// feed and looks only for a listener's registration. Once one registers,
// the records after it are translated and delivered, still from the
// feed's window.
func TestNoListenerCostsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var reads atomic.Int64
		feed := store.NewFeed(r.st.Feed().Last(), 64, func(ctx context.Context, seq int64, limit int) ([]store.Entry, error) {
			reads.Add(1)
			return r.st.Feed().After(ctx, seq, limit)
		})
		r.st.Feed().Watch(feed.Publish)
		r.opt = func(o *events.Options) { o.Feed = feed }
		r.dir.orders["POI-001"] = "PO-1"
		r.open()
		defer r.stop()
		for range 20 {
			r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
				transition("productOrderItem", "POI-001", "acknowledged", "inProgress", "start", time.Hour))
		}
		assert.Zero(t, r.dir.asked, "no record translated")
		cb := r.listen("HUB-001", "crm.test", "", events.ProductOrdering)
		r.commit(transition("productOrderItem", "POI-001", "inProgress", "completed", "complete", 48*time.Hour))
		assert.Equal(t, []string{"42 ProductOrderAttributeValueChangeEvent productOrder:PO-1 item:POI-001=completed"},
			summary(cb.events()))
		assert.Equal(t, 1, r.dir.asked)
		assert.Zero(t, reads.Load(), "every record taken from the feed's window")
	})
}

// The query filters: only the event types asked for, and only those whose
// entity has the attribute value asked for (comma: either).
func TestQueryFilters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		done := r.listen("HUB-001", "done.test", "eventType=ProductOrderStateChangeEvent&event.productOrder.state=completed,failed", events.ProductOrdering)
		created := r.listen("HUB-002", "new.test", "eventType=ProductOrderCreateEvent", events.ProductOrdering)
		quotes := r.listen("HUB-003", "cpq.test", "event.quote.state=accepted", events.QuoteManagement)
		r.commit(
			transition("quote", "QT-001", "", "inProgress", "create", 0),
			transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
			transition("productOrder", "PO-2", "", "acknowledged", "create", 0),
			transition("quote", "QT-001", "approved", "accepted", "accept", 0),
			transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0),
			transition("productOrder", "PO-2", "acknowledged", "failed", "fail", 0),
			transition("productOrder", "PO-1", "inProgress", "completed", "complete", 0),
		)
		assert.Equal(t, []string{"9 ProductOrderStateChangeEvent productOrder:PO-2 state=failed",
			"10 ProductOrderStateChangeEvent productOrder:PO-1 state=completed"}, summary(done.events()))
		assert.Equal(t, []string{"5 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"6 ProductOrderCreateEvent productOrder:PO-2 state=acknowledged"}, summary(created.events()))
		assert.Equal(t, []string{"7 QuoteStateChangeEvent quote:QT-001 state=accepted"}, summary(quotes.events()))
	})
}

// A callback that fails is retried with exponential backoff (100 ms,
// 200 ms, 400 ms, ...), and once it answers it gets that event and the
// rest, in order; its failures hold nobody else up.
func TestRetryWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		flaky := r.listen("HUB-001", "flaky.test", "", events.ProductOrdering)
		steady := r.listen("HUB-002", "steady.test", "", events.ProductOrdering)
		flaky.mu.Lock()
		flaky.fail = 4
		flaky.mu.Unlock()
		began := time.Now()
		r.commit(
			transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
			transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0),
		)
		assert.Len(t, steady.events(), 2, "the other listener is not held up")
		assert.Empty(t, flaky.events())
		time.Sleep(time.Minute) // virtual: the backoff runs out
		synctest.Wait()
		want := []string{"3 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"4 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress"}
		assert.Equal(t, want, summary(flaky.events()))
		var waits []time.Duration
		prev := began
		for _, at := range flaky.tries() {
			waits = append(waits, at.Sub(prev))
			prev = at
		}
		assert.Equal(t, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
			800 * time.Millisecond, 0}, waits, "4 failures, then the event, then the next at once")
	})
}

// The backoff doubles up to its cap (30 s), and a connection refused
// counts as a failure like a 5xx.
func TestBackoffCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		cb := r.listen("HUB-001", "later.test", "", events.ProductOrdering)
		r.net.set("later.test", nil) // not up yet: connection refused
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		// 0.1+0.2+...+25.6 = 51.1 s, then 30 s waits.
		time.Sleep(51*time.Second + 100*time.Millisecond + 2*30*time.Second)
		r.net.set("later.test", cb)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		assert.Equal(t, []string{"2 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged"}, summary(cb.events()))
		assert.Len(t, cb.tries(), 1, "the attempts before were refused")
	})
}

// A removed listener is sent nothing after its removal, and a failing
// one stops being retried; the others go on.
func TestRemovedListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		gone := r.listen("HUB-001", "gone.test", "", events.ProductOrdering)
		down := r.listen("HUB-002", "down.test", "", events.ProductOrdering)
		stays := r.listen("HUB-003", "stays.test", "", events.ProductOrdering)
		down.mu.Lock()
		down.fail = 1 << 30
		down.mu.Unlock()
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Second)
		r.unlisten("HUB-001")
		r.unlisten("HUB-002")
		tried := len(down.tries())
		r.commit(transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0))
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Equal(t, []string{"4 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged"}, summary(gone.events()))
		assert.Len(t, down.tries(), tried, "no attempt after the removal")
		assert.Equal(t, []string{"4 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"7 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress"}, summary(stays.events()))
	})
}

// A restart (store and notifier closed and opened again) resumes every
// listener after its cursor: nothing lost, nothing delivered twice that
// was acknowledged, and the event whose delivery the stop cut short comes
// again with the same eventId. Listeners registered or removed while it
// was down are seen: a removed one is sent nothing more.
func TestRestartResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		cb := r.listen("HUB-001", "crm.test", "", events.ProductOrdering)
		gone := r.listen("HUB-002", "gone.test", "", events.ProductOrdering)
		cb.mu.Lock()
		cb.hang = "4" // the stop finds this one in flight
		cb.mu.Unlock()
		r.commit(
			transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
			transition("productOrder", "PO-2", "", "acknowledged", "create", 0),
		)
		r.stop()
		require.NoError(t, r.st.Close())

		st, err := sqlite.Open(r.file, sqlite.Options{})
		require.NoError(t, err)
		r.st = st
		defer st.Close()
		r.commit(transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0))
		later := r.listen("HUB-003", "later.test", "", events.ProductOrdering) // while down
		r.unlisten("HUB-002")                                                  // while down
		r.commit(transition("productOrder", "PO-1", "inProgress", "completed", "complete", 0))
		assert.Len(t, cb.events(), 1, "nothing while it is down")
		r.open()
		defer r.stop()
		synctest.Wait()
		assert.Equal(t, []string{
			"3 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"4 ProductOrderCreateEvent productOrder:PO-2 state=acknowledged",
			"5 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress",
			"8 ProductOrderStateChangeEvent productOrder:PO-1 state=completed",
		}, summary(cb.events()))
		assert.Equal(t, []string{"8 ProductOrderStateChangeEvent productOrder:PO-1 state=completed"}, summary(later.events()))
		assert.Equal(t, []string{
			"3 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"4 ProductOrderCreateEvent productOrder:PO-2 state=acknowledged",
		}, summary(gone.events()), "removed while the notifier was down: its backlog is not sent")
	})
}

// The notifier needs the store's feed and a directory.
func TestOpenNeedsFeedAndDirectory(t *testing.T) {
	m := store.NewMemory()
	_, err := events.Open(m, events.Options{Feed: m.Feed()})
	assert.ErrorContains(t, err, "no Directory")
	_, err = events.Open(m, events.Options{Directory: &directory{}})
	assert.ErrorContains(t, err, "no Feed")
}

// resume makes a suspended listener active again, as a PATCH would.
func (r *rig) resume(id string) {
	r.dir.mu.Lock()
	l := r.dir.listeners[id]
	l.Suspended = false
	r.dir.listeners[id] = l
	r.dir.mu.Unlock()
	r.commit(store.Record{Kind: "hub", Entity: id, System: "API", To: "updated", Event: "patch"})
}

// A listener whose callback keeps failing is suspended once it failed
// SuspendAfter attempts in a row over at least SuspendWindow: it is tried
// no more and holds nobody up. Made active again, it is sent the event
// that failed and every one after, in order.
func TestSuspendAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.opt = func(o *events.Options) { o.SuspendAfter, o.SuspendWindow = 5, time.Minute }
		r.open()
		defer r.stop()
		down := r.listen("HUB-001", "down.test", "", events.ProductOrdering)
		steady := r.listen("HUB-002", "steady.test", "", events.ProductOrdering)
		down.mu.Lock()
		down.fail = 1 << 30
		down.mu.Unlock()
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Hour)
		synctest.Wait()
		// At 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5, 51.1 and
		// 81.1 s: the 11th attempt is the first a minute after the first.
		tried := len(down.tries())
		assert.Equal(t, 11, tried)
		r.dir.mu.Lock()
		reason, listener := r.dir.suspended["HUB-001"], r.dir.listeners["HUB-001"]
		r.dir.mu.Unlock()
		assert.True(t, listener.Suspended)
		assert.Contains(t, reason, "suspended after 11 failed attempts over 1m21s; last at event 3: the callback answered 500")

		r.commit(transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0))
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Len(t, down.tries(), tried, "no attempt while suspended")
		assert.Equal(t, []string{"3 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"5 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress"}, summary(steady.events()))

		down.mu.Lock()
		down.fail = 0
		down.mu.Unlock()
		r.resume("HUB-001")
		r.commit(transition("productOrder", "PO-1", "inProgress", "completed", "complete", 0))
		assert.Equal(t, []string{"3 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"5 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress",
			"7 ProductOrderStateChangeEvent productOrder:PO-1 state=completed"}, summary(down.events()))
	})
}

// A suspended listener stays suspended over a restart, and resumes after
// one from where it stopped.
func TestSuspendedOverRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.opt = func(o *events.Options) { o.SuspendAfter, o.SuspendWindow = 2, time.Second }
		r.open()
		down := r.listen("HUB-001", "down.test", "", events.ProductOrdering)
		down.mu.Lock()
		down.fail = 1 << 30
		down.mu.Unlock()
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Hour)
		synctest.Wait()
		tried := len(down.tries())
		r.stop()
		r.commit(transition("productOrder", "PO-1", "acknowledged", "inProgress", "start", 0))
		r.open()
		defer r.stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Len(t, down.tries(), tried, "still suspended")
		down.mu.Lock()
		down.fail = 0
		down.mu.Unlock()
		r.resume("HUB-001")
		time.Sleep(time.Hour) // whatever the notifier waits on after a restart is due by then
		synctest.Wait()
		assert.Equal(t, []string{"2 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"4 ProductOrderStateChangeEvent productOrder:PO-1 state=inProgress"}, summary(down.events()))
	})
}

// A callback's user, password and secret query parameters never reach
// the log, whatever fails (a refused connection, an error answer); the
// callback posted to is the one registered, secrets and all.
func TestLogRedactsCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		r := newRig(t)
		r.log = &logs
		r.open()
		defer r.stop()
		secret := "http://bob:hunter2@crm.test/events?token=s3cret&site=7"
		cb := r.listenAt("HUB-001", "crm.test", secret, "", events.ProductOrdering)
		r.net.set("crm.test", nil) // refused
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Second)
		r.net.set("crm.test", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			u, p, _ := req.BasicAuth()
			if u != "bob" || p != "hunter2" || req.URL.Query().Get("token") != "s3cret" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			cb.ServeHTTP(w, req)
		}))
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Len(t, cb.events(), 1, "delivered with its credentials")
		out := logs.String()
		assert.Contains(t, out, "hub: delivery failed")
		assert.Contains(t, out, "REDACTED")
		assert.NotContains(t, out, "hunter2")
		assert.NotContains(t, out, "s3cret")
	})
}

// A redirect is not followed, whatever client the notifier is given: the
// 3xx is a failed delivery, retried; the target of the redirect gets
// nothing.
func TestNoRedirect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		moved := r.listen("HUB-001", "moved.test", "", events.ProductOrdering)
		stolen := &callback{}
		r.net.set("stolen.test", stolen)
		r.net.set("moved.test", http.RedirectHandler("http://stolen.test/events", http.StatusTemporaryRedirect))
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Empty(t, stolen.tries())
		r.net.set("moved.test", moved)
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Len(t, moved.events(), 1, "delivered once the callback answers itself")
		assert.Empty(t, stolen.tries())
	})
}

// The notifier's own client (no Client given) checks the address it
// dials: a listener whose host name resolves to the cloud metadata
// address (it passed registration as a name) is refused at dial time,
// before any packet is sent, as a failed delivery; the log says why.
func TestDialRefusedByNotifier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		callbacks := events.MustCallbacks("public")
		callbacks.Resolve = resolver(map[string]string{"rebind.test": "169.254.169.254"})
		r := newRig(t)
		r.log = &logs
		r.opt = func(o *events.Options) { o.Client, o.Callbacks = nil, callbacks }
		r.open()
		defer r.stop()
		require.NoError(t, callbacks.CheckURL("http://rebind.test/events"))
		r.listenAt("HUB-001", "unused.test", "http://rebind.test/events", "", events.ProductOrdering)
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Positive(t, callbacks.DialsRefused())
		assert.Contains(t, logs.String(), "169.254.169.254: callback address refused: cloud metadata")
	})
}

// An idle listener costs nothing: a thousand registered, nothing to send,
// and the notifier runs one goroutine (its journal reader), not one per
// listener; an event for one of them starts that one's goroutine only
// while it delivers.
func TestIdleListenersCostNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		base := runtime.NumGoroutine()
		r.open()
		defer r.stop()
		var regs []store.Record
		for i := range 1000 {
			id := fmt.Sprintf("HUB-%04d", i+1)
			r.dir.register(events.Listener{ID: id, Callback: "http://idle.test/events", Query: "eventType=ProductOrderStateChangeEvent",
				Base: events.ProductOrdering.Base})
			regs = append(regs, store.Record{Kind: "hub", Entity: id, System: "API", To: "created", Event: "create"})
		}
		busy := r.listen("HUB-BUSY", "busy.test", "eventType=ProductOrderCreateEvent", events.ProductOrdering)
		r.commit(regs...)
		time.Sleep(time.Minute) // polls
		synctest.Wait()
		assert.LessOrEqual(t, runtime.NumGoroutine()-base, 3, "the reader, and what the store's handle holds")
		r.commit(transition("productOrder", "PO-1", "", "acknowledged", "create", 0))
		assert.Len(t, busy.events(), 1)
		assert.LessOrEqual(t, runtime.NumGoroutine()-base, 3, "the busy listener's goroutine ended once it delivered")
	})
}
