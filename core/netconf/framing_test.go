package netconf

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 6242 §4.2: a message in chunked framing reads the same however it is
// cut into chunks, odd sizes included.
func TestChunkedOddSizes(t *testing.T) {
	msg := []byte(`<rpc message-id="101" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>`)
	for _, size := range []int{1, 2, 3, 7, 13, 64, len(msg) - 1, len(msg), 4096} {
		var wire bytes.Buffer
		w := NewWriter(&wire)
		w.Chunked()
		w.ChunkSize = size
		require.NoError(t, w.Write(msg))
		require.NoError(t, w.Write([]byte("<second/>")))
		r := NewReader(&wire)
		r.Chunked()
		got, err := r.Read()
		require.NoError(t, err, "chunk size %d", size)
		assert.Equal(t, msg, got, "chunk size %d", size)
		got, err = r.Read()
		require.NoError(t, err)
		assert.Equal(t, "<second/>", string(got))
		_, err = r.Read()
		assert.ErrorIs(t, err, io.EOF, "a clean end of stream between messages")
	}
}

// The RFC 6242 §4.2 example: two chunks, "\n#4\n<rpc\n#18\n message-id=..."
func TestChunkedRFCExample(t *testing.T) {
	wire := "\n#4\n<rpc\n#18\n message-id=\"102\"\n\n#79\n     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n  <close-session/>\n</rpc>\n##\n"
	r := NewReader(strings.NewReader(wire))
	r.Chunked()
	got, err := r.Read()
	require.NoError(t, err)
	assert.Equal(t, "<rpc message-id=\"102\"\n     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n  <close-session/>\n</rpc>", string(got))
}

func TestEndOfMessage(t *testing.T) {
	var wire bytes.Buffer
	w := NewWriter(&wire)
	require.NoError(t, w.Write([]byte("<hello/>")))
	require.NoError(t, w.Write([]byte("<a>]]</a>")))
	assert.Error(t, w.Write([]byte("x]]>]]>y")), "the marker cannot be inside a base:1.0 message")
	r := NewReader(&wire)
	for _, want := range []string{"<hello/>", "<a>]]</a>"} {
		got, err := r.Read()
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
	_, err := r.Read()
	assert.ErrorIs(t, err, io.EOF)
}

// Violations of RFC 6242 §4.2 end the session with ErrFraming, naming
// what is wrong.
func TestChunkedViolations(t *testing.T) {
	for name, wire := range map[string]string{
		"no chunk":            "\n##\n",
		"leading zero":        "\n#04\nabcd\n##\n",
		"zero size":           "\n#0\n\n##\n",
		"size too big":        "\n#4294967296\nabc\n##\n",
		"not a digit":         "\n#1x\na\n##\n",
		"missing LF":          "#3\nabc\n##\n",
		"short chunk":         "\n#10\nabc",
		"no end of chunks":    "\n#3\nabc",
		"garbage after chunk": "\n#3\nabcX##\n",
	} {
		r := NewReader(strings.NewReader(wire))
		r.Chunked()
		_, err := r.Read()
		assert.ErrorIs(t, err, ErrFraming, name)
	}
	r := NewReader(strings.NewReader("\n#8\n12345678\n##\n"))
	r.Chunked()
	r.Max = 4
	_, err := r.Read()
	assert.ErrorIs(t, err, ErrFraming, "a message over the limit")
}

func TestReplyErrors(t *testing.T) {
	msg := ReplyError("7", Error{Type: "protocol", Tag: LockDenied, Message: "lock held", Info: &Info{SessionID: 4}},
		Error{Type: "application", Tag: DataExists, Severity: "warning"})
	r, err := ParseReply(msg)
	require.NoError(t, err)
	assert.Equal(t, "7", r.MessageID)
	var e *Error
	require.ErrorAs(t, r.Err(), &e, "a warning is no failure; one error is returned as itself")
	assert.Equal(t, LockDenied, e.Tag)
	assert.Equal(t, uint32(4), e.Info.SessionID)

	r, err = ParseReply(ReplyData("8", []byte(`<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>`)))
	require.NoError(t, err)
	require.NoError(t, r.Err())
	assert.Contains(t, string(r.Data.Inner), "ietf-interfaces")
}
