package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
)

// Address names a component that takes inputs.
type Address uint8

// The components of the core.
const (
	COM Address = iota + 1
	SOM
	ROM
	// Env is the world outside the core: timed scenario events such as a
	// capacity expansion.
	Env
	// Docs keeps the documents clients own (core/docs).
	Docs
	// Peers takes the messages of components in other processes
	// (core/peer), and hands each once to its component.
	Peers
	addresses
)

func (a Address) String() string {
	switch a {
	case COM:
		return "COM"
	case SOM:
		return "SOM"
	case ROM:
		return "ROM"
	case Env:
		return "Network"
	case Docs:
		return "API"
	case Peers:
		return "Peers"
	}
	return fmt.Sprintf("component(%d)", uint8(a))
}

// Handler is a component of the core. Handle processes one input at virtual
// time now and yields its effects into out. It must not block, do IO or keep
// out.
type Handler interface {
	Handle(now time.Duration, msg any, out *Out)
}

// Input is one message for a component at a time.
type Input struct {
	At time.Duration
	To Address
	// from is the component in this process that sent Msg (Out.Send), or
	// 0: it may take Msg back once handled (Recycler).
	from Address
	Msg  any
	// answer, for a command (Engine.Command), takes the handler's reply.
	answer answer
	// origin says who gave a command, for the input log (WithOrigin); nil
	// for none. A pointer keeps the queued inputs small: most have none.
	origin *store.Origin
	// taken marks an input taken from the inbox: until it is handled, no
	// snapshot can be taken (the input log holds it, the snapshot would too).
	taken bool
	// logged is the input's entry for the input log, encoded by the
	// goroutine that submitted it (submit), off the engine's; nil: the
	// engine encodes it when it logs it.
	logged *logEntry
}

// logEntry is a message as the input log keeps it, or why it cannot be.
type logEntry struct {
	kind string
	body []byte
	err  error
}

// Event is something observers may want to know: a recorded transition or
// another notification.
type Event = store.Record

// Observer receives every record of each step, in order, as the step
// ends: before the journal has committed it (commits are grouped, and run
// behind the engine), so a crash may still take it back. Observers are
// part of the deterministic run (a scenario's triggered events, the
// twin's fault triggers); what they see must not leave the process. A
// reader outside the run takes the store's feed (store.Feed): committed
// records only.
type Observer func(store.Record)

// Engine drives the handlers.
type Engine struct {
	clock Clock
	queue inputQueue
	// due holds inputs for the current instant, in arrival order: they
	// come after every queued input of the same instant, since those were
	// created earlier. The order of arrival is the sequence of (time,
	// sequence) order: no input carries a number.
	due      fifo
	now      time.Duration
	handlers [addresses]Handler
	// anticipators are the handlers that are Anticipators.
	anticipators [addresses]Anticipator
	peers        [addresses]Peer
	repliers     [addresses]replier
	adapters     map[port.System]port.Adapter
	store        store.Journal
	observers    []Observer
	seed         uint64
	batchSize    int
	running      bool
	out          Out
	processed    uint64
	refusals     uint64
	changed      time.Duration
	inbox        inbox
	// wakeTimers are the timers a wait on a Waiter clock uses.
	wakeTimers wakeTimers
	log        store.InputLog
	codec      *Codec
	// unsaved holds the records handled but not yet committed: commits
	// group many steps (see Options.CommitEvery).
	unsaved     []store.Record
	commitEvery int
	// inputs are the inputs taken but not yet committed, when the journal
	// commits them with its records (batch).
	inputs    []store.Input
	batch     store.Batch
	committer *committer
	// direct: the journal is in memory, and each step commits to it
	// (nothing to gain from grouping, and no copy of the records).
	direct bool
	// latency measures the adapter calls (AdapterLatency).
	latency latencies
	limits  Limits
	health  health
	// recorded counts the records handed to the journal; taken, the inputs
	// taken from the inbox and not yet handled; kept, what Keep added to
	// snapshots.
	recorded uint64
	taken    int
	kept     []named
	snaps    snapshots
	// held are the answers of commands handled, and the queries run,
	// waiting for the commit of the records they saw (answerCommitted).
	held []heldAnswer
	// scratch keeps, per part, the buffer its state was last appended to
	// (StateAppender): a snapshot encodes into it again; scratchHead,
	// the engine's own state.
	scratch     [][]byte
	scratchHead []byte
	// shelf keeps the read models components shelve (Out.Shelve);
	// shelving holds those not yet committed.
	shelf    store.Shelf
	shelving []store.Doc
	// reads are the logged reads of the shelf the steps of a replay take,
	// by the input each handles (shelfread.go).
	reads map[uint64][]store.Input
	// until, when set, is the last instant a run handles (RunUntil).
	until *time.Duration
	// outside keeps the calls to adapters outside the process waiting
	// for their answers (outside.go); replaying is set while Replay runs.
	outside   outside
	replaying bool
	// stopAt, when not 0, is the count of inputs a replay stops at
	// (ReplayTo): no step goes beyond it.
	stopAt uint64
	// serving is set while Serve runs; failed is the refusal of the
	// input a component panicked on while serving (failed.go).
	serving bool
	failed  *Refusal
}

