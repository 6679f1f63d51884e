package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
)

// Snapshotter is a part of a running system whose state a snapshot keeps: a
// component (Handler), an in-process adapter (the twin), a peer link, or
// anything else the run's outcome depends on (Engine.Keep). Snapshot is
// called between two steps, the engine standing still, on a goroutine of
// its own beside the other parts'; Restore is called once, on a part
// freshly built exactly as the saved one was (same configuration), before
// the engine runs, beside the other parts' too. Each reads and sets its
// own state only. Restore then Snapshot must give
// back the same bytes: the encoding is deterministic (no map iteration
// order in it).
type Snapshotter interface {
	Snapshot() ([]byte, error)
	Restore(state []byte) error
}

// ShelfRestorer is a Snapshotter whose state, restored from a snapshot of
// an earlier build, may need what it shelved (a part's index that build
// did not keep): Engine.Restore calls RestoreShelf once every part is
// restored, with the engine's shelf (nil when its store keeps none). The
// shelf holds what was shelved up to the end of the journal, after the
// snapshot's point too: the part takes from it only what it held then.
type ShelfRestorer interface {
	RestoreShelf(shelf store.Shelf) error
}

// StateAppender is a Snapshotter that can append its state (what Snapshot
// returns) to a buffer: the engine keeps one a part between snapshots, so
// that a large state is encoded into room already touched instead of a
// buffer grown anew each time (most of a snapshot's cost, the growth and
// its first touch of fresh pages, for the largest parts).
type StateAppender interface {
	AppendState(b []byte) ([]byte, error)
}

// Trim lets go of what the engine keeps only to go faster under load: the
// buffers its parts' states were last encoded into (StateAppender), as
// large as a snapshot. An idle server gives them back; the next snapshot
// grows them again. Call it on the engine's goroutine (in a Query).
func (e *Engine) Trim() { e.scratch, e.scratchHead = nil, nil }

// Messages is implemented by a component whose own messages (its timers,
// the continuations of its calls) can wait in the engine's queue: the
// engine registers their types with its codec, so that a snapshot keeps
// the queue. Every message a component sends or is sent must be data: no
// pointer into a component's state, no function.
type Messages interface {
	Messages() []any
}

// ErrBusy is the error of a snapshot asked for while the engine is in the
// middle of something a snapshot cannot keep: inputs of the current
// instant not handled yet, commands taken and not answered, or records
// not yet committed.
var ErrBusy = errors.New("engine busy: no snapshot now")

// saved is the engine's own state in a snapshot, and the names of its
// parts. A snapshot's body is the gob of saved, then each part's state in
// the order of Parts, each preceded by its length (a uvarint): the parts,
// most of the bytes, are neither copied nor decoded twice.
type saved struct {
	Processed, Refusals uint64
	Now, Changed        time.Duration
	Records             uint64
	Queue               []queued
	// Heads are the descriptions of the queued inputs' types, one a kind,
	// which the bodies of the inputs marked Split follow.
	Heads []queuedHead
	Parts []string
	// Outside are the calls to adapters outside the process waiting for
	// their answers.
	Outside []outsideCall
	// Latency is the adapter latency histogram (by system) and the calls
	// it still waits the answers of: a restart's metrics go on from them.
	Latency []savedHistogram
	Waiting []savedSent
}

// savedHistogram is one system's latency histogram in a snapshot.
type savedHistogram struct {
	System    port.System
	Histogram Histogram
}

// savedSent is a call in flight, as the latency histogram waits for it.
type savedSent struct {
	Key    string
	System port.System
	At     time.Duration
}

// savedHead is the first byte of a snapshot's body whose saved state is
// encoded by AppendState (its long queue in runs), after its length; a
// body that begins otherwise (an earlier build's) is the gob of saved.
const savedHead = 0

// decodeSaved decodes the engine's state at the head of a snapshot's body,
// and returns the parts' states after it.
func decodeSaved(body []byte) (saved, []byte, error) {
	var st saved
	if len(body) > 0 && body[0] == savedHead {
		n, k := binary.Uvarint(body[1:])
		if k <= 0 || n > uint64(len(body)-1-k) {
			return st, nil, errors.New("the engine's state is cut short")
		}
		head, rest := body[1+k:1+k+int(n)], body[1+k+int(n):]
		return st, rest, DecodeState(head, &st)
	}
	r := bytes.NewReader(body)
	if err := gob.NewDecoder(r).Decode(&st); err != nil {
		return st, nil, err
	}
	return st, body[len(body)-r.Len():], nil
}

