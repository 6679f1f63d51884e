package engine

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// device is a fake system outside the process: every call is handed to
// the test (calls), which answers it from a goroutine of its own through
// the replier the engine gave. It configures a key once: a repeated key
// is the same call (docs/architecture.md §2), answered as the first.
type device struct {
	mu         sync.Mutex
	seen       []string
	configured map[string]int
	calls      chan deviceCall
}

type deviceCall struct {
	req   port.Request
	reply port.Replier
}

func newDevice() *device {
	return &device{configured: map[string]int{}, calls: make(chan deviceCall, 64)}
}

func (d *device) Call(_ time.Duration, req *port.Request, reply port.Replier) {
	d.mu.Lock()
	d.seen = append(d.seen, req.Key)
	d.mu.Unlock()
	d.calls <- deviceCall{*req, reply}
}

// answer answers c from a goroutine of its own, configuring its key once,
// and returns when the answer is handed over.
func (d *device) answer(c deviceCall) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.mu.Lock()
		if d.configured[c.req.Key] == 0 {
			d.configured[c.req.Key]++
		}
		d.mu.Unlock()
		c.reply.Reply(0, &port.Result{Key: c.req.Key, System: c.req.System, Op: c.req.Op, Item: c.req.Item, Final: true})
	}()
	<-done
}

func (d *device) keys() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// reserving is a component that reserves one item per order (key
// ROI-<name>/reserve/<attempt>), tries again when an answer is a transient
// error (the failure policy), and journals each answer.
type reserving struct {
	log      *[]string
	attempts map[string]int
	answered chan string
}

func newReserving() *reserving {
	return &reserving{log: new([]string), attempts: map[string]int{}}
}

func (r *reserving) Handle(now time.Duration, msg any, out *Out) {
	switch m := msg.(type) {
	case order:
		out.Record(store.Record{Kind: "roi", Entity: m.Name, To: "ordered"})
		r.call(m.Name, out)
	case *port.Result:
		if m.Err != nil && m.Err.Class == port.Transient {
			out.Record(store.Record{Kind: "roi", Entity: m.Item, To: "retrying", Reason: m.Err.Error()})
			*r.log = append(*r.log, fmt.Sprintf("%s %s %s %s", now, m.Key, m.Err.Code, m.Err.Message))
			r.call(m.Item, out)
		} else {
			out.Record(store.Record{Kind: "roi", Entity: m.Item, To: "reserved"})
			*r.log = append(*r.log, fmt.Sprintf("%s %s reserved", now, m.Key))
		}
		if r.answered != nil {
			r.answered <- m.Key
		}
	}
}

// Snapshot keeps the attempts made per item.
func (r *reserving) Snapshot() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(r.attempts)
	return b.Bytes(), err
}

func (r *reserving) Restore(state []byte) error {
	return gob.NewDecoder(bytes.NewReader(state)).Decode(&r.attempts)
}

func (r *reserving) call(item string, out *Out) {
	r.attempts[item]++
	out.Call(port.Request{Key: fmt.Sprintf("%s/reserve/%d", item, r.attempts[item]), System: port.Access, Op: port.Reserve, Item: item})
}

