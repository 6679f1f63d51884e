package port

import (
	"io"
	"slices"
	"time"
)

// CommitsAlso is a, except that a commit of a resource of type rt that a
// answers with success is then committed in system sys too, by its
// adapter also, and the call is answered once both are done: with a's
// answer, or also's error. A resource that one system reserves and
// another configures (a VLAN, held in NetBox by the vlan system and bound
// on the BNG by the bng system) then ends active in the system that
// holds it when its item completes. A commit that a refuses is not sent
// to also. also takes the call under the same key (a repeat is the same
// call), for the same item, as a call of sys.
func CommitsAlso(a Adapter, rt string, sys System, also Adapter) Adapter {
	return &commitsAlso{a: a, rt: rt, sys: sys, also: also}
}

type commitsAlso struct {
	a    Adapter
	rt   string
	sys  System
	also Adapter
}

// both says whether req is committed in both systems.
func (c *commitsAlso) both(req *Request) bool {
	return req.Op == Commit && req.Resource != nil && req.Resource.ResourceType == c.rt
}

// in is req as a call of sys.
func (c *commitsAlso) in(req *Request) *Request {
	r := *req
	r.System = c.sys
	r.Characteristics = slices.Clone(req.Characteristics)
	res := *req.Resource
	res.Characteristics = slices.Clone(req.Resource.Characteristics)
	r.Resource = &res
	return &r
}

// Call implements Adapter.
func (c *commitsAlso) Call(now time.Duration, req *Request, reply Replier) {
	if !c.both(req) {
		c.a.Call(now, req, reply)
		return
	}
	c.a.Call(now, req, &thenAlso{c: c, now: now, req: c.in(req), to: reply})
}

// thenAlso passes a's progress on and, after a's successful final answer,
// commits in sys, then answers.
type thenAlso struct {
	c   *commitsAlso
	now time.Duration
	req *Request
	to  Replier
}

func (t *thenAlso) Reply(at time.Duration, res *Result) {
	if !res.Final || res.Err != nil {
		t.to.Reply(at, res)
		return
	}
	t.c.also.Call(t.now, t.req, &alsoDone{first: res, to: t.to})
}

// alsoDone answers the call with the first system's answer once the
// second has committed, or with the second's error.
type alsoDone struct {
	first *Result
	to    Replier
}

func (d *alsoDone) Reply(at time.Duration, res *Result) {
	if !res.Final {
		return
	}
	if res.Err == nil {
		d.to.Reply(at, d.first)
		return
	}
	out := *d.first
	out.Resource = nil
	e := *res.Err
	e.Message = string(res.System) + ": " + e.Message
	out.Err = &e
	d.to.Reply(at, &out)
}

// Update implements Updater, passing req on to a.
func (c *commitsAlso) Update(req *Request) {
	if u, ok := c.a.(Updater); ok {
		u.Update(req)
	}
}

// Own implements Owner: a is given the store (also is, as its own
// system's adapter).
func (c *commitsAlso) Own(store string) { Own(c.a, store) }

// DryRun implements DryRunner: what a would send, then, for a commit in
// both systems, what also would.
func (c *commitsAlso) DryRun(req *Request) ([]Sent, *Error) {
	d, ok := Unordered(c.a).(DryRunner)
	if !ok {
		return nil, &Error{Class: Invalid, Code: "noDryRun", Message: "the adapter cannot tell what it would send"}
	}
	sent, err := d.DryRun(req)
	if err != nil || !c.both(req) {
		return sent, err
	}
	da, ok := Unordered(c.also).(DryRunner)
	if !ok {
		return sent, &Error{Class: Invalid, Code: "noDryRun", Message: "the adapter of " + string(c.sys) + " cannot tell what it would send"}
	}
	more, err := da.DryRun(c.in(req))
	return append(sent, more...), err
}

// Allocates implements Allocator, as a's.
func (c *commitsAlso) Allocates(req *Request) bool {
	if d, ok := Unordered(c.a).(DryRunner); ok {
		return allocated(d, req)
	}
	return true
}

// Close closes a, if it is an io.Closer (also is closed as its own
// system's adapter).
func (c *commitsAlso) Close() error {
	if cl, ok := c.a.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