// sameHead tells cheaply whether a and b are one head: a Shelver hands out
// its preamble as it stands, which only grows, so two heads of one
// encoder and of one length share their bytes (a queue of thousands of
// inputs of a kind compares no bytes).
func sameHead(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// queued is an input waiting in the queue, encoded by the codec: Body is
// the whole stream, or when Split, what follows its kind's head.
type queued struct {
	At    time.Duration
	To    Address
	Kind  string
	Body  []byte
	Split bool
}

// queuedHead is the description of the types of the queued inputs of a
// kind (Codec.EncodeSplit).
type queuedHead struct {
	Kind string
	Head []byte
}

// named is a Snapshotter and the name its state is saved under.
type named struct {
	name string
	s    Snapshotter
}

// Keep adds s, under name, to what a snapshot saves: state that is neither
// a component nor an adapter (a scenario's triggered events). Call it
// before the engine runs.
func (e *Engine) Keep(name string, s Snapshotter) { e.kept = append(e.kept, named{name, s}) }

// parts lists every part of the system a snapshot saves, in a fixed order:
// the components by address, the peers by address, the adapters by the
// first system each serves, then what Keep added. A part that cannot be
// saved is an error naming it.
func (e *Engine) parts() ([]named, error) {
	var ps []named
	for a, h := range e.handlers {
		if h == nil {
			continue
		}
		s, ok := h.(Snapshotter)
		if !ok {
			return nil, fmt.Errorf("snapshot: component %s (%T) keeps no snapshot", Address(a), h)
		}
		ps = append(ps, named{Address(a).String(), s})
	}
	for a, p := range e.peers {
		if p == nil {
			continue
		}
		s, ok := p.(Snapshotter)
		if !ok {
			return nil, fmt.Errorf("snapshot: the peer of %s (%T) keeps no snapshot", Address(a), p)
		}
		ps = append(ps, named{"peer " + Address(a).String(), s})
	}
	systems := make([]port.System, 0, len(e.adapters))
	for sys := range e.adapters {
		systems = append(systems, sys)
	}
	slices.Sort(systems)
	var seen []port.Adapter
	for _, sys := range systems {
		ad := e.adapters[sys]
		if slices.Contains(seen, ad) || e.isOutside(sys) {
			continue // an outside adapter's state is outside; its calls are the engine's
		}
		seen = append(seen, ad)
		s, ok := ad.(Snapshotter)
		if !ok {
			return nil, fmt.Errorf("snapshot: the adapter of %s (%T) keeps no snapshot", sys, ad)
		}
		ps = append(ps, named{"adapter " + string(sys), s})
	}
	return append(ps, e.kept...), nil
}

// Snapshot saves the state of the engine and of every part of the system
// (components, adapters, peers, what Keep added) between two steps. It
// runs on the engine's goroutine: before the engine runs or after it
// stops, or from a Query. It waits until everything handled is committed;
// it fails with ErrBusy while inputs of the current instant or commands
// taken from the inbox wait to be handled.
func (e *Engine) Snapshot() (store.Snapshot, error) {
	e.saved() // the buffers a snapshot being written reads are reused below
	t, err := e.encode()
	if err != nil {
		return store.Snapshot{}, err
	}
	return t.pieces().Whole(), nil
}

// encoded is a snapshot as the engine encodes it, between two steps: its
// head (the engine's own state) and its parts' states, in the buffers the
// engine keeps (scratch), which the store writes as they are (pieces)
// while the engine goes on.
type encoded struct {
	store.Snapshot
	head   []byte
	states [][]byte
}

// pieces returns t with its body in pieces (store.Snapshot.Pieces):
// savedHead and the head's length, the head, then each part's state after
// its length. Assembled, they are the body.
func (t encoded) pieces() store.Snapshot {
	lens := make([]byte, 0, (1+len(t.states))*binary.MaxVarintLen64+1)
	lens = binary.AppendUvarint(append(lens, savedHead), uint64(len(t.head)))
	s := t.Snapshot
	s.Pieces = append(make([][]byte, 0, 2+2*len(t.states)), lens, t.head)
	for _, b := range t.states {
		at := len(lens)
		lens = binary.AppendUvarint(lens, uint64(len(b)))
		s.Pieces = append(s.Pieces, lens[at:], b)
	}
	return s
}

// encode encodes the state of the engine and of its parts into the
// engine's buffers (Snapshot).
func (e *Engine) encode() (encoded, error) {
	if e.due.len() > 0 || e.taken > 0 {
		return encoded{}, ErrBusy
	}
	if err := e.durable(); err != nil {
		return encoded{}, err
	}
	ps, err := e.parts()
	if err != nil {
		return encoded{}, err
	}
	// The parts are saved side by side, each on a goroutine of its own
	// while this one encodes the queue: the engine stands still the
	// longest part's time, not the sum (each part's state is its own).
	states := make([][]byte, len(ps))
	errs := make([]error, len(ps))
	if len(e.scratch) != len(ps) {
		e.scratch = make([][]byte, len(ps))
	}
	var parts sync.WaitGroup
	for i, p := range ps {
		if a, ok := p.s.(StateAppender); ok {
			parts.Go(func() {
				states[i], errs[i] = a.AppendState(roomFor(e.scratch[i]))
				e.scratch[i] = keepRoom(states[i])
			})
			continue
		}
		parts.Go(func() { states[i], errs[i] = p.s.Snapshot() })
	}
	st := saved{Processed: e.processed, Refusals: e.refusals, Now: e.now, Changed: e.changed, Records: e.recorded, Outside: e.outside.saved()}
	st.Latency, st.Waiting = e.latency.saved()
	var queueErr error
	heads := map[string]int{} // kind → index in st.Heads
	for in := range e.queue.all() {
		kind, head, body, err := e.codec.EncodeSplit(in.Msg)
		if err != nil {
			queueErr = fmt.Errorf("snapshot: an input for %s at %s: %w", in.To, in.At, err)
			break
		}
		q := queued{At: in.At, To: in.To, Kind: kind, Body: body}
		if head != nil {
			// Each kind's types described once: the head as it stands after
			// the last input of the kind, which begins with every earlier
			// one's (unless its encoder started again: then this input
			// keeps its own).
			k, seen := heads[kind]
			switch {
			case !seen:
				heads[kind] = len(st.Heads)
				st.Heads = append(st.Heads, queuedHead{kind, head})
				q.Split = true
			case sameHead(head, st.Heads[k].Head) || bytes.HasPrefix(head, st.Heads[k].Head):
				st.Heads[k].Head = head
				q.Split = true
			default:
				q.Body = append(slices.Clip(head), body...)
			}
		}
		st.Queue = append(st.Queue, q)
	}
	parts.Wait()
	if queueErr != nil {
		return encoded{}, queueErr
	}
	for i, p := range ps {
		if errs[i] != nil {
			return encoded{}, fmt.Errorf("snapshot: %s: %w", p.name, errs[i])
		}
		st.Parts = append(st.Parts, p.name)
	}
	head, err := AppendState(e.scratchHead[:0], &st)
	if err != nil {
		return encoded{}, fmt.Errorf("snapshot: encode: %w", err)
	}
	e.scratchHead = keepRoom(head)
	return encoded{Snapshot: store.Snapshot{Inputs: e.processed, Records: e.recorded, At: e.now}, head: head, states: states}, nil
}

// roomFor returns last emptied, or a buffer twice as long when last has
// less than a quarter of its length to spare: a state that grows from one
// snapshot to the next is encoded into a buffer taken once, instead of
// one grown (copied, and its fresh pages touched) several times while the
// engine stands still.
func roomFor(last []byte) []byte {
	if cap(last) < len(last)+len(last)/4 {
		return make([]byte, 0, 2*len(last))
	}
	return last[:0]
}

// keepRoom is what the engine keeps of the buffer a state was encoded
// into, for the next snapshot: the buffer, unless the state fills less
// than a quarter of a large one (a state that shrank: the orders of a
// busy spell finished). Then it keeps nothing, and the buffer is garbage
// once the snapshot is written, instead of the peak's size held for ever.
func keepRoom(b []byte) []byte {
	if cap(b) > keepRoomMin && len(b) < cap(b)/4 {
		return nil
	}
	return b
}

// keepRoomMin is the size under which a buffer is kept whatever it holds.
const keepRoomMin = 1 << 20

// Restore sets a freshly built engine and its parts to the state of a
// snapshot: the queue is the snapshot's (what was queued when the system
// was built is dropped), and so are the time, the counts and every part's
// state. The system must be built as the saved one was: the same parts, in
// the same order. Call it before the engine runs; then Replay the inputs
// logged after the snapshot.
func (e *Engine) Restore(s store.Snapshot) error {
	if e.running {
		return errors.New("restore: the engine is running")
	}
	st, rest, err := decodeSaved(s.Body)
	if err != nil {
		return fmt.Errorf("restore: decode: %w", err)
	}
	states := make([][]byte, len(st.Parts))
	for i, name := range st.Parts {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return fmt.Errorf("restore: the state of %s is cut short", name)
		}
		states[i], rest = rest[k:k+int(n)], rest[k+int(n):]
	}
	if len(rest) > 0 {
		return fmt.Errorf("restore: %d bytes after the last part", len(rest))
	}
	ps, err := e.parts()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	have := make([]string, len(ps))
	for i, p := range ps {
		have[i] = p.name
	}
	if !slices.Equal(have, st.Parts) {
		return fmt.Errorf("restore: the snapshot keeps %q, this system has %q", st.Parts, have)
	}
	queue := make([]Input, 0, len(st.Queue))
	heads := make(map[string][]byte, len(st.Heads))
	for _, h := range st.Heads {
		heads[h.Kind] = h.Head
	}
	var whole []byte
	for _, q := range st.Queue {
		body := q.Body
		if q.Split {
			head, ok := heads[q.Kind]
			if !ok {
				return fmt.Errorf("restore: a queued %s without the description of its types", q.Kind)
			}
			whole = append(append(whole[:0], head...), q.Body...)
			body = whole
		}
		msg, err := e.codec.Decode(q.Kind, body)
		if err != nil {
			return fmt.Errorf("restore: an input for %s at %s: %w", q.To, q.At, err)
		}
		queue = append(queue, Input{At: q.At, To: q.To, Msg: msg})
	}
	// Side by side too, as they were saved.
	errs := make([]error, len(ps))
	var parts sync.WaitGroup
	for i, p := range ps {
		parts.Go(func() { errs[i] = p.s.Restore(states[i]) })
	}
	parts.Wait()
	for i, p := range ps {
		if errs[i] != nil {
			return fmt.Errorf("restore: %s: %w", p.name, errs[i])
		}
	}
	for _, p := range ps {
		if r, ok := p.s.(ShelfRestorer); ok {
			if err := r.RestoreShelf(e.shelf); err != nil {
				return fmt.Errorf("restore: %s: %w", p.name, err)
			}
		}
	}
	e.queue, e.due = inputQueue{}, fifo{}
	e.processed, e.refusals, e.now, e.changed, e.recorded = st.Processed, st.Refusals, st.Now, st.Changed, st.Records
	e.snaps.last, e.snaps.resumed = st.Processed, true
	e.snaps.size.Store(int64(len(s.Body)))
	e.outside.restore(st.Outside)
	e.latency.restore(st.Latency, st.Waiting)
	for _, in := range queue {
		e.queue.push(in)
	}
	return nil
}