// LastChange is the time of the latest committed record: when something
// last happened (timers that change nothing do not count).
func (e *Engine) LastChange() time.Duration { return e.changed }

// Options configure an Engine.
type Options struct {
	Clock Clock
	Store store.Journal
	Seed  uint64
	// Batch is how many inputs share one journal commit (group commit);
	// 0 means 256.
	Batch int
	// Log, when set, keeps every input taken from the inbox (Submit,
	// Command), encoded by Codec: a restarted engine replays them
	// (Replay). Every such input's type must be registered with Codec.
	// When Store shares its commits with Log (store.Shares: the same
	// SQLite file), each input is committed with the records of handling
	// it; otherwise it is logged before it is handled.
	Log   store.InputLog
	Codec *Codec
	// CommitEvery is how many records may wait for one journal commit
	// (group commit across steps); 0 means 4096. Records are committed
	// sooner whenever something outside the process could see their
	// effects: before a command is answered, before an adapter that is
	// not InProcess is called, before a query runs, before the engine
	// waits on a real clock (for longer than a short nap: one behind
	// its clock hands its records to the committer and goes on), and
	// when it stops. Until then nothing
	// outside depends on them, and a replay rebuilds them from the input
	// log.
	CommitEvery int
	// Limits bound how long a serving engine lets a command or a query
	// wait (zero: the defaults).
	Limits Limits
	// Snapshots says when a serving engine takes snapshots and where it
	// keeps them; none without a store.
	Snapshots SnapshotPolicy
	// Deadline is how long, on the engine's clock, a call to an adapter
	// outside the process (not port.InProcess) may wait for its final
	// answer before its caller is answered with a transient error (0:
	// DefaultDeadline); Deadlines overrides it per system.
	Deadline  time.Duration
	Deadlines map[port.System]time.Duration
}

// New returns an engine with no handlers or adapters yet.
func New(opt Options) *Engine {
	if opt.Clock == nil {
		opt.Clock = Virtual{}
	}
	if opt.Store == nil {
		opt.Store = store.NewMemory()
	}
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.Codec == nil {
		opt.Codec = NewCodec()
	}
	if opt.CommitEvery <= 0 {
		opt.CommitEvery = 4096
	}
	e := &Engine{clock: opt.Clock, store: opt.Store, seed: opt.Seed, batchSize: opt.Batch, log: opt.Log, codec: opt.Codec, commitEvery: opt.CommitEvery,
		limits: opt.Limits.withDefaults(), adapters: map[port.System]port.Adapter{}, inbox: inbox{wake: make(chan struct{}, 1)}}
	e.out.engine = e
	for a := range e.repliers {
		e.repliers[a] = replier{e, Address(a)}
	}
	// Adapters' answers wait in the queue for their callers.
	e.codec.Register(&port.Result{})
	e.outside.init(e, opt)
	if opt.Log != nil {
		e.batch, _ = store.Shares(opt.Store, opt.Log)
	}
	_, e.direct = opt.Store.(*store.Memory)
	e.shelf, _ = store.ShelfOf(opt.Store)
	e.snaps.SnapshotPolicy = opt.Snapshots.withDefaults()
	e.snaps.size.Store(-1)
	return e
}