// Answers of an adapter outside the process come in through the inbox
// from any goroutine, are handled in the order they arrive, and are logged
// like any input from outside; a replay of that log calls the adapter zero
// times and reaches the same journal (docs/architecture.md §5: answers
// through the inbox; replay never calls an outside adapter again).
func TestOutsideAnswersFromManyGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		codec := NewCodec(order{})
		start := time.Now()
		e := New(Options{Clock: &Wall{Start: start}, Store: mem, Log: mem, Codec: codec})
		r := newReserving()
		e.Handle(ROM, r)
		dev := newDevice()
		e.Attach(dev, port.Access)
		stop := serve(t, e)
		for i := range 8 {
			e.Submit(ROM, order{fmt.Sprintf("ROI-%03d", i+1)})
		}
		var calls []deviceCall
		for range 8 {
			calls = append(calls, <-dev.calls)
		}
		// Answered in the reverse order, each from a goroutine of its own.
		var want []string
		for i := len(calls) - 1; i >= 0; i-- {
			dev.answer(calls[i])
			want = append(want, "0s "+calls[i].req.Key+" reserved")
		}
		synctest.Wait()
		stop()
		assert.Equal(t, want, *r.log, "handled in the order of arrival")
		assert.Equal(t, 0, e.OutsideWaiting())
		var logged []string
		for _, in := range mem.Inputs() {
			if in.Kind == "*port.Result" {
				res, err := codec.Decode(in.Kind, in.Body)
				require.NoError(t, err)
				logged = append(logged, "0s "+res.(*port.Result).Key+" reserved")
			}
		}
		assert.Equal(t, want, logged, "every answer is in the input log, in order")

		// A full replay takes the answers from the log.
		held := mem.Records()
		resumed := store.Resume(mem, held)
		again := newReserving()
		dev2 := newDevice()
		r2 := New(Options{Clock: &Wall{Start: start}, Store: resumed, Log: mem, Codec: codec})
		r2.Handle(ROM, again)
		r2.Attach(dev2, port.Access)
		require.NoError(t, r2.Replay(context.Background(), mem.Inputs(), resumed.Caught))
		assert.Empty(t, dev2.keys(), "a replay calls the outside adapter zero times")
		assert.Equal(t, *r.log, *again.log)
		assert.Equal(t, 0, r2.OutsideWaiting(), "every call's answer was in the log: nothing to send again")
		assert.Equal(t, len(held), mem.Len(), "the replay committed nothing twice")
	})
}

// stray is a type no codec knows.
type stray struct{ Key string }

// An answer whose type the codec does not know is not dropped: it is
// refused, journalled as refused (naming its type and why), and a replay
// refuses it again; the call it was meant for then ends at its deadline
// (docs/architecture.md §8: what cannot be applied is refused and
// recorded).
func TestOutsideUnknownAnswerIsAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		codec := NewCodec(order{})
		start := time.Now()
		opt := Options{Clock: &Wall{Start: start}, Store: mem, Log: mem, Codec: codec, Deadline: time.Minute}
		e := New(opt)
		r := newReserving()
		e.Handle(ROM, r)
		dev := newDevice()
		e.Attach(dev, port.Access)
		stop := serve(t, e)
		e.Submit(ROM, order{"ROI-001"})
		c := <-dev.calls
		go e.Submit(ROM, stray{c.req.Key}) // an adapter's answer of a type of its own
		synctest.Wait()
		var refused []store.Record
		require.NoError(t, e.Query(context.Background(), func() {
			for _, rec := range mem.Records() {
				if rec.Kind == Refused {
					refused = append(refused, rec)
				}
			}
		}))
		require.Len(t, refused, 1)
		assert.Equal(t, "engine.stray", refused[0].Entity)
		assert.Contains(t, refused[0].Reason, ErrNotCommand.Error())
		time.Sleep(time.Minute) // the fake clock of the bubble: the call's deadline passes
		synctest.Wait()
		stop()
		assert.EqualValues(t, 1, e.Refusals())
		require.Len(t, *r.log, 1)
		assert.Contains(t, (*r.log)[0], "1m0s ROI-001/reserve/1 deadline", "the call ended at its deadline")

		held := mem.Records()
		resumed := store.Resume(mem, held)
		opt.Store = resumed
		r2 := New(opt)
		r2.Handle(ROM, newReserving())
		r2.Attach(newDevice(), port.Access)
		require.NoError(t, r2.Replay(context.Background(), mem.Inputs(), resumed.Caught), "the replay refuses it again, to the same record")
		assert.EqualValues(t, 1, r2.Refusals())
	})
}

