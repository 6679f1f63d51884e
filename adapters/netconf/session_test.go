package netconf

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
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

// misnumbered is a device that answers every rpc under the message-id it
// is given (none when ""), whatever the rpc's was.
type misnumbered struct {
	id    string
	reply *io.PipeWriter
}

func (m misnumbered) Write(rpc []byte) (int, error) {
	attr := ""
	if m.id != "" {
		attr = ` message-id="` + m.id + `"`
	}
	go func() {
		_ = netconf.NewWriter(m.reply).Write([]byte(`<rpc-reply xmlns="` + netconf.Namespace + `"` + attr + `><ok/></rpc-reply>`))
	}()
	return len(rpc), nil
}

// A reply under a message-id no rpc of the session carried, or under
// none, ends the session at once: the call fails saying so, not when its
// time is up (this one has none), and so does every later call.
func TestReplyToNoRPCEndsTheSession(t *testing.T) {
	for _, id := range []string{"99", "", "01", "abc", "-1", "0"} {
		t.Run(id, func(t *testing.T) {
			r, w := io.Pipe()
			t.Cleanup(func() { _ = w.Close(); _ = r.Close() })
			s := &Session{waiting: map[string]chan []byte{}, done: make(chan struct{})}
			s.w = netconf.NewWriter(misnumbered{id: id, reply: w})
			go s.read(netconf.NewReader(r))
			_, err := s.Call(context.Background(), []byte("<get/>"))
			require.ErrorContains(t, err, `rpc-reply with message-id "`+id+`", which no rpc of this session carried`)
			_, err = s.Call(context.Background(), []byte("<get/>"))
			require.ErrorContains(t, err, "which no rpc of this session carried", "the session has ended")
			require.Equal(t, port.Transient, Classify(err).Class, "another session may do better")
		})
	}
}

// A reply to an rpc whose call gave up is dropped, and the session goes
// on; so is a message that is not a reply (a notification).
func TestLateReplyIsDropped(t *testing.T) {
	r, w := io.Pipe()
	t.Cleanup(func() { _ = w.Close(); _ = r.Close() })
	s := &Session{waiting: map[string]chan []byte{}, done: make(chan struct{})}
	hold := make(chan struct{})
	var one sync.Mutex // one message at a time on the wire
	s.w = netconf.NewWriter(writerFunc(func(rpc []byte) (int, error) {
		id := string(messageID.FindSubmatch(rpc)[1])
		go func() {
			if id == "1" {
				<-hold // the first call has given up
			}
			one.Lock()
			defer one.Unlock()
			pw := netconf.NewWriter(w)
			_ = pw.Write([]byte(`<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-12-07T00:00:00Z</eventTime></notification>`))
			_ = pw.Write([]byte(`<rpc-reply xmlns="` + netconf.Namespace + `" message-id="` + id + `"><data>` + id + `</data></rpc-reply>`))
		}()
		return len(rpc), nil
	}))
	go s.read(netconf.NewReader(r))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Call(ctx, []byte("<get/>"))
	require.ErrorIs(t, err, context.Canceled)
	close(hold)
	reply, err := s.Call(context.Background(), []byte("<get/>"))
	require.NoError(t, err)
	require.NotNil(t, reply.Data)
	require.Equal(t, "2", string(reply.Data.Inner), "the second call's own reply")
	require.NoError(t, s.err, "the session goes on")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// An OLT's message over the endpoint's MaxReply ends the session: the call
// fails saying so, instead of the reply being read and parsed whole.
func TestReplyOverMaxReply(t *testing.T) {
	o := startOLT(t)
	data, err := o.session(t).GetConfig(context.Background(), "running", nil)
	require.NoError(t, err)
	ep := o.ep
	ep.MaxReply = len(data) // the reply is that and its envelope
	s, err := Dial(context.Background(), ep)
	require.NoError(t, err, "the hello fits")
	defer s.Abort()
	_, err = s.GetConfig(context.Background(), "running", nil)
	require.ErrorIs(t, err, netconf.ErrFraming)
	require.ErrorContains(t, err, fmt.Sprintf("message longer than %d bytes", len(data)))
}
