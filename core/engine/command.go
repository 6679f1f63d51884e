package engine

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// answer is where the reply to a command goes once its step is committed
// (nil for other inputs).
type answer = *ticket

type result struct {
	v   any
	err error
}

// Command submits msg like Submit and waits until the engine has handled it
// and committed the step it was in: it returns what the handler gave
// Out.Reply (nil when it gave nothing). Nothing is answered before it is
// durable (the outbox rule).
//
// A serving engine that is behind refuses the command at once, and it
// changes nothing: ErrStoreCannotWrite while the store cannot write
// (StoreFault), ErrOverloaded when too many commands wait or a commit has
// run too long, or when the engine has not taken the command within the
// admission time (Limits). Once taken, the command is handled; if ctx ends
// or the store fails before its step is committed, Command returns an
// error wrapping ErrUnconfirmed: the command may still be applied, and a
// caller that retries must make it idempotent (an Idempotency-Key, an
// externalId).
func (e *Engine) Command(ctx context.Context, to Address, msg any) (any, error) {
	return e.CommandWith(ctx, to, msg, Around{})
}

// Around is what runs on the engine's goroutine around a command
// (CommandWith), so that a caller need not make queries of its own before
// and after it: each query waits for a commit of its own, and the three
// would wait for three commits in a row.
type Around struct {
	// Check, when set, runs when the engine takes the command, before it
	// is logged: an error refuses the command, which is then neither
	// logged nor handled, and is what CommandWith returns (a CheckError),
	// once what the check saw is committed.
	Check func() error
	// Read, when set, runs right after the command's handler, on the
	// state it left, and what it returns from the handler's reply is the
	// answer (given, as always, once the step is committed). It is not
	// called for a refused command.
	Read func(reply any) any
}

// A CheckError is what CommandWith returns when its Check failed: the
// command changed nothing.
type CheckError struct{ Err error }

func (c *CheckError) Error() string { return c.Err.Error() }
func (c *CheckError) Unwrap() error { return c.Err }

// CommandWith is Command, with around's Check run before the command is
// logged and its Read after its handler (Around).
func (e *Engine) CommandWith(ctx context.Context, to Address, msg any, around Around) (any, error) {
	if err := e.admit(); err != nil {
		return nil, err
	}
	broken := e.health.breaking()
	t := &ticket{reply: make(chan result, 1), open: &e.health.commands, around: around}
	e.submit(Input{To: to, Msg: msg, answer: t, origin: originOf(ctx)})
	admission := time.NewTimer(e.limits.Admission)
	defer admission.Stop()
	for {
		select {
		case r := <-t.reply:
			return r.v, r.err
		case <-admission.C:
			if t.withdraw() {
				return nil, fmt.Errorf("%w: it did not take the command within %s; the command was withdrawn", ErrOverloaded, e.limits.Admission)
			}
		case <-broken:
			if t.withdraw() {
				return nil, e.storeFault()
			}
			select {
			case r := <-t.reply: // committed just before the store failed
				return r.v, r.err
			default:
				return nil, fmt.Errorf("%w: %w", ErrUnconfirmed, e.storeFault())
			}
		case <-ctx.Done():
			if t.withdraw() {
				return nil, fmt.Errorf("the command was withdrawn before the engine took it: %w", ctx.Err())
			}
			select {
			case r := <-t.reply:
				return r.v, r.err
			default:
				return nil, fmt.Errorf("%w: %w", ErrUnconfirmed, ctx.Err())
			}
		}
	}
}

// Reply answers the command being handled (see Engine.Command); for any
// other input it does nothing.
func (o *Out) Reply(v any) { o.reply, o.replied = v, true }

// ErrNotCommand is the error of an input the engine cannot log: its type is
// not registered with the codec.
var ErrNotCommand = errors.New("not a registered command")

// Codec encodes the inputs that come from outside for the input log: each
// registered message type by name, its exported fields with encoding/gob.
// Each body is a whole gob stream. A type with no interface in it has a
// Shelver, which describes the type once and keeps that description, so
// that encoding a message does not describe its type anew (the input
// log, a snapshot's queue); a type with one (a peer's delivery)
// has a fresh encoder each time, as gob describes the types an interface
// holds inside the message that first holds them.
type Codec struct {
	types map[string]reflect.Type
	names map[reflect.Type]string
	// shelvers has each type's Shelver, nil for a type with an interface;
	// each its own lock, so that the goroutines that submit inputs
	// (Engine.submit) and the engine's, which encodes the docs it shelves,
	// wait only for an encoding of the same type.
	shelvers map[reflect.Type]*lockedShelver
}

// lockedShelver is a Shelver and the lock its encodings take.
type lockedShelver struct {
	mu sync.Mutex
	Shelver
}

// NewCodec returns a codec of the types of samples, each named by its
// package and type name (com.OrderRequest).
func NewCodec(samples ...any) *Codec {
	c := &Codec{types: map[string]reflect.Type{}, names: map[reflect.Type]string{}, shelvers: map[reflect.Type]*lockedShelver{}}
	c.Register(samples...)
	return c
}

// Register adds the types of samples (the answers of an adapter that
// answers through the inbox, say). Register before the engine runs.
func (c *Codec) Register(samples ...any) {
	for _, s := range samples {
		t := reflect.TypeOf(s)
		name := t.String()
		c.types[name], c.names[t] = t, name
		if !holdsInterface(t, map[reflect.Type]bool{}) {
			c.shelvers[t] = new(lockedShelver)
		}
	}
}

