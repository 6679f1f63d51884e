package port

import (
	"slices"
	"sync"
	"time"
)

// Rehearsed is what one call of a rehearsal would have sent: the call's
// order item, key, system and operation, and either the messages (Sent) or
// why the call could not be rendered (Err).
type Rehearsed struct {
	Item   string
	Key    string
	System System
	Op     Op
	Sent   []Sent
	Err    *Error
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
func (r *Rehearsal) Call(now time.Duration, req *Request, reply Replier) {
	sent, err := r.real.DryRun(req)
	r.mu.Lock()
	r.sent = append(r.sent, Rehearsed{Item: req.Item, Key: req.Key, System: req.System, Op: req.Op, Sent: sent, Err: err})
	r.mu.Unlock()
	r.answer.Call(now, req, reply)
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
