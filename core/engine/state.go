package engine

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
)

// stateRun is how many elements of a long slice EncodeState puts in one
// gob message: a slice of a state longer than that is sent in runs of it.
// encoding/gob reads each message into a buffer of its own, and one larger
// than 10 MiB (the whole of SOM's or ROM's orders at the end of the
// national rollout, 26-31 MB) by growing one 10 MiB at a time: about 2.7
// times its size in buffers, most of a restart's garbage.
const stateRun = 64

// stateInRuns is the first byte of a state whose long slices are sent in
// runs: a gob stream never begins with it (its first byte is the length
// of a message, and no message is empty).
const stateInRuns = 0

// EncodeState encodes v, state a part saves (its snapshot, an entity it
// shelves), with encoding/gob: its exported fields, maps in their
// iteration order (so a part saves sorted slices, not maps). When v points
// to a struct with an exported slice longer than stateRun, the struct
// goes first without those slices, then their lengths, then their elements
// in runs of stateRun, each a message of its own (after stateInRuns).
func EncodeState(v any) ([]byte, error) { return AppendState(nil, v) }

// AppendState appends to buf what EncodeState encodes of v, in buf's room
// when it has enough: a part that encodes into a buffer kept between
// snapshots (StateAppender) neither grows nor first touches one anew.
func AppendState(buf []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(buf)
	s, long := longSlices(v)
	if len(long) == 0 {
		if err := gob.NewEncoder(b).Encode(v); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	b.WriteByte(stateInRuns)
	enc := gob.NewEncoder(b)
	head := reflect.New(s.Type())
	head.Elem().Set(s)
	lens := make([]int, s.NumField())
	for i := range lens {
		lens[i] = -1
	}
	for _, i := range long {
		head.Elem().Field(i).SetZero()
		lens[i] = s.Field(i).Len()
	}
	if err := enc.EncodeValue(head); err != nil {
		return nil, err
	}
	if err := enc.Encode(lens); err != nil {
		return nil, err
	}
	for _, i := range long {
		f := s.Field(i)
		for j := 0; j < f.Len(); j += stateRun {
			if err := enc.EncodeValue(f.Slice(j, min(j+stateRun, f.Len()))); err != nil {
				return nil, fmt.Errorf("%s[%d:]: %w", s.Type().Field(i).Name, j, err)
			}
		}
	}
	return b.Bytes(), nil
}

// longSlices returns the struct v points to and the indexes of its
// exported slice fields longer than stateRun; none when v is not a
// pointer to a struct.
func longSlices(v any) (reflect.Value, []int) {
	p := reflect.ValueOf(v)
	if p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, nil
	}
	s := p.Elem()
	var long []int
	for i := range s.NumField() {
		if f := s.Field(i); f.Kind() == reflect.Slice && s.Type().Field(i).IsExported() && f.Len() > stateRun {
			long = append(long, i)
		}
	}
	return s, long
}