// registerMessages adds the message types of h, when it says them
// (Messages), to the codec.
func (e *Engine) registerMessages(h any) {
	if m, ok := h.(Messages); ok {
		e.codec.Register(m.Messages()...)
	}
}

// SnapshotPolicy says when a serving engine takes its snapshots (Snapshot)
// and where it keeps them: after every Every inputs or Interval of wall
// time, whichever comes first, at the next moment between two steps when
// it can, and when it stops; but never sooner than nine times the last
// one's cost (encoding and writing it) after it, so that snapshots take at
// most a tenth of the time.
//
// The defaults bound a crash restart: it loads the latest snapshot and
// replays what followed, about 100,000 inputs a second here (the national
// rollout's 400,000 from T+0: ready after 4.2 s). On that rollout at
// 2,000,000 virtual seconds a second (400,000 inputs in 12 s), a snapshot
// with the rollout in flight is 20 to 48 MB and takes 0.4 to 1.3 s, one of
// the rollout done 3 MB and 0.1 to 0.15 s (docs/architecture.md §2):
// every 50,000 inputs keeps a restart's replay to about half a second,
// every minute keeps it to a minute's work when the rate is low, and the
// tenth keeps a burst of work from paying more than that for them.
type SnapshotPolicy struct {
	// Store keeps the snapshots; none are taken without one.
	Store store.Snapshots
	// Every is a number of inputs (0: DefaultSnapshotEvery); Interval a
	// wall time (0: DefaultSnapshotInterval).
	Every    uint64
	Interval time.Duration
	// Told, when set, is told of each snapshot taken, or why it failed.
	Told func(s store.Snapshot, took SnapshotTook, err error)
	// Take, when set, takes the snapshots beside the engine while it is
	// given commands (and the last snapshot was not small: besideMin),
	// which then never stands still for one: the engine marks the point, between two
	// steps (at, with no body: the inputs handled, the records made, the
	// virtual time), and Take, on a goroutine of its own once the point's
	// records are committed, returns the state the engine had there,
	// rebuilt from the store in a process of its own
	// (system.TakeSnapshot), and the processor time that took, which is
	// then the snapshot's cost. Store keeps it. ctx ends when the engine
	// stops: then the engine encodes the last snapshot itself.
	Take func(ctx context.Context, at store.Snapshot) (s store.Snapshot, cpu time.Duration, err error)
	// TakeAlways has Take take every snapshot but the clean stop's, commands
	// or not, small or not.
	TakeAlways bool
}