// A call with no final answer by its deadline is answered with a
// transient error, which the failure policy tries again under a new key;
// an answer to the first call that comes after its deadline is logged and
// ignored (docs/architecture.md §5: every call has a deadline that becomes
// a transient error for the failure policy).
func TestOutsideDeadlineIsTransient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		start := time.Now()
		e := New(Options{Clock: &Wall{Start: start}, Store: mem, Log: mem, Codec: NewCodec(order{}),
			Deadlines: map[port.System]time.Duration{port.Access: 30 * time.Second}})
		r := newReserving()
		e.Handle(ROM, r)
		dev := newDevice()
		e.Attach(dev, port.Access)
		stop := serve(t, e)
		e.Submit(ROM, order{"ROI-001"})
		first := <-dev.calls
		second := <-dev.calls // sent at the deadline of the first
		assert.Equal(t, 30*time.Second, time.Since(start))
		dev.answer(first) // late
		synctest.Wait()
		dev.answer(second)
		synctest.Wait()
		stop()
		assert.Equal(t, []string{"ROI-001/reserve/1", "ROI-001/reserve/2"}, dev.keys())
		require.Len(t, *r.log, 2, "the late answer is not handed to ROM: %q", *r.log)
		assert.Equal(t, "30s ROI-001/reserve/1 deadline no answer from access to reserve ROI-001/reserve/1 within 30s", (*r.log)[0])
		assert.Equal(t, "30s ROI-001/reserve/2 reserved", (*r.log)[1])
		var states []string
		for _, rec := range mem.Records() {
			states = append(states, rec.To)
		}
		assert.Equal(t, []string{"ordered", "retrying", "reserved"}, states)
		assert.Len(t, e.AdapterLatency()[port.Access].Buckets, len(LatencyBuckets)+1)
		assert.EqualValues(t, 2, e.AdapterLatency()[port.Access].Count, "the deadline and the answer end one call each")
	})
}

// A crash after a call went out but before its answer was logged: the
// restarted engine replays without calling the device, then sends the
// call again with the same idempotency key, once; the device sees the key
// twice and configures once, and the answer reaches the component. A
// second restart replays everything, the re-send included, and sends
// nothing (docs/architecture.md §2: after a crash the driver re-issues
// every request that has no completion, with the same key).
func TestOutsideCallSentAgainAfterCrash(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	codec := func() *Codec { return NewCodec(order{}) }
	dev := newDevice()
	start := time.Now()
	boot := func() (*Engine, *reserving, *sqlite.Store) {
		st, err := sqlite.Open(file, sqlite.Options{})
		require.NoError(t, err)
		held, err := st.Records()
		require.NoError(t, err)
		logged, err := st.Inputs()
		require.NoError(t, err)
		resumed := store.Resume(st, held)
		e := New(Options{Clock: &Wall{Start: start}, Store: resumed, Log: st, Codec: codec()})
		r := newReserving()
		r.answered = make(chan string, 8)
		e.Handle(ROM, r)
		e.Attach(dev, port.Access)
		if len(held) > 0 || len(logged) > 0 {
			require.NoError(t, e.Replay(context.Background(), logged, resumed.Caught))
		}
		return e, r, st
	}

	e, _, st := boot()
	stop := serve(t, e)
	_, err := e.Command(context.Background(), ROM, order{"ROI-001"})
	require.NoError(t, err)
	c := within(t, dev.calls)
	assert.Equal(t, "ROI-001/reserve/1", c.req.Key)
	stop() // the crash: the device has the call, the engine no answer
	require.NoError(t, st.Close())

	e, r, st := boot()
	assert.Equal(t, []string{"ROI-001/reserve/1"}, dev.keys(), "the replay did not call the device")
	assert.Equal(t, 1, e.OutsideWaiting(), "the call waits for its answer")
	stop = serve(t, e)
	again := within(t, dev.calls)
	assert.Equal(t, c.req, again.req, "the same request, the same key")
	dev.answer(again)
	assert.Equal(t, "ROI-001/reserve/1", within(t, r.answered))
	stop()
	require.NoError(t, st.Close())
	assert.Equal(t, []string{"ROI-001/reserve/1", "ROI-001/reserve/1"}, dev.keys(), "the key seen twice")
	assert.Equal(t, map[string]int{"ROI-001/reserve/1": 1}, dev.configured, "and configured once")

	e, r, st = boot()
	defer st.Close()
	assert.Equal(t, 0, e.OutsideWaiting())
	require.Len(t, *r.log, 1)
	assert.True(t, strings.HasSuffix((*r.log)[0], " ROI-001/reserve/1 reserved"), "the replay hands over the logged answer: %q", *r.log)
	stop = serve(t, e)
	stop()
	assert.Len(t, dev.keys(), 2, "nothing sent again")
	var states []string
	recs, err := st.Records()
	require.NoError(t, err)
	for _, rec := range recs {
		states = append(states, rec.To)
	}
	assert.Equal(t, []string{"ordered", "reserved"}, states, "one answer, journalled once")
}

