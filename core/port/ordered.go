package port

import (
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

type ordered struct {
	a     Adapter
	mu    sync.Mutex
	queue []orderedCall
	busy  bool
}

type orderedCall struct {
	now   time.Duration
	req   Request
	reply Replier
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
	o.queue = append(o.queue, orderedCall{now: now, req: r, reply: reply})
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

// next sends the first queued call, or marks none in flight.
func (o *ordered) next() {
	o.mu.Lock()
	if len(o.queue) == 0 {
		o.busy = false
		o.mu.Unlock()
		return
	}
	c := o.queue[0]
	o.queue = slices.Delete(o.queue, 0, 1)
	o.mu.Unlock()
	o.a.Call(c.now, &c.req, &orderedReply{o: o, to: c.reply})
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