// SnapshotTook is what a snapshot cost: Stood, the engine standing still
// while it encoded the state (no input handled, no command answered);
// Took, until the store kept it (the rest written beside the engine); CPU,
// for one taken beside the engine (SnapshotPolicy.Take), the processor
// time its taker spent.
type SnapshotTook struct {
	Stood, Took, CPU time.Duration
}

// The default snapshot policy (SnapshotPolicy).
const (
	DefaultSnapshotEvery    = 50_000
	DefaultSnapshotInterval = time.Minute
)

// snapshotShare is the most of the wall time a serving engine's snapshots
// take, as a fraction 1/snapshotShare.
const snapshotShare = 10

func (p SnapshotPolicy) withDefaults() SnapshotPolicy {
	if p.Every == 0 {
		p.Every = DefaultSnapshotEvery
	}
	if p.Interval == 0 {
		p.Interval = DefaultSnapshotInterval
	}
	return p
}

// snapshots is a serving engine's policy, and where it stands.
type snapshots struct {
	SnapshotPolicy
	// last and lastAt are the inputs handled at the latest snapshot and
	// when it was taken (or when the engine started).
	last   uint64
	lastAt time.Time
	// cost is how long the latest snapshot took, encoded and written, in
	// nanoseconds (written by the goroutine that writes it).
	cost atomic.Int64
	// saving is closed once the snapshot being written is kept; beside
	// says it is taken beside the engine (Take), which stop cancels.
	saving chan struct{}
	beside context.CancelFunc
	// commands counts the commands taken since the latest snapshot; size
	// is the latest snapshot's, -1 before the first.
	commands int
	size     atomic.Int64
	// resumed says the engine was restored or replayed, and has taken no
	// snapshot since (besides).
	resumed bool
	// failed says the latest snapshot taken beside the engine failed.
	failed atomic.Bool
}

