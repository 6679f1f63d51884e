package port

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Rehearsed is what one call of a rehearsal would have sent: the call's
// order item, key, system and operation, and either the messages (Sent) or
// why the call could not be rendered (Err).
type Rehearsed struct {
	Item string
	// Site is the site code the call is for (MELB), if any.
	Site   string
	Key    string
	System System
	Op     Op
	Sent   []Sent
	Err    *Error
	// Rendered is set once the real adapter was asked what it would send
	// (no messages then: it sends nothing for the call); an allocation
	// whose answer never came is not.
	Rendered bool
}

// Rehearsal is a dry run of an adapter: an Adapter that, for each call,
// records exactly what the real adapter would send (its DryRun), sends
// nothing, and has another adapter (the twin) answer, so that the run
// goes on as if the call had been made. What is recorded depends only on
// the calls, in the order the engine made them: a rehearsal of the same
// run records the same.
//
// A Rehearsal is InProcess when the adapter that answers is.
type Rehearsal struct {
	real   DryRunner
	answer Adapter
	mu     sync.Mutex
	sent   []Rehearsed
}

// NewRehearsal rehearses real, with answer answering the calls.
func NewRehearsal(real DryRunner, answer Adapter) *Rehearsal {
	return &Rehearsal{real: real, answer: answer}
}

// Call records what real would send for req, then hands req to the
// adapter that answers.
//
// A reserve that names no resource is an allocation: the answering
// adapter (the twin, or the real allocation system) picks the resource,
// and what real would send is rendered for the request carrying the
// resource picked, when the answer comes (docs/adapters.md, "Who picks
// the OLT port"). If the allocation fails, its error is recorded: nothing
// would be sent. A real adapter that says it would not allocate it
// (Allocator) is asked at once, for the request as it is. Until the final answer, the call's record has neither
// messages nor error.
func (r *Rehearsal) Call(now time.Duration, req *Request, reply Replier) {
	rec := Rehearsed{Item: req.Item, Site: req.Site, Key: req.Key, System: req.System, Op: req.Op}
	if req.Op == Reserve && req.Resource == nil && allocated(r.real, req) {
		r.mu.Lock()
		i := len(r.sent)
		r.sent = append(r.sent, rec)
		r.mu.Unlock()
		r.answer.Call(now, req, &picked{r: r, i: i, req: *req, reply: reply})
		return
	}
	rec.Sent, rec.Err = r.real.DryRun(req)
	rec.Rendered = true
	r.mu.Lock()
	r.sent = append(r.sent, rec)
	r.mu.Unlock()
	r.answer.Call(now, req, reply)
}

// allocated says whether a reserve that names no resource is an
// allocation someone makes: real's own, or (for an adapter that does not
// say, Allocator) whoever answers.
func allocated(real DryRunner, req *Request) bool {
	a, ok := real.(Allocator)
	return !ok || a.Allocates(req)
}

// picked renders an allocation's reserve once the answer names the
// resource picked, then passes the answer on.
type picked struct {
	r     *Rehearsal
	i     int
	req   Request
	reply Replier
}

func (p *picked) Reply(at time.Duration, res *Result) {
	if res.Final {
		var sent []Sent
		var err *Error
		rendered := false
		if res.Err != nil {
			c := *res.Err // the answer is the answerer's again once handled
			err = &c
		} else {
			req := p.req
			req.Resource = res.Resource
			sent, err = p.r.real.DryRun(&req)
			rendered = true
		}
		p.r.mu.Lock()
		p.r.sent[p.i].Sent, p.r.sent[p.i].Err, p.r.sent[p.i].Rendered = sent, err, rendered
		p.r.mu.Unlock()
	}
	p.reply.Reply(at, res)
}

// Update implements Updater: a call in flight is told more of what its
// request carries (the engine's Out.Update: a CE router's Day-1 waits for
// the VLAN, subnet and QoS policy of its site's items), so what it would
// send is rendered again from the request as it stands now, replacing
// what was rendered from the first; the answering adapter is told too.
func (r *Rehearsal) Update(req *Request) {
	r.mu.Lock()
	renders := takesUpdates(r.real, req)
	for i := len(r.sent) - 1; i >= 0 && renders; i-- {
		if rec := &r.sent[i]; rec.Key == req.Key && rec.Rendered {
			rec.Sent, rec.Err = r.real.DryRun(req)
			break
		}
	}
	r.mu.Unlock()
	if u, ok := r.answer.(Updater); ok {
		u.Update(req)
	}
}

// takesUpdates says whether real, the adapter of req's system, takes an
// update into the call it has (Updater: the ZTP adapter's Day-1): only
// then does the real call send what the update adds, and the dry run
// render it again. Another (a NETCONF commit already sent) sends what it
// was first given, and its dry run shows that.
func takesUpdates(real any, req *Request) bool {
	switch a := real.(type) {
	case DryRunners:
		return takesUpdates(a[req.System], req)
	case *ordered:
		return takesUpdates(a.a, req)
	case *commitsAlso:
		return takesUpdates(a.a, req)
	}
	_, ok := real.(Updater)
	return ok
}

// InProcess is the answering adapter's.
func (r *Rehearsal) InProcess() bool {
	p, ok := r.answer.(InProcess)
	return ok && p.InProcess()
}

// Sent lists what each call would have sent, in the order of the calls:
// a copy, which may be read from any goroutine.
func (r *Rehearsal) Sent() []Rehearsed {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.sent)
	for i := range out {
		out[i].Sent = slices.Clone(out[i].Sent)
		if e := out[i].Err; e != nil {
			c := *e
			out[i].Err = &c
		}
	}
	return out
}

// Recycle hands an answer back to the answering adapter, when it takes
// answers back (the engine's Recycler).
func (r *Rehearsal) Recycle(msg any) {
	if rc, ok := r.answer.(interface{ Recycle(msg any) }); ok {
		rc.Recycle(msg)
	}
}

// DryRunners rehearses several systems in one rehearsal, each by its own
// adapter's dry run: one list of calls, in the order the engine made them.
type DryRunners map[System]DryRunner

// DryRun is the dry run of req's system's adapter.
func (d DryRunners) DryRun(req *Request) ([]Sent, *Error) {
	r, ok := d[req.System]
	if !ok {
		return nil, &Error{Class: Invalid, Code: "wrongSystem", Message: fmt.Sprintf("no adapter rehearses %q", req.System)}
	}
	return r.DryRun(req)
}

// Allocates is req's system's adapter's (Allocator); an adapter that does
// not say is taken to have its reserves allocated.
func (d DryRunners) Allocates(req *Request) bool {
	r, ok := d[req.System]
	return !ok || allocated(r, req)
}
