package netconf

import (
	"context"
	"crypto/ed25519"
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// hangUp is a server's end of a session that answers the first rpc and
// hangs up at once, and lets the caller go on only when the session has
// seen both: the reply and the end reach the caller together.
type hangUp struct {
	s     *Session
	reply *io.PipeWriter
}

func (h hangUp) Write(p []byte) (int, error) {
	go func() {
		_ = netconf.NewWriter(h.reply).Write([]byte(`<rpc-reply xmlns="` + netconf.Namespace + `" message-id="1"><ok/></rpc-reply>`))
		_ = h.reply.Close()
	}()
	<-h.s.done
	return len(p), nil
}

// A server answers close-session and hangs up (RFC 6241 §7.8): the caller
// gets the answer, not the end of the session, however the two are
// ordered when it looks.
func TestAnswerBeforeHangUp(t *testing.T) {
	for range 64 {
		r, w := io.Pipe()
		s := &Session{waiting: map[string]chan []byte{}, done: make(chan struct{})}
		s.w = netconf.NewWriter(hangUp{s: s, reply: w})
		go s.read(netconf.NewReader(r))
		reply, err := s.Call(context.Background(), []byte("<close-session/>"))
		require.NoError(t, err)
		require.NotNil(t, reply.OK, "the server's <ok/>")
		require.ErrorIs(t, s.err, ErrClosed, "and the session has ended")
	}
}

// parrot is a device that answers every rpc with the same content of
// <rpc-reply>, under the rpc's message-id, in chunked framing.
type parrot struct {
	body  []byte
	reply *io.PipeWriter
}

var messageID = regexp.MustCompile(`message-id="(\d+)"`)

func (p parrot) Write(rpc []byte) (int, error) {
	id := messageID.FindSubmatch(rpc)[1]
	msg := append([]byte(`<rpc-reply xmlns="`+netconf.Namespace+`" message-id="`+string(id)+`">`), p.body...)
	msg = append(msg, "</rpc-reply>"...)
	go func() {
		w := netconf.NewWriter(p.reply)
		w.Chunked()
		_ = w.Write(msg)
	}()
	return len(rpc), nil
}

// parrotSession is a session with a parrot, in process: no SSH, no
// network.
func parrotSession(t testing.TB, body []byte) *Session {
	r, w := io.Pipe()
	s := &Session{waiting: map[string]chan []byte{}, done: make(chan struct{})}
	s.w = netconf.NewWriter(parrot{body: body, reply: w})
	s.w.Chunked()
	reader := netconf.NewReader(r)
	reader.Chunked()
	go s.read(reader)
	t.Cleanup(func() { _ = w.CloseWithError(ErrClosed); _ = r.Close() })
	return s
}

// never is an endpoint for a device the test reaches through a session
// of its own (parrotSession): nothing dials it.
func never(t testing.TB) Endpoint {
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	hostKey, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return Endpoint{Addr: "192.0.2.1:830", User: "ordertwin", HostKey: hostKey}
}