// due reports whether a snapshot is due, after processed inputs.
func (s *snapshots) due(processed uint64) bool {
	if s.Store == nil || processed <= s.last {
		return false
	}
	since := time.Since(s.lastAt)
	if since < (snapshotShare-1)*time.Duration(s.cost.Load()) {
		return false
	}
	return processed-s.last >= s.Every || since >= s.Interval
}

// saved waits until the snapshot being written, if any, is kept (or
// failed): it reads the engine's buffers. One taken beside the engine is
// cut short.
func (e *Engine) saved() {
	if e.snaps.saving != nil {
		if e.snaps.beside != nil {
			e.snaps.beside()
		}
		<-e.snaps.saving
		e.snaps.saving, e.snaps.beside = nil, nil
	}
}

// save takes a snapshot, when the engine is between two steps with
// nothing taken and unhandled, and has it kept; else it waits for the next
// chance. The state is encoded on the engine's goroutine; the store
// writes it, in pieces read from the engine's buffers (encoded.pieces),
// on a goroutine of its own while the engine goes on, one at a time (with
// wait, save waits for it: a clean stop). A snapshot that fails is
// told and taken again at the next interval: the engine serves on, its
// restarts replay more.
func (e *Engine) save(wait bool) {
	if e.snaps.saving != nil {
		select {
		case <-e.snaps.saving:
			e.snaps.saving, e.snaps.beside = nil, nil
		default:
			if !wait {
				return // the last one is still being written
			}
			e.saved()
		}
	}
	if e.snaps.Store == nil || e.due.len() > 0 || e.taken > 0 || e.processed == e.snaps.last {
		return
	}
	beside := e.besides(wait)
	e.snaps.resumed = false
	if beside {
		e.saveBeside()
		return
	}
	began := time.Now()
	t, err := e.encode()
	e.snaps.lastAt = time.Now()
	stood := e.snaps.lastAt.Sub(began)
	if err != nil {
		if e.snaps.Told != nil {
			e.snaps.Told(t.Snapshot, SnapshotTook{Stood: stood, Took: stood}, err)
		}
		return
	}
	s := t.pieces()
	e.snaps.last, e.snaps.commands = e.processed, 0
	e.snaps.size.Store(int64(s.Size()))
	done := make(chan struct{})
	e.snaps.saving = done
	go func() {
		defer close(done)
		err := e.snaps.Store.SaveSnapshot(s)
		took := time.Since(began)
		e.snaps.cost.Store(int64(took))
		if e.snaps.Told != nil {
			e.snaps.Told(s, SnapshotTook{Stood: stood, Took: took}, err)
		}
	}()
	if wait {
		<-done
		e.snaps.saving = nil
	}
}

