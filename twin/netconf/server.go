package netconf

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// Server serves one Device over SSH, on the netconf subsystem (RFC 6242).
type Server struct {
	dev     *Device
	srv     *ssh.Server
	hostKey gossh.Signer
	next    atomic.Uint32
	log     *slog.Logger
	served  chan error // Start's Serve, once it ends

	// The listeners are closed here as well as by the SSH server, which
	// misses one whose Serve has not begun when Close comes.
	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
}

// NewServer serves dev to user with password, under a fresh host key.
func NewServer(dev *Device, user, password string, log *slog.Logger) (*Server, error) {
	if user == "" || password == "" {
		return nil, errors.New("NETCONF server: a user and a password are needed")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("NETCONF server host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("NETCONF server host key: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{dev: dev, hostKey: signer, log: log.With("olt", dev.Name)}
	s.srv = &ssh.Server{
		HostSigners: []ssh.Signer{signer},
		PasswordHandler: func(ctx ssh.Context, p string) bool {
			return ctx.User() == user && p == password
		},
		Handler:           func(sess ssh.Session) { _ = sess.Exit(1) }, // no shell, no exec
		SubsystemHandlers: map[string]ssh.SubsystemHandler{"netconf": s.session},
	}
	return s, nil
}

// HostKey is the key clients must expect.
func (s *Server) HostKey() gossh.PublicKey { return s.hostKey.PublicKey() }

// Serve accepts sessions on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ln.Close()
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	err := s.srv.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed && (errors.Is(err, ssh.ErrServerClosed) || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	return err
}

// Start listens on addr ("127.0.0.1:0": a free port on loopback) and
// serves there in the background until Close.
func (s *Server) Start(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("NETCONF server for %s: %w", s.dev.Name, err)
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.Serve(ln) }()
	return ln.Addr(), nil
}

// Close stops the server and its sessions (and waits for Start's
// serving to end).
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	err := s.srv.Close()
	if errors.Is(err, net.ErrClosed) { // a listener closed above
		err = nil
	}
	if s.served != nil {
		if serr := <-s.served; err == nil {
			err = serr
		}
	}
	return err
}

// session runs one NETCONF session: hellos, then one rpc after another
// until close-session or the end of the stream.
func (s *Server) session(sess ssh.Session) {
	id := s.next.Add(1)
	defer s.dev.ended(id)
	w, r := netconf.NewWriter(sess), netconf.NewReader(sess)
	hello := &netconf.Hello{SessionID: id, Capabilities: []string{netconf.Base10, netconf.Base11, netconf.Candidate,
		netconf.ConfirmedCommit, netconf.Validate}}
	if err := w.Write(hello.Marshal()); err != nil {
		return
	}
	msg, err := r.Read()
	if err != nil {
		return
	}
	peer, err := netconf.ParseHello(msg)
	if err != nil {
		s.log.Warn("NETCONF hello refused", "session", id, "err", err)
		return
	}
	if peer.Has(netconf.Base11) {
		w.Chunked()
		r.Chunked()
	}
	for {
		msg, err := r.Read()
		if err != nil {
			if !errors.Is(err, netconf.ErrFraming) {
				return
			}
			s.log.Warn("NETCONF framing", "session", id, "err", err)
			_ = w.Write(netconf.ReplyError("", netconf.Error{Type: "rpc", Tag: netconf.MalformedMsg, Message: err.Error()}))
			return
		}
		out, done := s.answer(sess, id, msg)
		if err := w.Write(out); err != nil || done {
			return
		}
	}
}

// answer handles one rpc.
func (s *Server) answer(sess ssh.Session, id uint32, msg []byte) (out []byte, done bool) {
	var req rpc
	if err := xml.Unmarshal(msg, &req); err != nil || len(req.Ops) != 1 {
		why := "an rpc holds one operation"
		if err != nil {
			why = err.Error()
		}
		return netconf.ReplyError(req.MessageID, netconf.Error{Type: "rpc", Tag: netconf.MalformedMsg, Message: why}), false
	}
	op := req.Ops[0]
	if f := s.dev.fault(op.XMLName.Local); f != nil {
		if f.Kind == Slow {
			select {
			case <-f.release:
			case <-sess.Context().Done():
				return nil, true
			}
		} else {
			return netconf.ReplyError(req.MessageID, *f.rpcError()), false
		}
	}
	data, done, rerr := s.dev.handle(id, op.XMLName.Local, op.Inner)
	switch {
	case rerr != nil:
		return netconf.ReplyError(req.MessageID, *rerr), false
	case op.XMLName.Local == "get-config" || op.XMLName.Local == "get":
		return netconf.ReplyData(req.MessageID, data), false
	}
	return netconf.ReplyOK(req.MessageID), done
}