// Handle registers the handler of a component.
func (e *Engine) Handle(a Address, h Handler) {
	e.handlers[a] = h
	e.anticipators[a], _ = h.(Anticipator)
	e.registerMessages(h)
}

// An Anticipator is a component told of each input queued for it, with
// the time it is due, before it handles it: it may begin beside the
// engine's loop work the input will need and whose result depends on the
// input alone (COM signs an approval decision ahead, approval.Ahead).
// Anticipate runs on the engine's loop; it must change nothing the
// component's handling reads, and not block.
type Anticipator interface {
	Anticipate(at time.Duration, msg any)
}

// Attach routes calls for each of systems to adapter.
func (e *Engine) Attach(adapter port.Adapter, systems ...port.System) {
	for _, s := range systems {
		e.adapters[s] = adapter
	}
}

// Recycler is an adapter or component that takes back what it sent once
// its receiver in this process has handled it: the engine hands an
// adapter's answer (*port.Result) to the Recycle of the adapter of its
// system, and a message a component sent (Out.Send) to that component's,
// which may fill it again later. A sender recycles only messages whose
// receivers copy what they keep of them (ROM's reserves and commits to ROM,
// ROM's events to SOM, SOM's to COM), never their pointers.
type Recycler interface {
	Recycle(msg any)
}

// recycle hands a handled input back to its sender, when a Recycler.
func (e *Engine) recycle(in Input) {
	var r Recycler
	if res, ok := in.Msg.(*port.Result); ok {
		r, _ = e.adapters[res.System].(Recycler)
	} else if in.from != 0 {
		r, _ = e.handlers[in.from].(Recycler)
	}
	if r != nil {
		r.Recycle(in.Msg)
	}
}

// Observe adds an observer of each step's records, which it sees before
// they are committed (see Observer).
func (e *Engine) Observe(o Observer) { e.observers = append(e.observers, o) }

// Now is the engine's virtual time.
func (e *Engine) Now() time.Duration { return e.now }

// Processed counts the inputs handled so far.
func (e *Engine) Processed() uint64 { return e.processed }

// Rand returns the seeded random stream of a component. The stream depends
// only on the engine's seed and the name.
func (e *Engine) Rand(name string) *rand.Rand { return NewRand(e.seed, name) }

// NewRand returns the stream called name under seed.
func NewRand(seed uint64, name string) *rand.Rand { return rand.New(NewPCG(seed, name)) }

// NewPCG returns the generator of the stream called name under seed, for a
// consumer that keeps its position in a snapshot (PCG.MarshalBinary).
func NewPCG(seed uint64, name string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.NewPCG(seed, h.Sum64())
}

// Inject queues msg for component to at virtual time at. Inputs in the past
// are taken at the current time.
func (e *Engine) Inject(at time.Duration, to Address, msg any) {
	e.inject(Input{At: at, To: to, Msg: msg})
}

func (e *Engine) inject(in Input) {
	if in.At < e.now {
		in.At = e.now
	}
	if a := e.anticipators[in.To]; a != nil {
		a.Anticipate(in.At, in.Msg)
	}
	if in.At == e.now && e.running {
		e.due.push(in)
		return
	}
	e.queue.push(in)
}

// next removes the next input due at instant at, if any.
func (e *Engine) next(at time.Duration) (Input, bool) {
	if e.queue.len() > 0 && e.queue.next() == at {
		return e.queue.pop(), true
	}
	return e.due.pop()
}

// Run handles inputs until none is left or ctx is done.
func (e *Engine) Run(ctx context.Context) error { return e.run(ctx, false) }

