package netconf

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// wire is a raw NETCONF session: the test writes and reads framed
// messages itself.
type wire struct {
	w *netconf.Writer
	r *netconf.Reader
}

func serve(t *testing.T) (*Device, string, gossh.PublicKey) {
	t.Helper()
	dev, err := NewDevice("OLT-NCL-01", []Card{{Slot: 2, Ports: 4}}, nil)
	require.NoError(t, err)
	dev.Ended = make(chan uint32, 16)
	srv, err := NewServer(dev, "ordertwin", "secret", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	addr, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return dev, addr.String(), srv.HostKey()
}

// open logs in, asks for the netconf subsystem and exchanges hellos,
// offering caps.
func open(t *testing.T, addr string, key gossh.PublicKey, caps ...string) (*wire, *netconf.Hello) {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "ordertwin", Auth: []gossh.AuthMethod{gossh.Password("secret")},
		HostKeyCallback: gossh.FixedHostKey(key), Timeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	s, err := c.NewSession()
	require.NoError(t, err)
	in, err := s.StdinPipe()
	require.NoError(t, err)
	out, err := s.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, s.RequestSubsystem("netconf"))
	w := &wire{netconf.NewWriter(in), netconf.NewReader(out)}
	msg, err := w.r.Read()
	require.NoError(t, err)
	hello, err := netconf.ParseHello(msg)
	require.NoError(t, err)
	require.NoError(t, w.w.Write((&netconf.Hello{Capabilities: caps}).Marshal()))
	return w, hello
}

func (w *wire) call(t *testing.T, rpc string) *netconf.Reply {
	t.Helper()
	require.NoError(t, w.w.Write([]byte(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="9">`+rpc+`</rpc>`)))
	msg, err := w.r.Read()
	require.NoError(t, err)
	r, err := netconf.ParseReply(msg)
	require.NoError(t, err)
	assert.Equal(t, "9", r.MessageID)
	return r
}

// RFC 6242 §4.1: the server offers base:1.0 and 1.1 and the candidate,
// confirmed-commit and validate capabilities, and speaks base:1.0 framing
// to a client that offers only base:1.0.
func TestHelloAndBase10(t *testing.T) {
	_, addr, key := serve(t)
	w, hello := open(t, addr, key, netconf.Base10)
	for _, c := range []string{netconf.Base10, netconf.Base11, netconf.Candidate, netconf.ConfirmedCommit, netconf.Validate} {
		assert.True(t, hello.Has(c), c)
	}
	assert.NotZero(t, hello.SessionID)
	r := w.call(t, `<get-config><source><running/></source><filter type="subtree"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>ct-LC2-P3</name></interface></interfaces></filter></get-config>`)
	require.NoError(t, r.Err())
	assert.Contains(t, string(r.Data.Inner), "ct-LC2-P3")
	assert.NotContains(t, string(r.Data.Inner), "ct-LC2-P4", "the filter's content match selects one port")
}

// RFC 6242 §4.2: with base:1.1 on both sides, messages go in chunks; the
// server reads an rpc cut into odd-sized chunks.
func TestChunkedOverSSH(t *testing.T) {
	_, addr, key := serve(t)
	w, _ := open(t, addr, key, netconf.Base10, netconf.Base11)
	w.w.Chunked()
	w.r.Chunked()
	for _, size := range []int{1, 3, 7, 50} {
		w.w.ChunkSize = size
		r := w.call(t, `<get-config><source><candidate/></source></get-config>`)
		require.NoError(t, r.Err(), "chunks of %d", size)
		assert.Contains(t, string(r.Data.Inner), "uplink-1")
	}
	require.NoError(t, w.w.Write([]byte("not xml")))
	msg, err := w.r.Read()
	require.NoError(t, err)
	r, err := netconf.ParseReply(msg)
	require.NoError(t, err)
	var e *netconf.Error
	require.ErrorAs(t, r.Err(), &e)
	assert.Equal(t, netconf.MalformedMsg, e.Tag)
}

// RFC 6241 §7.5 and §8.3.5: a lock is one session's; when that session
// ends the lock goes and the candidate's changes with it.
func TestLockEndsWithSession(t *testing.T) {
	dev, addr, key := serve(t)
	a, _ := open(t, addr, key, netconf.Base10)
	b, _ := open(t, addr, key, netconf.Base10)
	require.NoError(t, a.call(t, `<lock><target><candidate/></target></lock>`).Err())
	edit := `<edit-config><target><candidate/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>uplink-1</name><description>changed</description></interface></interfaces></config></edit-config>`
	require.NoError(t, a.call(t, edit).Err())

	var e *netconf.Error
	require.ErrorAs(t, b.call(t, `<lock><target><candidate/></target></lock>`).Err(), &e)
	assert.Equal(t, netconf.LockDenied, e.Tag)
	require.ErrorAs(t, b.call(t, edit).Err(), &e)
	assert.Equal(t, netconf.InUse, e.Tag)

	require.NoError(t, a.call(t, `<close-session/>`).Err())
	<-dev.Ended
	require.NoError(t, b.call(t, `<lock><target><candidate/></target></lock>`).Err())
	r := b.call(t, `<get-config><source><candidate/></source></get-config>`)
	assert.NotContains(t, string(r.Data.Inner), "changed", "the candidate was reset")
}

// RFC 6241 §8.6: validate refuses a reference to an interface the
// configuration does not hold, naming it; commit does too.
func TestValidateDanglingReference(t *testing.T) {
	dev, err := NewDevice("OLT-NCL-01", []Card{{Slot: 1, Ports: 1}}, nil)
	require.NoError(t, err)
	_, _, e := dev.handle(1, "edit-config", []byte(`<target><candidate/></target><config><xpongemtcont xmlns="urn:bbf:yang:bbf-xpongemtcont"><tconts><tcont><name>t1</name><interface-reference>vani-LC9-P9</interface-reference></tcont></tconts></xpongemtcont></config>`))
	require.Nil(t, e)
	_, _, e = dev.handle(1, "validate", []byte(`<source><candidate/></source>`))
	require.NotNil(t, e)
	assert.Equal(t, netconf.InvalidValue, e.Tag)
	assert.Contains(t, e.Message, `"vani-LC9-P9"`)
	_, _, e = dev.handle(1, "commit", nil)
	require.NotNil(t, e)
	assert.False(t, strings.Contains(string(dev.Running()), "vani-LC9-P9"), "nothing committed")
}

func TestNewDeviceRefusesBadCards(t *testing.T) {
	_, err := NewDevice("OLT-X", []Card{{Slot: 0, Ports: 4}}, nil)
	assert.ErrorContains(t, err, "line card 0 with 4 ports")
}

// Close right after Start ends the serving, whichever comes first.
func TestCloseRightAfterStart(t *testing.T) {
	for range 50 {
		dev, err := NewDevice("OLT-X", []Card{{Slot: 1, Ports: 1}}, nil)
		require.NoError(t, err)
		srv, err := NewServer(dev, "u", "p", nil)
		require.NoError(t, err)
		_, err = srv.Start("127.0.0.1:0")
		require.NoError(t, err)
		require.NoError(t, srv.Close())
	}
}