// within is the next value of ch, or the test fails if none comes for ten
// seconds (a guard, not a wait the test depends on).
func within[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	guard := time.NewTimer(10 * time.Second)
	defer guard.Stop()
	select {
	case v := <-ch:
		return v
	case <-guard.C:
		t.Fatal("nothing came within ten seconds")
	}
	panic("unreachable")
}

// A snapshot keeps the calls waiting for an outside answer: an engine
// restored from it sends them again, with their keys, and takes their
// answers (docs/architecture.md §2, Snapshots).
func TestOutsideCallsKeptBySnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		opt := func() Options {
			mem := store.NewMemory()
			return Options{Clock: &Wall{Start: start}, Store: mem, Log: mem, Codec: NewCodec(order{})}
		}
		dev := newDevice()
		e := New(opt())
		e.Handle(ROM, newReserving())
		e.Attach(dev, port.Access)
		stop := serve(t, e)
		e.Submit(ROM, order{"ROI-001"})
		first := <-dev.calls
		stop()
		snap, err := e.Snapshot()
		require.NoError(t, err)

		r := New(opt())
		again := newReserving()
		r.Handle(ROM, again)
		r.Attach(dev, port.Access)
		require.NoError(t, r.Restore(snap))
		assert.Equal(t, 1, r.OutsideWaiting())
		stop = serve(t, r)
		second := <-dev.calls
		assert.Equal(t, first.req, second.req)
		dev.answer(second)
		synctest.Wait()
		stop()
		assert.Equal(t, 0, r.OutsideWaiting())
		require.Len(t, *again.log, 1)
		assert.Contains(t, (*again.log)[0], "ROI-001/reserve/1 reserved")
		assert.Equal(t, map[string]int{"ROI-001": 1}, again.attempts)
		assert.Equal(t, []string{"ROI-001/reserve/1", "ROI-001/reserve/1"}, dev.keys())
	})
}

// A run (not serving) ends with the last answer of its outside calls, not
// at their deadlines: a deadline whose call was answered is dropped, so a
// year's deadline on the wall clock does not hold the run a year.
func TestOutsideAnsweredDeadlineDoesNotHoldTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		start := time.Now()
		e := New(Options{Clock: &Wall{Start: start}, Store: mem, Codec: NewCodec(order{}),
			Deadlines: map[port.System]time.Duration{port.Access: 365 * 24 * time.Hour}})
		r := newReserving()
		e.Handle(ROM, r)
		dev := newDevice()
		e.Attach(dev, port.Access)
		e.Inject(time.Second, ROM, order{"ROI-001"})
		done := make(chan error, 1)
		go func() { done <- e.Run(context.Background()) }()
		call := <-dev.calls
		time.Sleep(5 * time.Second) // the device takes 5 s of the bubble's fake time
		dev.answer(call)
		require.NoError(t, <-done)
		assert.Equal(t, 6*time.Second, time.Since(start), "the run ends with the answer")
		assert.Equal(t, []string{"6s ROI-001/reserve/1 reserved"}, *r.log)
	})
}

// updatingDevice is a device that takes updates (port.Updater).
type updatingDevice struct {
	*device
	updates chan port.Request
}

func (d *updatingDevice) Update(req *port.Request) { d.updates <- *req }

// updater updates its call in flight when told (update), once the call
// is out.
type updater struct{ key string }

type update struct{ VLAN int }

func (u *updater) Handle(_ time.Duration, msg any, out *Out) {
	switch m := msg.(type) {
	case order:
		u.key = m.Name + "/commit/1"
		out.Call(port.Request{Key: u.key, System: port.ZTP, Op: port.Commit, Item: m.Name})
	case update:
		out.Update(port.Request{Key: u.key, System: port.ZTP, Op: port.Commit, Item: "ROI-006", Config: port.Config{VLAN: m.VLAN}})
	case *port.Result:
		out.Record(store.Record{Kind: "roi", Entity: m.Item, To: "committed"})
	}
}