// RunUntil is Run that stops after the inputs due at virtual time t (or
// earlier): later inputs stay queued, for Run or a snapshot.
func (e *Engine) RunUntil(ctx context.Context, t time.Duration) error {
	e.until = &t
	defer func() { e.until = nil }()
	return e.run(ctx, false)
}

// run is Run, or Serve when serve is set: then it takes submitted inputs
// and waits for more when it has nothing to do.
func (e *Engine) run(ctx context.Context, serve bool) (err error) {
	e.running, e.serving = true, serve
	defer func() { e.running, e.serving = false, false }()
	if !e.direct {
		e.startCommitter(ctx, serve)
	}
	e.snaps.lastAt = time.Now()
	// Calls a restart left unanswered go out again, first thing.
	e.resendOutside()
	defer func() {
		ferr := e.durable()
		if serve && ferr == nil && err != nil && errors.Is(err, ctx.Err()) {
			// A clean stop: the inputs of the instant being handled are
			// handled first, so that the snapshot can be taken.
			ferr = e.endInstant()
		}
		if serve && ferr == nil && e.failed == nil {
			e.save(true) // a clean stop: the restart replays nothing
		} else if e.snaps.saving != nil {
			<-e.snaps.saving // the store stays open until it is written
			e.snaps.saving = nil
		}
		if serr := e.stopCommitter(); ferr == nil {
			ferr = serr
		}
		if err == nil || errors.Is(err, context.Canceled) && ferr != nil {
			err = ferr
		}
	}()
	_, virtual := e.clock.(Virtual)
	outside := e.anyOutside()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// A run with adapters outside the process takes their answers,
		// and their repliers' queries (port.Settler), like a serving
		// engine.
		takes := serve || outside || len(e.outside.waiting) > 0
		if serve && e.snaps.due(e.processed) {
			e.save(false)
		}
		if takes {
			if err := e.takeInbox(); err != nil {
				return err
			}
		}
		if e.due.len() == 0 {
			e.dropAnsweredDeadlines()
			next := time.Duration(-1) // nothing timed: wait for a submission
			if e.queue.len() > 0 {
				next = e.queue.next()
				if e.until != nil && next > *e.until {
					return nil
				}
			} else if !serve {
				return nil
			}
			// On the wall clock, the records handled so far are handed
			// to the committer (the outbox rule, §2): an engine behind its
			// clock, or one that naps for at most shortNap, hands them to
			// an idle committer without waiting (handOver), and the records
			// of the next instants group while it writes; an idle one too,
			// at most every handOverEvery, waking to hand over what is left
			// (beforeIdle).
			switch {
			case !virtual && e.overdue(next, shortNap):
				if err := e.handOver(); err != nil {
					return err
				}
				if takes && !e.overdue(next, 0) {
					// About to nap: the commands handled are answered as
					// their commits land, and what is left is handed over
					// when due.
					flush, err := e.beforeIdle()
					if err != nil {
						return err
					}
					woke, err := e.waitOrWake(ctx, next, flush)
					if err != nil {
						return err
					}
					if woke {
						continue // take the submitted inputs first
					}
				} else if err := e.clock.WaitUntil(ctx, next); err != nil {
					return err
				}
			case takes:
				var flush time.Time
				if !virtual || len(e.held) > 0 {
					var err error
					if flush, err = e.beforeIdle(); err != nil {
						return err
					}
				}
				woke, err := e.waitOrWake(ctx, next, flush)
				if err != nil {
					return err
				}
				if woke {
					continue // take the submitted inputs, or hand over, first
				}
			default:
				if !virtual || len(e.held) > 0 {
					if err := e.durable(); err != nil {
						return err
					}
				}
				if err := e.clock.WaitUntil(ctx, next); err != nil {
					return err
				}
			}
			e.now = next
		}
		if err := e.step(); err != nil {
			return err
		}
		if e.failed != nil {
			return e.stopFailed()
		}
	}
}