// holdsInterface reports whether a value of t may hold an interface value.
func holdsInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return holdsInterface(t.Elem(), seen)
	case reflect.Map:
		return holdsInterface(t.Key(), seen) || holdsInterface(t.Elem(), seen)
	case reflect.Struct:
		for f := range t.Fields() {
			if f.IsExported() && holdsInterface(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// Encode returns msg's kind and body.
func (c *Codec) Encode(msg any) (string, []byte, error) {
	t := reflect.TypeOf(msg)
	name, ok := c.names[t]
	if !ok {
		return "", nil, fmt.Errorf("input log: %T: %w", msg, ErrNotCommand)
	}
	if s := c.shelvers[t]; s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		b, err := s.Encode(msg)
		if err != nil {
			return "", nil, fmt.Errorf("input log: encode %s: %w", name, err)
		}
		return name, b, nil
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(msg); err != nil {
		return "", nil, fmt.Errorf("input log: encode %s: %w", name, err)
	}
	return name, b.Bytes(), nil
}

// EncodeSplit encodes msg as Encode does, in two where its type has a
// Shelver: head, the description of its types as it stands (shared, never
// to be changed; a later head of the kind begins with an earlier one), and
// body, msg's message; head+body is what Encode returns. For a type
// without a Shelver head is nil and body the whole stream.
func (c *Codec) EncodeSplit(msg any) (kind string, head, body []byte, err error) {
	t := reflect.TypeOf(msg)
	name, ok := c.names[t]
	if !ok {
		return "", nil, nil, fmt.Errorf("input log: %T: %w", msg, ErrNotCommand)
	}
	s := c.shelvers[t]
	if s == nil {
		_, body, err := c.Encode(msg)
		return name, nil, body, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	head, body, err = s.Doc(msg)
	if err != nil {
		return "", nil, nil, fmt.Errorf("input log: encode %s: %w", name, err)
	}
	return name, head, body, nil
}

// Decode returns the message of kind encoded in body.
func (c *Codec) Decode(kind string, body []byte) (any, error) {
	t, ok := c.types[kind]
	if !ok {
		return nil, fmt.Errorf("input log: kind %q: %w", kind, ErrNotCommand)
	}
	v := reflect.New(t)
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(v.Interface()); err != nil {
		return nil, fmt.Errorf("input log: decode %s: %w", kind, err)
	}
	return v.Elem().Interface(), nil
}

// logInputs encodes the inputs taken from the inbox for the input log. A
// command the codec does not know is answered with the error and dropped;
// any other input it does not know (an adapter's answer, a Submit) is
// logged as unlogged, an error, and refused when handled.
// When the journal shares its commits with the log (store.Shares), the
// inputs wait for the commit of the records of handling them: nothing of
// their effects leaves the process before that commit, and a crash before
// it loses the inputs with their effects, answered to no one. Otherwise
// they are logged at once, before they are handled.
func (e *Engine) logInputs(items []Input) ([]Input, error) {
	if e.log == nil {
		return items, nil
	}
	kept := items[:0]
	first := len(e.inputs)
	for _, in := range items {
		var kind string
		var body []byte
		var err error
		if in.logged != nil {
			kind, body, err = in.logged.kind, in.logged.body, in.logged.err
		} else {
			kind, body, err = e.codec.Encode(in.Msg)
		}
		if err != nil && in.answer != nil {
			in.answer.send(result{err: err})
			continue
		}
		if err != nil {
			// No one waits to be told (an adapter's answer, a Submit):
			// the input is refused, loudly, and logged as refused so that
			// a replay refuses it again.
			e.health.logger().Error("an input from outside cannot be logged; it is refused", "to", in.To.String(), "kind", fmt.Sprintf("%T", in.Msg), "err", err)
			in.Msg = unlogged{To: in.To, Kind: fmt.Sprintf("%T", in.Msg), Reason: err.Error()}
			if kind, body, err = e.codec.Encode(in.Msg); err != nil {
				return nil, fmt.Errorf("log inputs: %w", err)
			}
		}
		e.inputs = append(e.inputs, store.Input{Before: e.processed, At: in.At, To: uint8(in.To), Kind: kind, Body: body, Origin: originValue(in.origin)})
		kept = append(kept, in)
	}
	if e.batch != nil {
		return kept, nil
	}
	err := e.log.LogInputs(e.inputs[first:])
	e.inputs = e.inputs[:first]
	if err != nil {
		err = fmt.Errorf("log inputs: %w", err)
		for _, in := range kept {
			in.answer.send(result{err: err})
		}
		return nil, err
	}
	return kept, nil
}

type originKey struct{}

// WithOrigin returns ctx carrying who gives the commands made with it
// (Engine.Command): the input log keeps it with each (store.Origin).
func WithOrigin(ctx context.Context, o store.Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// originOf is the origin ctx carries (WithOrigin), nil for none.
func originOf(ctx context.Context) *store.Origin {
	if o, ok := ctx.Value(originKey{}).(store.Origin); ok {
		return &o
	}
	return nil
}

// originValue is the origin o points to, the zero one for none.
func originValue(o *store.Origin) store.Origin {
	if o == nil {
		return store.Origin{}
	}
	return *o
}