// An update of a call in flight reaches an outside adapter that takes
// updates, as an update and not a call, and answers nothing; the call's
// answer ends it, and an update after that reaches no one.
func TestOutsideUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		e := New(Options{Clock: &Wall{Start: time.Now()}, Store: mem, Log: mem, Codec: NewCodec(order{}, update{})})
		e.Handle(ROM, &updater{})
		dev := &updatingDevice{device: newDevice(), updates: make(chan port.Request, 4)}
		e.Attach(dev, port.ZTP)
		stop := serve(t, e)
		e.Submit(ROM, order{"ROI-006"})
		call := <-dev.calls
		e.Submit(ROM, update{VLAN: 2108})
		synctest.Wait()
		require.Len(t, dev.updates, 1)
		got := <-dev.updates
		assert.Equal(t, "ROI-006/commit/1", got.Key)
		assert.Equal(t, 2108, got.Config.VLAN)
		assert.Equal(t, []string{"ROI-006/commit/1"}, dev.keys(), "an update is not a call")
		dev.answer(call)
		synctest.Wait()
		e.Submit(ROM, update{VLAN: 2109})
		synctest.Wait()
		stop()
		assert.Empty(t, dev.updates, "the call has ended")
		require.Len(t, mem.Records(), 1)
		assert.Equal(t, "committed", mem.Records()[0].To)
	})
}

// The replier of an outside adapter says when the answers it took are
// durable (port.Settler): once Settled returns, the answer is in the
// store's input log, so that a crash after it cannot make the engine
// forget an answer the adapter's far side has been told of. An engine
// that takes no inputs never says so: Settled ends with its context.
func TestOutsideSettledOnceTheAnswerIsLogged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	e := New(Options{Clock: &Wall{Start: time.Now()}, Store: st, Log: st, Codec: NewCodec(order{})})
	e.Handle(ROM, newReserving())
	dev := newDevice()
	e.Attach(dev, port.Access)
	stop := serve(t, e)
	_, err = e.Command(context.Background(), ROM, order{"ROI-001"})
	require.NoError(t, err)
	c := within(t, dev.calls)
	settler, ok := c.reply.(port.Settler)
	require.True(t, ok, "an outside adapter's replier is a port.Settler")

	logged := func() []string {
		inputs, err := st.Inputs()
		require.NoError(t, err)
		var kinds []string
		for _, in := range inputs {
			kinds = append(kinds, in.Kind)
		}
		return kinds
	}
	c.reply.Reply(0, &port.Result{Key: c.req.Key, System: c.req.System, Op: c.req.Op, Item: c.req.Item, Final: true})
	require.NoError(t, settler.Settled(context.Background()))
	assert.Contains(t, logged(), "*port.Result", "the answer is durable once Settled returns")
	stop()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, settler.Settled(ctx), context.DeadlineExceeded, "a stopped engine says nothing is durable")
}

// A run (not a server) with adapters outside the process takes the
// queries of their repliers like their answers, even once no call
// waits: an adapter that asks whether an answer is durable (Settled)
// is told while the run goes on, not left waiting until it ends.
func TestOutsideSettledInARun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		e := New(Options{Clock: &Wall{Start: time.Now()}, Store: mem, Log: mem, Codec: NewCodec(order{})})
		e.Handle(ROM, newReserving())
		dev := newDevice()
		e.Attach(dev, port.Access)
		e.Inject(0, ROM, order{"ROI-001"})
		e.Inject(time.Hour, ROM, "the run goes on for an hour")
		ran := make(chan error, 1)
		go func() { ran <- e.Run(context.Background()) }()
		c := <-dev.calls
		c.reply.Reply(0, &port.Result{Key: c.req.Key, System: c.req.System, Op: c.req.Op, Item: c.req.Item, Final: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, c.reply.(port.Settler).Settled(ctx), "told within the minute, while the run goes on")
		select {
		case err := <-ran:
			t.Fatalf("the run ended first: %v", err)
		default:
		}
		require.NoError(t, <-ran)
	})
}