// endInstant handles the inputs due at the present instant and not yet
// handled (a step takes at most a batch of them), and has their records
// committed.
func (e *Engine) endInstant() error {
	for e.due.len() > 0 {
		if err := e.step(); err != nil {
			return err
		}
	}
	return e.durable()
}

// shortNap is the longest wait on the wall clock for which the engine
// does not wait for its records to be durable first (run).
const shortNap = 5 * time.Millisecond

// step handles one batch of inputs due at the same instant, commits their
// records, then dispatches their effects.
func (e *Engine) step() error {
	out := &e.out
	out.reset()
	at := e.now
	limit := e.batchSize
	if e.stopAt > 0 {
		limit = min(limit, int(e.stopAt-e.processed))
	}
	for n := 0; n < limit; n++ {
		in, ok := e.next(at)
		if !ok {
			break
		}
		out.from = in.To
		out.now = at
		refusal := e.handle(in, out)
		e.recycle(in)
		e.processed++
		if in.taken {
			e.taken--
		}
		if refusal != nil {
			// The input is refused, not the engine stopped: its record
			// says why, and a command waiting for it gets the error.
			e.refusals++
			out.records = append(out.records, refusal.Record())
			out.records[len(out.records)-1].At = at
			if in.answer != nil {
				out.answers = append(out.answers, reply{in.answer, refusal})
			}
			if refusal.Panicked && e.serving {
				e.failed = refusal
				break // nothing more is handled on a state the panic may have left half changed
			}
			continue
		}
		if in.answer != nil {
			v := out.reply
			if read := in.answer.around.Read; read != nil {
				v = read(v)
			}
			out.answers = append(out.answers, reply{in.answer, v})
		}
		out.reply, out.replied = nil, false
	}
	if len(out.records) > 0 {
		e.changed = at
	}
	if e.direct {
		// Memory: each step's records go in as they are; holding them
		// back would only copy them.
		if len(out.records) > 0 || len(e.inputs) > 0 || len(out.docs) > 0 {
			if err := e.write(batch{out.records, e.inputs, out.docs}); err != nil {
				return err
			}
			e.recorded += uint64(len(out.records))
			clear(e.inputs)
			e.inputs = e.inputs[:0]
		}
	} else {
		e.unsaved = append(e.unsaved, out.records...)
		e.shelving = append(e.shelving, out.docs...)
	}
	// Answers wait for the commit of their step's records, but the engine
	// does not: it hands them over and goes on (a group commit), and
	// answers when the committer says they are durable (held). What else
	// leaves the process waits here.
	mustSync := len(out.answers) > 0 && e.committer == nil
	for _, s := range out.sends {
		if e.peers[s.To] != nil {
			mustSync = true // a message leaves the process
		}
	}
	for i := range out.calls {
		if e.isOutside(out.calls[i].req.System) {
			mustSync = true
		}
	}
	switch {
	case mustSync:
		if err := e.durable(); err != nil {
			return err
		}
	case len(e.unsaved) >= e.commitEvery:
		if err := e.commit(); err != nil {
			return err
		}
	}
	for _, s := range out.sends {
		if p := e.peers[s.To]; p != nil {
			p.Deliver(s.At, s.Msg)
			continue
		}
		e.inject(s)
	}
	for i := range out.calls {
		c := &out.calls[i]
		if c.update {
			e.updateOutside(c)
			continue
		}
		if e.isOutside(c.req.System) {
			e.callOutside(c, at)
			continue
		}
		if len(e.outside.waiting) > 0 {
			// A call sent again to a system now served in process (the
			// twin, after a restart with other adapters) waits no more.
			delete(e.outside.waiting, c.req.Key)
		}
		e.latency.sent(&c.req, at)
		e.adapters[c.req.System].Call(at, &c.req, &e.repliers[c.from])
	}
	for _, r := range out.records {
		for _, o := range e.observers {
			o(r)
		}
	}
	if c := e.committer; c != nil && len(out.answers) > 0 {
		// The step's records are in the last batch handed over, or wait
		// for the next.
		batch := e.nextBatch()
		for _, a := range out.answers {
			e.held = append(e.held, heldAnswer{batch: batch, r: a})
		}
		e.health.holding.Store(true)
	}
	if e.committer != nil {
		return e.answerCommitted() // after every step: a busy engine answers as commits land
	}
	for _, a := range out.answers {
		a.send()
	}
	return nil
}

