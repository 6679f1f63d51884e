package engine

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"sync"
)

// Reading docs back from the shelf. A doc a Shelver encoded is a gob
// stream: its head (the description of its types, which every doc of its
// type shares) and one message, its value. A fresh gob decoder reads the
// head and compiles a decoding of each type it describes before it reads
// the value: for a resource or a service that is nearly all of the work
// (about 100 µs a doc), and an API that lists a thousand finished
// services, or a report of a run whose orders left memory, pays it a
// thousand times. DecodeDoc keeps the decoders that have read a head, per
// Go type and head, and hands the next doc's message alone to one of them.

// The bounds of what DecodeDoc keeps: decoders for at most maxDocHeads
// heads (a process meets one a shelved type, more only across versions of
// a type), at most maxDocDecoders idle decoders a head (as many as read at
// once), and none that has read a doc over maxDocBytes (a decoder keeps a
// buffer as large as the largest message it read).
const (
	maxDocHeads    = 256
	maxDocDecoders = 8
	maxDocBytes    = 64 << 10
)

// docDecoder is a gob decoder that has read a head, and the reader it
// reads from, reset for each doc (a bytes.Reader is an io.ByteReader: the
// decoder reads exactly one message from it, no further).
type docDecoder struct {
	r   bytes.Reader
	dec *gob.Decoder
}

// docDecoders are the idle decoders, by the Go type they decode into and
// their head.
var docDecoders struct {
	mu    sync.Mutex
	heads int
	idle  map[reflect.Type]map[string][]*docDecoder
}

// DecodeDoc decodes into v, a new value, a doc's whole encoding
// (store.Doc.Whole, or the body a shelf returns), as DecodeState does,
// with a decoder that has read its head already when there is one.
func DecodeDoc(b []byte, v any) error {
	if len(b) == 0 || b[0] == stateInRuns || len(b) > maxDocBytes {
		return DecodeState(b, v)
	}
	last, err := lastMessage(b)
	if err != nil || last == 0 {
		return DecodeState(b, v)
	}
	t, head := reflect.TypeOf(v), b[:last]
	if d := takeDocDecoder(t, head); d != nil {
		d.r.Reset(b[last:])
		if d.dec.Decode(v) == nil && d.r.Len() == 0 {
			putDocDecoder(t, head, d)
			return nil
		}
		// Not a doc that decoder reads: decode it afresh, as before, for
		// the value or the error a fresh decoder gives.
		if p := reflect.ValueOf(v); p.Kind() == reflect.Pointer && !p.IsNil() {
			p.Elem().SetZero()
		}
	}
	d := new(docDecoder)
	d.r.Reset(b)
	d.dec = gob.NewDecoder(&d.r)
	if err := d.dec.Decode(v); err != nil {
		return err
	}
	if d.r.Len() == 0 {
		putDocDecoder(t, head, d)
	}
	return nil
}

// takeDocDecoder takes an idle decoder into t that has read head, nil when
// there is none.
func takeDocDecoder(t reflect.Type, head []byte) *docDecoder {
	docDecoders.mu.Lock()
	defer docDecoders.mu.Unlock()
	byHead := docDecoders.idle[t]
	idle := byHead[string(head)]
	if len(idle) == 0 {
		return nil
	}
	d := idle[len(idle)-1]
	byHead[string(head)] = idle[:len(idle)-1]
	return d
}

// putDocDecoder keeps d, which has read head, idle, within the bounds.
func putDocDecoder(t reflect.Type, head []byte, d *docDecoder) {
	docDecoders.mu.Lock()
	defer docDecoders.mu.Unlock()
	if docDecoders.idle == nil {
		docDecoders.idle = map[reflect.Type]map[string][]*docDecoder{}
	}
	byHead := docDecoders.idle[t]
	if byHead == nil {
		byHead = map[string][]*docDecoder{}
		docDecoders.idle[t] = byHead
	}
	idle, known := byHead[string(head)]
	switch {
	case !known && docDecoders.heads >= maxDocHeads:
		return
	case !known:
		docDecoders.heads++
	case len(idle) >= maxDocDecoders:
		return
	}
	byHead[string(head)] = append(idle, d)
}
