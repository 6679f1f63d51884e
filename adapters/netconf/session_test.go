package netconf

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

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
