package port

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Ordered is a taking one call at a time: a call is sent once the call
// before it has its final answer, and the answers reach their callers in
// the order of the calls. An allocator outside the process (NetBox's
// next free VLAN) then allocates in the order the engine asks, as the
// in-process twin does, whatever the network's timing; the price is one
// call in flight (an adapters file's ordered: true).
func Ordered(a Adapter) Adapter { return &ordered{a: a} }

// OrderedWithin is Ordered, except that a call that has waited for its
// turn longer than wait (real time) is not sent: it is answered at its
// turn with a transient error (code "queued"), and the next goes. A call
// that is sent then has the adapter's own timeout; so with wait and that
// timeout within the engine's deadline for the system (what
// system.Adapters.Deadlines gives an ordered entry), every call is
// answered before its deadline, by the far side or by the adapter, and
// no answer of a call sent comes after it (to be ignored, and a value
// allocated for it held by no one).
func OrderedWithin(a Adapter, wait time.Duration) Adapter { return &ordered{a: a, wait: wait} }

type ordered struct {
	a     Adapter
	wait  time.Duration
	mu    sync.Mutex
	queue []orderedCall
	busy  bool
}

type orderedCall struct {
	now    time.Duration
	req    Request
	reply  Replier
	queued time.Time
}

// Unordered is the adapter a takes calls by: the one Ordered wraps, or a
// itself. What the calls say does not depend on their order (a dry run
// renders them from the adapter's own).
func Unordered(a Adapter) Adapter {
	if o, ok := a.(*ordered); ok {
		return o.a
	}
	return a
}

// Close closes the adapter it orders, if that is an io.Closer.
func (o *ordered) Close() error {
	if c, ok := o.a.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Call queues the call, sending it at once if none is in flight.
func (o *ordered) Call(now time.Duration, req *Request, reply Replier) {
	r := *req // the caller reuses req
	r.Characteristics = slices.Clone(req.Characteristics)
	if req.Resource != nil {
		res := *req.Resource
		res.Characteristics = slices.Clone(req.Resource.Characteristics)
		r.Resource = &res
	}
	o.mu.Lock()
	o.queue = append(o.queue, orderedCall{now: now, req: r, reply: reply, queued: time.Now()})
	if o.busy {
		o.mu.Unlock()
		return
	}
	o.busy = true
	o.mu.Unlock()
	o.next()
}

// Update implements Updater: it updates the call queued under req's key,
// or passes req to the adapter's own Update (the call is in flight).
func (o *ordered) Update(req *Request) {
	o.mu.Lock()
	for i := range o.queue {
		if o.queue[i].req.Key == req.Key {
			o.queue[i].req.Config = req.Config
			o.mu.Unlock()
			return
		}
	}
	o.mu.Unlock()
	if u, ok := o.a.(Updater); ok {
		u.Update(req)
	}
}

// next sends the first queued call, or marks none in flight. A call
// that waited longer than o.wait is answered transient, not sent.
func (o *ordered) next() {
	for {
		o.mu.Lock()
		if len(o.queue) == 0 {
			o.busy = false
			o.mu.Unlock()
			return
		}
		c := o.queue[0]
		o.queue = slices.Delete(o.queue, 0, 1)
		o.mu.Unlock()
		if waited := time.Since(c.queued); o.wait > 0 && waited > o.wait {
			c.reply.Reply(c.now, &Result{Key: c.req.Key, System: c.req.System, Op: c.req.Op, Item: c.req.Item, Handle: c.req.Handle,
				Final: true, Err: &Error{Class: Transient, Code: "queued", Message: fmt.Sprintf(
					"%s %s %s waited %s for its turn (one call at a time), longer than %s: not sent",
					c.req.System, c.req.Op, c.req.Key, waited.Round(time.Millisecond), o.wait)}})
			continue
		}
		o.a.Call(c.now, &c.req, &orderedReply{o: o, to: c.reply})
		return
	}
}

// orderedReply passes a call's answers on and, after its final one, sends
// the next call.
type orderedReply struct {
	o  *ordered
	to Replier
}

func (r *orderedReply) Reply(at time.Duration, res *Result) {
	r.to.Reply(at, res)
	if res.Final {
		go r.o.next()
	}
}