// send gives a command its answer.
func (a reply) send() {
	switch err := a.v.(type) {
	case *Refusal, *CheckError:
		a.to.send(result{err: err.(error)})
	default:
		a.to.send(result{v: a.v})
	}
}

// replier turns adapter answers into inputs for the calling component.
type replier struct {
	e  *Engine
	to Address
}

// ReplyTo names the component the answers go to (port.Named).
func (r *replier) ReplyTo() string { return r.to.String() }

// Replier is the replier of the component a snapshot names (ReplyTo), or
// nil: an adapter restored from a snapshot answers its callers through it.
func (e *Engine) Replier(name string) port.Replier {
	for a := range e.repliers {
		if a > 0 && Address(a).String() == name {
			return &e.repliers[a]
		}
	}
	return nil
}

func (r *replier) Reply(at time.Duration, res *port.Result) {
	if res.Final {
		r.e.latency.answered(res.Key, max(at, r.e.now))
	}
	r.e.Inject(at, r.to, res)
}

// inputQueue holds the inputs of later instants in (time, sequence) order,
// the sequence being the order of arrival. The inputs of one instant wait in
// a bucket, first in first out, so a bucket is already sorted. A binary heap
// orders the instants. A virtual run has few distinct instants (the twin's
// durations are deterministic: 95 in BenchmarkScale1000 for 92,000 inputs),
// so most pushes and pops touch a bucket only, never the heap. The heap and
// the index hold no pointers: sifting costs no write barriers while the
// collector runs.
type inputQueue struct {
	heap    []instant
	buckets []fifo
	// bucket maps an instant of the heap to its bucket; free lists the
	// buckets not in use (empty: their chunks went back to the pool).
	bucket map[time.Duration]int32
	free   []int32
	n      int
}

// instant is a key of the heap: a time and the bucket of its inputs.
type instant struct {
	at     time.Duration
	bucket int32
}

func (q *inputQueue) len() int { return q.n }

// next is the time of the first input; the queue must not be empty.
func (q *inputQueue) next() time.Duration { return q.heap[0].at }

// peek is the first input; the queue must not be empty.
func (q *inputQueue) peek() Input { return q.buckets[q.heap[0].bucket].peek() }

func (q *inputQueue) push(in Input) {
	q.n++
	if b, ok := q.bucket[in.At]; ok {
		q.buckets[b].push(in)
		return
	}
	var b int32
	if n := len(q.free); n > 0 {
		b = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		b = int32(len(q.buckets))
		q.buckets = append(q.buckets, fifo{})
	}
	if q.bucket == nil {
		q.bucket = map[time.Duration]int32{}
	}
	q.bucket[in.At] = b
	q.buckets[b].push(in)
	h := append(q.heap, instant{at: in.At, bucket: b})
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	q.heap = h
}

func (q *inputQueue) pop() Input {
	h := q.heap
	top := h[0]
	in, _ := q.buckets[top.bucket].pop()
	q.n--
	if q.buckets[top.bucket].len() > 0 {
		return in
	}
	// The instant is over: its bucket is free again, its chunks back in
	// the pool (fifo).
	delete(q.bucket, top.at)
	q.free = append(q.free, top.bucket)
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].at < h[l].at {
			m = r
		}
		if h[i].at <= h[m].at {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	q.heap = h
	return in
}

// all yields the queued inputs in (time, sequence) order, leaving them
// queued.
func (q *inputQueue) all() func(yield func(Input) bool) {
	return func(yield func(Input) bool) {
		instants := slices.Clone(q.heap)
		slices.SortFunc(instants, func(a, b instant) int { return cmp.Compare(a.at, b.at) })
		for _, i := range instants {
			if !q.buckets[i.bucket].all(yield) {
				return
			}
		}
	}
}
