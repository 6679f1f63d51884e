package twin

import (
	"math"
	"strconv"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// answers makes what the twin answers with — results, the resources they
// carry and those resources' ids, values and characteristics — out of
// slabs: a few allocations per 64 answers instead of several per answer.
// An answer, once given, belongs to its caller, read-only: the twin never
// writes it again (it may hand the same answer to a repeated call), until
// the engine hands it back (Twin.Recycle) to a twin that forgets its
// answers. The slabs hold no state of the twin: a restored twin starts
// with empty ones.
type answers struct {
	results   slab.Of[port.Result]
	resources slab.Of[tmf.Resource]
	quals     slab.Of[port.QualificationResult]
	chars2    slab.Of[[2]tmf.Characteristic]
	chars3    slab.Of[[3]tmf.Characteristic]
	strs      slab.Strings
	measured  map[[3]uint64]tmf.Characteristics // by the bits of a Measurement; shared, read-only
}

// newResult returns the final result of req, to be filled, and for a
// reserve or commit a resource for it to carry.
func (a *answers) newResult(req *port.Request) (*port.Result, *tmf.Resource) {
	res := a.results.New()
	var r *tmf.Resource
	if req.Op == port.Reserve || req.Op == port.Commit {
		r = a.resources.New()
	}
	*res = port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	return res, r
}

// recycle takes back an answer, delivered and handled: its result, and
// with a reserve's or commit's final answer the resource it carries, which
// newResult made (progress reports carry the final answer's resource, and
// come before it). What else an answer points at stays its receiver's: a
// qualification's result, which COM keeps, and a probe's measurements,
// shared.
func (a *answers) recycle(res *port.Result) {
	if res.Final && res.Resource != nil && (res.Op == port.Reserve || res.Op == port.Commit) {
		a.resources.Put(res.Resource)
	}
	a.results.Put(res)
}

// copyOf returns a copy of res.
func (a *answers) copyOf(res *port.Result) *port.Result {
	c := a.results.New()
	*c = *res
	return c
}

// progress is a progress report of the call res answers: res at milestone.
func (a *answers) progress(res *port.Result, milestone string) *port.Result {
	p := a.copyOf(res)
	p.Final = false
	p.Milestone = milestone
	return p
}

// chars returns cs as characteristics of their own (a full slice: whoever
// appends to them copies).
func (a *answers) chars(cs ...tmf.Characteristic) tmf.Characteristics {
	switch len(cs) {
	case 2:
		p := a.chars2.New()
		copy(p[:], cs)
		return p[:]
	case 3:
		p := a.chars3.New()
		copy(p[:], cs)
		return p[:]
	}
	return append(tmf.Characteristics(nil), cs...)
}

// join returns the concatenation of parts.
func (a *answers) join(parts ...string) string { return a.strs.Join(parts...) }

// itoa is strconv.Itoa without an allocation of its own.
func (a *answers) itoa(n int) string {
	if 0 <= n && n < 100 {
		return strconv.Itoa(n) // Go's own, never allocated
	}
	var b [20]byte
	return a.strs.Bytes(strconv.AppendInt(b[:0], int64(n), 10))
}

// token is a qualification token: FQ-<area>-<n>, n at least six digits.
func (a *answers) token(area string, n int) string {
	var buf [32]byte
	b := append(buf[:0], "FQ-"...)
	b = append(b, area...)
	b = append(b, '-')
	for pad := 100000; pad > 1 && n < pad && n >= 0; pad /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return a.strs.Bytes(b)
}

// prefix is an IPv4 prefix as netip.Prefix writes it: "10.88.12.0/29".
func (a *answers) prefix(addr uint32, bits int) string {
	var buf [24]byte
	b := buf[:0]
	for shift := 24; shift >= 0; shift -= 8 {
		b = strconv.AppendUint(b, uint64(byte(addr>>shift)), 10)
		if shift > 0 {
			b = append(b, '.')
		}
	}
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(bits), 10)
	return a.strs.Bytes(b)
}

// measurement is the characteristics of a probe that measures m, made
// once per distinct measurement and shared by every answer that reports it.
func (a *answers) measurement(m Measurement) tmf.Characteristics {
	k := [3]uint64{math.Float64bits(m.LatencyMs), math.Float64bits(m.LossPct), math.Float64bits(m.Availability)}
	if cs, ok := a.measured[k]; ok {
		return cs
	}
	if a.measured == nil {
		a.measured = map[[3]uint64]tmf.Characteristics{}
	}
	cs := measured(m)
	a.measured[k] = cs
	return cs
}
