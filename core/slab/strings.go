package slab

import "strings"

// stringsChunk is the size of the buffer Strings cuts strings from.
const stringsChunk = 4 << 10

// Strings makes many small strings (idempotency keys, ids) out of shared
// buffers: one allocation per buffer instead of one per string. A string
// it returns is never written again (the buffer only grows at its end), so
// it is an ordinary string; the buffer stays in memory as long as any of
// its strings is referenced, so use it for strings that live about as long
// as one another (those of the orders in flight). Its zero value is ready
// to use; it is not safe for concurrent use.
type Strings struct {
	b strings.Builder
}

// Join returns the concatenation of parts.
func (s *Strings) Join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > stringsChunk/8 {
		return strings.Join(parts, "") // large: a string of its own
	}
	start := s.room(n)
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s.b.String()[start:]
}

// Bytes returns b as a string.
func (s *Strings) Bytes(b []byte) string {
	if len(b) > stringsChunk/8 {
		return string(b)
	}
	start := s.room(len(b))
	s.b.Write(b)
	return s.b.String()[start:]
}

// room makes room for n more bytes and returns where they start.
func (s *Strings) room(n int) int {
	if s.b.Cap()-s.b.Len() < n {
		s.b.Reset()
		s.b.Grow(stringsChunk)
	}
	return s.b.Len()
}