// DecodeState decodes into v, a new value, what EncodeState encoded. The
// runs of a long slice are decoded in place, into a slice made at its
// length.
func DecodeState(b []byte, v any) error {
	if len(b) == 0 || b[0] != stateInRuns {
		return gob.NewDecoder(bytes.NewReader(b)).Decode(v)
	}
	dec := gob.NewDecoder(bytes.NewReader(b[1:]))
	if err := dec.Decode(v); err != nil {
		return err
	}
	var lens []int
	if err := dec.Decode(&lens); err != nil {
		return fmt.Errorf("the lengths of its slices: %w", err)
	}
	s := reflect.ValueOf(v).Elem()
	if s.Kind() != reflect.Struct {
		return fmt.Errorf("a state in runs cannot be decoded into a %s", s.Type())
	}
	// The lengths go by the saved struct's fields; by name when its
	// description lists them all (gobfields.go), so that a struct with a
	// field more, or in another place, reads a state saved before.
	names, named := gobStructFields(b[1:])
	named = named && len(names) == len(lens)
	if !named && len(lens) != s.NumField() {
		return fmt.Errorf("a state of %d fields cannot be decoded into a %s", len(lens), s.Type())
	}
	for i, n := range lens {
		if n < 0 {
			continue
		}
		if named {
			sf, ok := s.Type().FieldByName(names[i])
			if !ok || len(sf.Index) != 1 {
				return fmt.Errorf("the state has %d elements of a field %s, which a %s does not have", n, names[i], s.Type())
			}
			i = sf.Index[0]
		}
		f, name := s.Field(i), s.Type().Field(i).Name
		if f.Kind() != reflect.Slice || !s.Type().Field(i).IsExported() || n > len(b) {
			return fmt.Errorf("%d elements for %s, a %s", n, name, f.Type())
		}
		f.Set(reflect.MakeSlice(f.Type(), n, n))
		run := reflect.New(f.Type())
		for j := 0; j < n; j += stateRun {
			k := min(j+stateRun, n)
			run.Elem().Set(f.Slice(j, k))
			if err := dec.DecodeValue(run); err != nil {
				return fmt.Errorf("%s[%d:]: %w", name, j, err)
			}
			if run.Elem().Len() != k-j {
				return fmt.Errorf("%s[%d:]: %d elements, not %d", name, j, run.Elem().Len(), k-j)
			}
			if run.Elem().Pointer() != f.Slice(j, k).Pointer() {
				reflect.Copy(f.Slice(j, k), run.Elem())
			}
		}
	}
	return nil
}

// A Shelver encodes the entities a part shelves (Out.Shelve), as
// EncodeState would: each body is a whole gob stream, which DecodeState
// reads. It is faster than EncodeState for many small values of a type:
// one encoder describes each type once, and keeps those descriptions (its
// preamble); each value is encoded alone and follows them. A Shelver is
// used on one goroutine, the engine's.
type Shelver struct {
	buf      bytes.Buffer
	enc      *gob.Encoder
	preamble []byte
}

// Encode returns v encoded: the preamble, then v's message.
func (s *Shelver) Encode(v any) ([]byte, error) {
	msg, err := s.encode(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(s.preamble)+len(msg))
	return append(append(out, s.preamble...), msg...), nil
}

// encode encodes v, adds the types it meets first to the preamble, and
// returns v's message, in the Shelver's buffer.
func (s *Shelver) encode(v any) ([]byte, error) {
	if s.enc == nil {
		s.enc = gob.NewEncoder(&s.buf)
	}
	s.buf.Reset()
	if err := s.enc.Encode(v); err != nil {
		s.enc, s.preamble = nil, nil // the encoder may be broken: start again
		return nil, err
	}
	b := s.buf.Bytes()
	last, err := lastMessage(b)
	if err != nil {
		s.enc, s.preamble = nil, nil
		return nil, err
	}
	// The messages before the value's describe types first met: they
	// join the preamble.
	s.preamble = append(s.preamble, b[:last]...)
	return b[last:], nil
}

// Doc returns v encoded as Encode does, in two: head, the preamble as it
// stands (shared: never to be changed), and body, v's message (a
// store.Doc's Head and Body).
func (s *Shelver) Doc(v any) (head, body []byte, err error) {
	whole, err := s.encode(v)
	if err != nil {
		return nil, nil, err
	}
	return s.preamble[:len(s.preamble):len(s.preamble)], append([]byte(nil), whole...), nil
}

// lastMessage returns where the last message of a gob stream begins: each
// message is its length, an unsigned integer as gob writes one (below
// 128, a byte; else a byte saying how many bytes follow, negated, then
// those bytes, big-endian), and that many bytes.
func lastMessage(b []byte) (int, error) {
	at, last := 0, 0
	for at < len(b) {
		n, k := uint64(b[at]), 1
		if n >= 0x80 {
			k = 1 + int(-int8(b[at]))
			if k > 9 || at+k > len(b) {
				return 0, fmt.Errorf("shelver: a gob message's length cut short at %d of %d bytes", at, len(b))
			}
			n = 0
			for _, c := range b[at+1 : at+k] {
				n = n<<8 | uint64(c)
			}
		}
		if n > uint64(len(b)-at-k) {
			return 0, fmt.Errorf("shelver: a gob message cut short at %d of %d bytes", at, len(b))
		}
		last, at = at, at+k+int(n)
	}
	return last, nil
}
