package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
)

// DefaultDeadline is how long the engine waits, on its clock, for the final
// answer of a call to an adapter outside the process, unless
// Options.Deadline or Options.Deadlines say otherwise.
const DefaultDeadline = 2 * time.Minute

// Calls to adapters outside the process (not port.InProcess) follow these
// rules, on top of the outbox rule:
//
//   - Their answers come in through the inbox, from any goroutine (the
//     Replier they are given submits them), and are logged with the codec
//     like any input from outside: a replay takes them from the log.
//   - Each call waits for its final answer until its deadline (per system,
//     Options.Deadlines); then the caller is answered with a transient
//     port.Error (code "deadline") for its failure policy, and an answer
//     that comes later is logged and ignored.
//   - A replay never calls them: the calls a replay makes wait for the
//     answers the log holds. A call still unanswered when the replay ends
//     (the crash came before its answer was logged) is sent again, with the
//     same request and so the same idempotency key, once the engine runs,
//     with a new deadline; the far side answers it as the first.
//
// The engine keeps the calls waiting for their answer (a snapshot keeps
// them too), by idempotency key: a key names one call.

// outsideCall is a call to an adapter outside the process waiting for its
// final answer.
type outsideCall struct {
	// Seq numbers the calls in the order they were made (re-sends go in
	// that order).
	Seq  uint64
	From Address
	Req  port.Request
	// Due is the call's deadline; a deadline input for another time is an
	// old one, of a call sent again.
	Due time.Duration
	// sent: the call went out in this process (not in a replay);
	// resending: a re-send is submitted and not yet handled.
	sent, resending bool
}

// outside is what the engine keeps of its calls to outside adapters.
type outside struct {
	deadline  time.Duration
	deadlines map[port.System]time.Duration
	waiting   map[string]*outsideCall
	seq       uint64
	repliers  [addresses]inboxReplier
}

// deadline is the input that ends the wait for the answer of the call with
// Key at Due.
type deadline struct {
	Key string
	Due time.Duration
}

// resend is the input that sends again a call a crash left unanswered.
type resend struct{ Key string }

// unlogged stands in the input log for an input from outside that the
// codec cannot encode: the engine refuses it, here and in a replay.
type unlogged struct {
	To     Address
	Kind   string
	Reason string
}

// inboxReplier takes the answers of an outside adapter, from any goroutine,
// through the engine's inbox, for the calling component.
type inboxReplier struct {
	e  *Engine
	to Address
}

// Reply submits res; the engine takes it like any submitted input (at its
// clock's present, or with its first input overdue), whatever at says (an
// adapter outside does not know the engine's clock).
func (r *inboxReplier) Reply(_ time.Duration, res *port.Result) {
	r.e.submit(Input{To: r.to, Msg: res})
}

// ReplyTo names the component the answers go to (port.Named).
func (r *inboxReplier) ReplyTo() string { return r.to.String() }

// Settled returns once the answers submitted before it are logged and
// committed (port.Settler). A query taken with an answer runs before the
// answer is logged (takeInbox), so it takes two: the second is submitted
// after the first has run, and so is taken after the answer, whose log
// it waits for.
func (r *inboxReplier) Settled(ctx context.Context) error {
	for range 2 {
		if err := r.e.Query(ctx, func() {}); err != nil {
			return err
		}
	}
	return nil
}

func (o *outside) init(e *Engine, opt Options) {
	o.deadline = opt.Deadline
	if o.deadline <= 0 {
		o.deadline = DefaultDeadline
	}
	o.deadlines = opt.Deadlines
	o.waiting = map[string]*outsideCall{}
	for a := range o.repliers {
		o.repliers[a] = inboxReplier{e, Address(a)}
	}
	e.codec.Register(deadline{}, resend{}, unlogged{})
}

// deadlineOf is how long a call to sys may take.
func (o *outside) deadlineOf(sys port.System) time.Duration {
	if d, ok := o.deadlines[sys]; ok && d > 0 {
		return d
	}
	return o.deadline
}

// isOutside reports whether the adapter of sys is outside the process.
func (e *Engine) isOutside(sys port.System) bool {
	a := e.adapters[sys]
	if a == nil {
		return false
	}
	p, ok := a.(port.InProcess)
	return !ok || !p.InProcess()
}

// anyOutside reports whether an adapter outside the process is attached.
func (e *Engine) anyOutside() bool {
	for sys := range e.adapters {
		if e.isOutside(sys) {
			return true
		}
	}
	return false
}

// callOutside tracks a call to an outside adapter made (or made again) at
// at, with its deadline, and sends it unless the engine replays.
func (e *Engine) callOutside(c *call, at time.Duration) {
	o := &e.outside
	w := o.waiting[c.req.Key]
	if w == nil {
		o.seq++
		w = &outsideCall{Seq: o.seq, From: c.from}
		o.waiting[c.req.Key] = w
	}
	w.Req, w.sent, w.resending = c.req, !e.replaying, false
	w.Due = at + o.deadlineOf(c.req.System)
	e.inject(Input{At: w.Due, To: c.from, Msg: deadline{Key: c.req.Key, Due: w.Due}})
	if e.replaying {
		return // its answer, if it had one, is in the log
	}
	e.latency.sent(&c.req, at)
	e.adapters[c.req.System].Call(at, &c.req, &o.repliers[c.from])
}

