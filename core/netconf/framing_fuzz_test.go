package netconf

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzChunked: whatever arrives, the chunked reader returns a message, a
// framing error or the end of the stream — never a panic — and a message
// it returns survives a write and a read in any chunk size.
func FuzzChunked(f *testing.F) {
	f.Add([]byte("\n#4\n<rpc\n#3\n/>x\n##\n"), uint8(3))
	f.Add([]byte("\n#1\na\n##\n\n#2\nbc\n##\n"), uint8(1))
	f.Add([]byte("\n##\n"), uint8(0))
	f.Add([]byte("\n#4294967295\n"), uint8(7))
	f.Fuzz(func(t *testing.T, wire []byte, size uint8) {
		r := NewReader(bytes.NewReader(wire))
		r.Chunked()
		r.Max = 1 << 16
		for {
			msg, err := r.Read()
			if err != nil {
				if !errors.Is(err, ErrFraming) && !errors.Is(err, io.EOF) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.Chunked()
			w.ChunkSize = int(size)
			if err := w.Write(msg); err != nil {
				t.Fatalf("a message read does not write: %v", err)
			}
			back := NewReader(&buf)
			back.Chunked()
			again, err := back.Read()
			if err != nil || !bytes.Equal(again, msg) {
				t.Fatalf("round trip of %q: %q, %v", msg, again, err)
			}
		}
	})
}

// FuzzEndOfMessage: the base:1.0 reader never panics and never returns a
// message holding the marker.
func FuzzEndOfMessage(f *testing.F) {
	f.Add([]byte("<hello/>]]>]]><rpc/>]]>]]>"))
	f.Add([]byte("]]>]]]>]]>"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		r := NewReader(bytes.NewReader(wire))
		r.Max = 1 << 16
		for {
			msg, err := r.Read()
			if err != nil {
				return
			}
			if bytes.Contains(msg, []byte(EndOfMessage)) {
				t.Fatalf("message %q holds the marker", msg)
			}
		}
	})
}
