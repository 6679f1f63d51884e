package store

import (
	"encoding/binary"
	"strings"
	"time"
)

// words numbers the strings that recur in a memory journal's short fields
// — kinds, systems, states, events, reasons — so that the journal keeps
// each of them once and its records name them by number. A journal of
// 1,000 five-site orders holds about 270,000 records but under 100
// distinct such strings.
type words struct {
	number map[string]uint32
	list   []string
	// recent holds the word last numbered at each slot (wordSlot): most
	// of a journal's words are the same few strings, often the very same
	// constants, found here without hashing.
	recent [256]recentWord
}

// recentWord is a word and its number.
type recentWord struct {
	s string
	n uint32
}

// wordSlot is where recent keeps s, from its length and its first and
// last bytes; s is not empty.
func wordSlot(s string) uint8 {
	return uint8(len(s)*31) ^ s[0]<<2 ^ s[len(s)-1]
}

// maxWords bounds how many strings are numbered, and maxWordLen how long
// one may be: a free-text reason made once is kept as it is.
const (
	maxWords   = 1 << 12
	maxWordLen = 64
)

// append encodes s: as a uvarint, its number times two plus one, or its
// length times two followed by its bytes when it has no number (the empty
// string, a long one, one past maxWords).
func (w *words) append(b []byte, s string) []byte {
	if s == "" {
		return append(b, 0)
	}
	slot := &w.recent[wordSlot(s)]
	if slot.s == s {
		return binary.AppendUvarint(b, uint64(slot.n)<<1|1)
	}
	n, ok := w.number[s]
	if !ok {
		if len(s) > maxWordLen || len(w.list) >= maxWords {
			return append(binary.AppendUvarint(b, uint64(len(s))<<1), s...)
		}
		if w.number == nil {
			w.number = map[string]uint32{}
		}
		kept := strings.Clone(s) // not the buffer s was cut from
		n = uint32(len(w.list))
		w.number[kept] = n
		w.list = append(w.list, kept)
	}
	*slot = recentWord{s, n}
	return binary.AppendUvarint(b, uint64(n)<<1|1)
}

// read decodes a string encoded by append, and returns the rest of b.
func (w *words) read(b []byte) (string, []byte, error) {
	c, n := binary.Uvarint(b)
	if n <= 0 {
		return "", b, ErrCorrupt
	}
	b = b[n:]
	if c&1 == 1 {
		if c>>1 >= uint64(len(w.list)) {
			return "", b, ErrCorrupt
		}
		return w.list[c>>1], b, nil
	}
	if c>>1 > uint64(len(b)) {
		return "", b, ErrCorrupt
	}
	l := int(c >> 1)
	return string(b[:l]), b[l:], nil
}

// appendMemoryRecord encodes r for the memory journal: its time as a
// varint, the difference from prev (the time of the record before it in
// its chunk, 0 for the first), its entity and name as EncodeRecords writes them (each record
// has its own), and its other strings as words.
func (w *words) appendMemoryRecord(b []byte, r *Record, prev time.Duration) []byte {
	b = binary.AppendVarint(b, int64(r.At-prev))
	b = w.append(b, r.Kind)
	b = appendString(b, r.Entity)
	b = appendString(b, r.Name)
	b = w.append(b, r.System)
	b = w.append(b, r.From)
	b = w.append(b, r.To)
	b = w.append(b, r.Event)
	return w.append(b, r.Reason)
}

// decodeMemoryRecords appends the records encoded in b by
// appendMemoryRecord to out: b is a whole chunk.
func (w *words) decodeMemoryRecords(out []Record, b []byte) ([]Record, error) {
	var prev time.Duration
	for len(b) > 0 {
		var r Record
		var err error
		if r.At, b, err = readAt(b, prev); err != nil {
			return out, err
		}
		prev = r.At
		if r.Kind, b, err = w.read(b); err != nil {
			return out, err
		}
		if r.Entity, b, err = readString(b); err != nil {
			return out, err
		}
		if r.Name, b, err = readString(b); err != nil {
			return out, err
		}
		for _, s := range [...]*string{&r.System, &r.From, &r.To, &r.Event, &r.Reason} {
			if *s, b, err = w.read(b); err != nil {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// readString decodes a string encoded by appendString, and returns the
// rest of b.
func readString(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return "", b, ErrCorrupt
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}