// updateOutside gives a new version of a call in flight (Out.Update) to
// its adapter outside the process (port.Updater): the call keeps its
// deadline and its place in the re-send order, and a re-send after a
// crash sends the latest version. A call that has ended is not updated;
// nor is one whose adapter takes no updates. An adapter in the process
// that takes them (a dry run's rehearsal, rendering what a real adapter
// would send as the request grows) is told as the engine goes, not as
// it replays; the twin takes none.
func (e *Engine) updateOutside(c *call) {
	if !e.isOutside(c.req.System) {
		if u, ok := e.adapters[c.req.System].(port.Updater); ok && !e.replaying {
			u.Update(&c.req)
		}
		return
	}
	w := e.outside.waiting[c.req.Key]
	if w == nil {
		return
	}
	w.Req = c.req
	if e.replaying || !w.sent {
		return // a re-send will carry it
	}
	if u, ok := e.adapters[c.req.System].(port.Updater); ok {
		u.Update(&c.req)
	}
}

// dropAnsweredDeadlines drops the deadlines first in the queue whose
// calls were answered (or sent again, under a later deadline): they would
// change nothing, and a run would otherwise wait for them on the wall
// clock, as long as an outside call may take, after its last answer.
func (e *Engine) dropAnsweredDeadlines() {
	for e.queue.len() > 0 {
		m, ok := e.queue.peek().Msg.(deadline)
		if !ok {
			return
		}
		if w := e.outside.waiting[m.Key]; w != nil && w.Due == m.Due {
			return
		}
		e.queue.pop()
	}
}

// resendOutside submits a re-send of every call that waits for an answer
// but was not sent by this process (a replay or a restore made it), in
// the order the calls were first made.
func (e *Engine) resendOutside() {
	var again []*outsideCall
	for _, w := range e.outside.waiting {
		if !w.sent && !w.resending {
			again = append(again, w)
		}
	}
	slices.SortFunc(again, func(a, b *outsideCall) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, w := range again {
		w.resending = true
		e.health.logger().Info("sending again a call a restart left unanswered", "system", string(w.Req.System), "op", string(w.Req.Op), "key", w.Req.Key)
		e.submit(Input{To: w.From, Msg: resend{Key: w.Req.Key}})
	}
}

// outsideInput settles the engine's own part of input msg: an answer of
// an outside adapter, a deadline, a re-send, an input that could not be
// logged. It returns what the component is given (msg itself for every
// other input), or false when the input ends here.
func (e *Engine) outsideInput(msg any, out *Out) (any, bool) {
	o := &e.outside
	switch m := msg.(type) {
	case *port.Result:
		if !e.isOutside(m.System) {
			return msg, true
		}
		w := o.waiting[m.Key]
		if w == nil {
			e.health.logger().Warn("an answer came after its call's deadline, or for no call; ignored",
				"system", string(m.System), "op", string(m.Op), "key", m.Key, "final", m.Final)
			return nil, false
		}
		if m.Final {
			delete(o.waiting, m.Key)
			e.latency.answered(m.Key, out.now)
		}
		return msg, true
	case deadline:
		w := o.waiting[m.Key]
		if w == nil || w.Due != m.Due {
			return nil, false // answered in time, or sent again since
		}
		delete(o.waiting, m.Key)
		d := o.deadlineOf(w.Req.System)
		e.latency.answered(m.Key, out.now)
		return &port.Result{Key: w.Req.Key, System: w.Req.System, Op: w.Req.Op, Item: w.Req.Item, Handle: w.Req.Handle, Final: true,
			Err: &port.Error{Class: port.Transient, Code: "deadline", Message: fmt.Sprintf("no answer from %s to %s %s within %s", w.Req.System, w.Req.Op, w.Req.Key, d)}}, true
	case resend:
		w := o.waiting[m.Key]
		if w == nil {
			return nil, false // answered before the re-send was taken
		}
		out.calls = append(out.calls, call{from: w.From, req: w.Req})
		return nil, false
	case unlogged:
		out.err = errors.New(m.Reason)
		return nil, false
	}
	return msg, true
}

// OutsideWaiting counts the calls to adapters outside the process waiting
// for their final answer. Read it on the engine's goroutine (Query).
func (e *Engine) OutsideWaiting() int { return len(e.outside.waiting) }

// savedOutside lists the calls waiting, in the order they were made, for a
// snapshot.
func (o *outside) saved() []outsideCall {
	calls := make([]outsideCall, 0, len(o.waiting))
	for _, w := range o.waiting {
		calls = append(calls, *w)
	}
	slices.SortFunc(calls, func(a, b outsideCall) int { return cmp.Compare(a.Seq, b.Seq) })
	return calls
}

// restore takes back the calls a snapshot kept: none is sent in this
// process yet.
func (o *outside) restore(calls []outsideCall) {
	o.waiting = make(map[string]*outsideCall, len(calls))
	o.seq = 0
	for i := range calls {
		w := calls[i]
		w.sent, w.resending = false, false
		o.waiting[w.Req.Key] = &w
		o.seq = max(o.seq, w.Seq)
	}
}
