package engine

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/ordertwin/ordertwin/core/store"
)

// ErrRefused is wrapped by the error a refused input is answered with
// (errors.Is): the input could not be applied and changed nothing.
var ErrRefused = errors.New("input refused")

// Refused is the fact kind of the journal record of a refused input.
const Refused = "refused"

// Refusal is why a component refused an input: the component, the input's
// kind (its Go type, as the input log names it) and the reason.
type Refusal struct {
	To     Address
	Kind   string
	Reason error
	// Panicked says the component panicked on the input: a bug of the
	// product's, whose details are for its log and journal, not for the
	// caller.
	Panicked bool
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s refused %s: %v", r.To, r.Kind, r.Reason)
}

// Unwrap gives the reason.
func (r *Refusal) Unwrap() error { return r.Reason }

// Is makes a refusal ErrRefused.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

// Record is the journal record of the refusal: kind "refused", the input's
// kind as entity, the component as system, the reason.
func (r *Refusal) Record() store.Record {
	return store.Record{Kind: Refused, Entity: r.Kind, System: r.To.String(), To: Refused, Event: "refuse", Reason: r.Reason.Error()}
}

// handle gives one input to its component. When the component refuses it
// (Out.Error, or a panic: a handler's bug that an input reached), what
// handling it added to out is taken back, and the refusal is returned.
// Handlers check an input before they change their state, so a refused
// input leaves no trace but the refusal's record.
func (e *Engine) handle(in Input, out *Out) (refusal *Refusal) {
	records, sends, calls, docs := len(out.records), len(out.sends), len(out.calls), len(out.docs)
	defer func() {
		p := recover()
		if p != nil {
			out.err = fmt.Errorf(panicPrefix+"%s: %v", panicked(), p)
		}
		if out.err == nil {
			return
		}
		kind := fmt.Sprintf("%T", in.Msg)
		if u, ok := in.Msg.(unlogged); ok {
			kind = u.Kind
		}
		refusal = &Refusal{To: in.To, Kind: kind, Reason: out.err, Panicked: p != nil}
		clear(out.records[records:])
		clear(out.sends[sends:])
		clear(out.calls[calls:])
		clear(out.docs[docs:])
		out.records, out.sends, out.calls, out.docs = out.records[:records], out.sends[:sends], out.calls[:calls], out.docs[:docs]
		out.err, out.reply, out.replied = nil, nil, false
	}()
	if e.replaying && e.healed(in, out) {
		return nil
	}
	msg, ok := e.outsideInput(in.Msg, out)
	if !ok {
		return nil
	}
	h := e.handlers[in.To]
	if h == nil {
		out.err = fmt.Errorf("no component %s here", in.To)
		return nil
	}
	h.Handle(out.now, msg, out)
	for _, c := range out.calls[calls:] {
		if out.err == nil && e.adapters[c.req.System] == nil {
			out.err = fmt.Errorf("call %s %s: no adapter for system %q", c.req.Op, c.req.Key, c.req.System)
		}
	}
	return nil
}

// Refusals counts the inputs refused so far. Like all engine state, read
// it on the engine's goroutine (in a Query).
func (e *Engine) Refusals() uint64 { return e.refusals }

// panicked names the function that panicked: the first frame of the
// panicking goroutine outside the runtime.
func panicked() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return f.Function
		}
		if !more {
			return "?"
		}
	}
}