// besides says whether the snapshot due is taken beside the engine
// (SnapshotPolicy.Take), or encoded by the engine. Beside, the engine never
// stands still for it, but the taker handles again every input handled
// since the latest snapshot: about as much work again as the engine did.
// That buys something only while commands come in, whose answers would
// wait out the pause, and when the pause would be long: an engine given no
// command since the latest snapshot (a rollout of the scenario's own
// orders, a quiet server), or whose latest snapshot was small (a pause of
// a few milliseconds), encodes its own, unless TakeAlways. So does one
// whose latest snapshot beside it failed (a helper that cannot rebuild
// the state keeps no snapshot from being taken), and the last one, on a
// clean stop (wait). An engine restored from a large snapshot takes its
// first beside it, commands or not: it catches up the timers its downtime
// left due, often a snapshot's worth of inputs, before the clients that
// waited for it come back, and a pause then (1.2 s for a store of 89 MB)
// would be theirs.
func (e *Engine) besides(wait bool) bool {
	if e.snaps.Take == nil || wait || e.snaps.failed.Swap(false) {
		return false
	}
	size := e.snaps.size.Load()
	return e.snaps.TakeAlways || e.snaps.commands > 0 && (size < 0 || size >= besideMin) || e.snaps.resumed && size >= besideMin
}

// besideMin is the size of a snapshot under which the engine encodes the
// next itself: a few milliseconds' pause.
const besideMin = 1 << 20

// saveBeside marks the point a snapshot is taken at and has it taken
// beside the engine (SnapshotPolicy.Take) once the point's records are
// committed: the engine hands them over and goes on. Its cost is the
// processor time its taker spent, not the wall time (a taker at a low
// priority takes long on busy cores without costing the engine anything):
// snapshots take at most a tenth of a core. A snapshot that fails costs
// its time like one that succeeds (the next waits nine times as long): one
// that cannot be taken is not tried at every step; and the next is the
// engine's own (besides).
func (e *Engine) saveBeside() {
	began := time.Now()
	if err := e.commit(); err != nil {
		return // the committer's failure: the engine stops or retries
	}
	at := store.Snapshot{Inputs: e.processed, Records: e.recorded, At: e.now}
	committed := make(chan struct{})
	if c := e.committer; c != nil {
		e.held = append(e.held, heldAnswer{batch: e.nextBatch(), q: &query{durable: committed}})
		e.health.holding.Store(true)
		e.release()
	} else {
		close(committed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.snaps.saving, e.snaps.beside = done, cancel
	e.snaps.last, e.snaps.lastAt, e.snaps.commands = e.processed, began, 0
	go func() {
		defer close(done)
		defer cancel()
		var s store.Snapshot
		var cpu time.Duration
		var err error
		select {
		case <-committed:
			if s, cpu, err = e.snaps.Take(ctx, at); err == nil {
				if err = e.snaps.Store.SaveSnapshot(s); err == nil {
					e.snaps.size.Store(int64(s.Size()))
				}
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
		took := time.Since(began)
		e.snaps.cost.Store(int64(cpu))
		e.snaps.failed.Store(err != nil && ctx.Err() == nil)
		if e.snaps.Told != nil && ctx.Err() == nil {
			if err != nil {
				s = at
			}
			e.snaps.Told(s, SnapshotTook{Took: took, CPU: cpu}, err)
		}
	}()
}
