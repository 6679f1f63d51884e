// Package netconf is the NETCONF wire both sides of the product speak: the
// adapter that configures an OLT (adapters/netconf) and the twin's NETCONF
// front-end (twin/netconf). It holds RFC 6242 message framing (the
// end-of-message marker of base:1.0 and the chunked framing of base:1.1),
// the hello exchange's capabilities, and RFC 6241's rpc-reply with its
// rpc-errors. It knows no datastore and no SSH: standard library only.
package netconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// EndOfMessage ends a message in base:1.0 framing (RFC 6242 §4.3).
const EndOfMessage = "]]>]]>"

// MaxMessage is the largest message a Reader takes by default.
const MaxMessage = 16 << 20

// ErrFraming is a framing violation: the peer sent something that is not
// a NETCONF message; the session cannot go on.
var ErrFraming = errors.New("netconf framing")

// Reader reads NETCONF messages from a stream. It starts in base:1.0
// framing; Chunked switches it to base:1.1 once both hellos are through.
type Reader struct {
	r       *bufio.Reader
	chunked bool
	// Max bounds a message's size; MaxMessage if zero.
	Max int
}

// NewReader reads messages from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Chunked switches to chunked framing (base:1.1).
func (d *Reader) Chunked() { d.chunked = true }

// Read returns the next message, without its framing.
func (d *Reader) Read() ([]byte, error) {
	if d.chunked {
		return d.readChunked()
	}
	return d.readEOM()
}

func (d *Reader) max() int {
	if d.Max > 0 {
		return d.Max
	}
	return MaxMessage
}

func (d *Reader) readEOM() ([]byte, error) {
	var msg []byte
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(bytes.TrimSpace(msg)) > 0 {
				return nil, fmt.Errorf("%w: stream ended inside a message", ErrFraming)
			}
			return nil, err
		}
		msg = append(msg, b)
		if bytes.HasSuffix(msg, []byte(EndOfMessage)) {
			return msg[:len(msg)-len(EndOfMessage)], nil
		}
		if len(msg) > d.max() {
			return nil, fmt.Errorf("%w: message longer than %d bytes", ErrFraming, d.max())
		}
	}
}

// readChunked reads chunks (LF # size LF data) up to the end-of-chunks
// marker (LF ## LF), RFC 6242 §4.2.
func (d *Reader) readChunked() ([]byte, error) {
	var msg []byte
	for first := true; ; first = false {
		if err := d.expect('\n', first); err != nil {
			return nil, err
		}
		if err := d.expect('#', false); err != nil {
			return nil, err
		}
		b, err := d.r.ReadByte()
		if err != nil {
			return nil, d.truncated(err)
		}
		if b == '#' {
			if err := d.expect('\n', false); err != nil {
				return nil, err
			}
			if first {
				return nil, fmt.Errorf("%w: a message with no chunk", ErrFraming)
			}
			return msg, nil
		}
		size, err := d.size(b)
		if err != nil {
			return nil, err
		}
		if size > d.max()-len(msg) {
			return nil, fmt.Errorf("%w: message longer than %d bytes", ErrFraming, d.max())
		}
		n := len(msg)
		msg = append(msg, make([]byte, size)...)
		if _, err := io.ReadFull(d.r, msg[n:]); err != nil {
			return nil, d.truncated(err)
		}
	}
}

// size reads a chunk size: a decimal from 1 to 4294967295 with no leading
// zero, ended by LF; first is its first digit, already read.
func (d *Reader) size(first byte) (int, error) {
	digits := []byte{first}
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return 0, d.truncated(err)
		}
		if b == '\n' {
			break
		}
		digits = append(digits, b)
		if len(digits) > 10 {
			return 0, fmt.Errorf("%w: chunk size %q too long", ErrFraming, digits)
		}
	}
	if digits[0] < '1' || digits[0] > '9' {
		return 0, fmt.Errorf("%w: chunk size %q", ErrFraming, digits)
	}
	n, err := strconv.ParseUint(string(digits), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: chunk size %q", ErrFraming, digits)
	}
	return int(n), nil
}

// expect reads one byte that must be want. At the start of a message
// (atStart) a clean end of stream is io.EOF, the session's end.
func (d *Reader) expect(want byte, atStart bool) error {
	b, err := d.r.ReadByte()
	if err != nil {
		if atStart && err == io.EOF {
			return io.EOF
		}
		return d.truncated(err)
	}
	if b != want {
		return fmt.Errorf("%w: %q where %q belongs", ErrFraming, b, want)
	}
	return nil
}

func (d *Reader) truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: stream ended inside a message", ErrFraming)
	}
	return err
}

// Writer writes NETCONF messages to a stream, in base:1.0 framing until
// Chunked is called.
type Writer struct {
	w       io.Writer
	chunked bool
	// ChunkSize splits a message into chunks of at most this many bytes
	// in chunked framing; the whole message is one chunk if zero.
	ChunkSize int
}

// NewWriter writes messages to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Chunked switches to chunked framing (base:1.1).
func (e *Writer) Chunked() { e.chunked = true }

// Write sends msg as one message. An empty message cannot be sent in
// chunked framing.
func (e *Writer) Write(msg []byte) error {
	var buf bytes.Buffer
	if !e.chunked {
		if bytes.Contains(msg, []byte(EndOfMessage)) {
			return fmt.Errorf("%w: message contains the end-of-message marker", ErrFraming)
		}
		buf.Grow(len(msg) + len(EndOfMessage))
		buf.Write(msg)
		buf.WriteString(EndOfMessage)
	} else {
		if len(msg) == 0 {
			return fmt.Errorf("%w: empty message", ErrFraming)
		}
		step := e.ChunkSize
		if step <= 0 {
			step = len(msg)
		}
		for rest := msg; len(rest) > 0; {
			n := min(step, len(rest))
			fmt.Fprintf(&buf, "\n#%d\n", n)
			buf.Write(rest[:n])
			rest = rest[n:]
		}
		buf.WriteString("\n##\n")
	}
	_, err := e.w.Write(buf.Bytes())
	return err
}
