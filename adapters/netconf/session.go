package netconf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// Endpoint is where an OLT's NETCONF server listens and how to log in.
type Endpoint struct {
	// Addr is host:port (NETCONF over SSH listens on 830).
	Addr string
	User string
	// Password, or Key (a private key), authenticates the user.
	Password string
	Key      ssh.Signer
	// HostKey is the server's public key: a server with any other key is
	// refused. Nil refuses every server.
	HostKey ssh.PublicKey
	// AfterHello is how long Dial waits, once the hellos are exchanged,
	// before it returns the session: for a server that loses an rpc
	// reaching it in the same read as the client's hello, as yuma123's
	// netconfd 2.13 behind OpenSSH's netconf-subsystem does (the rpc is
	// never answered). Zero does not wait.
	AfterHello time.Duration
	// MaxReply bounds the size of a message the OLT may send (its hello,
	// a reply), in bytes; netconf.MaxMessage (16 MiB) if zero. A larger
	// one ends the session. A reply is parsed whole, and its tree holds
	// several times its size: the bound is what one session may take.
	MaxReply int
}

// Session is one NETCONF session over SSH (RFC 6242): the hello exchange
// done, base:1.1 chunked framing when both sides offer it. Its calls may
// come from several goroutines; each waits for its own reply until its
// context ends.
type Session struct {
	client *ssh.Client
	ssh    *ssh.Session
	// ID is the session-id the server gave in its hello.
	ID uint32
	// Server is the server's hello.
	Server *netconf.Hello

	wmu  sync.Mutex
	w    *netconf.Writer
	next int
	// sent is the message-id of the latest rpc sent (next, for the
	// reader, which does not take wmu).
	sent atomic.Int64

	mu      sync.Mutex
	waiting map[string]chan []byte
	err     error // why the session ended, once it has
	done    chan struct{}
}

// ErrClosed is a call on a session that has ended.
var ErrClosed = errors.New("netconf session closed")

// Dial opens a session: SSH, the netconf subsystem, the hello exchange.
func Dial(ctx context.Context, ep Endpoint) (*Session, error) {
	auth := []ssh.AuthMethod{}
	if ep.Key != nil {
		auth = append(auth, ssh.PublicKeys(ep.Key))
	}
	if ep.Password != "" {
		auth = append(auth, ssh.Password(ep.Password))
	}
	hostKey := ssh.FixedHostKey(ep.HostKey)
	if ep.HostKey == nil {
		hostKey = func(string, net.Addr, ssh.PublicKey) error {
			return errors.New("no host key configured for this endpoint")
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ep.Addr)
	if err != nil {
		return nil, fmt.Errorf("netconf dial %s: %w", ep.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, ep.Addr, &ssh.ClientConfig{User: ep.User, Auth: auth, HostKeyCallback: hostKey})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netconf ssh to %s: %w", ep.Addr, ctxErr(ctx, err))
	}
	client := ssh.NewClient(c, chans, reqs)
	s, err := open(ctx, client, ep.MaxReply)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("netconf session with %s: %w", ep.Addr, ctxErr(ctx, err))
	}
	_ = conn.SetDeadline(time.Time{})
	if ep.AfterHello > 0 {
		wait := time.NewTimer(ep.AfterHello)
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-ctx.Done():
			s.Abort()
			return nil, fmt.Errorf("netconf session with %s: %w", ep.Addr, ctx.Err())
		}
	}
	return s, nil
}

// ctxErr prefers the context's reason over the broken connection it
// caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func open(ctx context.Context, client *ssh.Client, maxReply int) (*Session, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	in, err := sess.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := sess.RequestSubsystem("netconf"); err != nil {
		return nil, err
	}
	s := &Session{client: client, ssh: sess, w: netconf.NewWriter(in), waiting: map[string]chan []byte{}, done: make(chan struct{})}
	hello := &netconf.Hello{Capabilities: []string{netconf.Base10, netconf.Base11}}
	if err := s.w.Write(hello.Marshal()); err != nil {
		return nil, err
	}
	r := netconf.NewReader(out)
	r.Max = maxReply
	msg, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the server's hello: %w", err)
	}
	if s.Server, err = netconf.ParseHello(msg); err != nil {
		return nil, err
	}
	s.ID = s.Server.SessionID
	if s.Server.Has(netconf.Base11) {
		s.w.Chunked()
		r.Chunked()
	} else if !s.Server.Has(netconf.Base10) {
		return nil, fmt.Errorf("server offers neither base:1.0 nor base:1.1")
	}
	go s.read(r)
	return s, nil
}

// read hands each reply to the call waiting for its message-id; a reply
// nobody waits for (its call gave up) is dropped. A reply to no rpc this
// session sent (another message-id, or none) ends the session: the
// server is out of step with it, and a call waiting for its reply would
// otherwise wait until its time is up. A message other than a reply (a
// notification) is not any call's.
func (s *Session) read(r *netconf.Reader) {
	for {
		msg, err := r.Read()
		if err != nil {
			if err == io.EOF {
				err = ErrClosed
			}
			s.end(err)
			return
		}
		var head struct {
			XMLName   xml.Name
			MessageID string `xml:"message-id,attr"`
		}
		if err := xml.Unmarshal(msg, &head); err != nil {
			s.end(fmt.Errorf("netconf reply: %w", err))
			return
		}
		if head.XMLName.Local != "rpc-reply" {
			continue
		}
		s.mu.Lock()
		ch, waited := s.waiting[head.MessageID]
		delete(s.waiting, head.MessageID)
		s.mu.Unlock()
		if waited {
			ch <- msg
			continue
		}
		if !s.gaveUp(head.MessageID) {
			s.end(fmt.Errorf("netconf rpc-reply with message-id %q, which no rpc of this session carried", head.MessageID))
			return
		}
	}
}

// gaveUp tells whether id is the message-id of an rpc this session sent
// (whose call no longer waits, as read found).
func (s *Session) gaveUp(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n >= 1 && n <= s.sent.Load() && strconv.FormatInt(n, 10) == id
}

func (s *Session) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		close(s.done)
	}
}

// Call sends one rpc (its operation element, op) and waits for its reply
// until ctx ends. A reply carrying rpc-errors is returned with them as the
// error (a *netconf.Error, or netconf.Errors for several).
func (s *Session) Call(ctx context.Context, op []byte) (*netconf.Reply, error) {
	s.wmu.Lock()
	s.next++
	s.sent.Store(int64(s.next))
	id := strconv.Itoa(s.next)
	ch := make(chan []byte, 1)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		s.wmu.Unlock()
		return nil, err
	}
	s.waiting[id] = ch
	s.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(`<rpc xmlns="` + netconf.Namespace + `" message-id="` + id + `">`)
	b.Write(op)
	b.WriteString(`</rpc>`)
	err := s.w.Write(b.Bytes())
	s.wmu.Unlock()
	if err != nil {
		s.end(err)
		return nil, err
	}
	select {
	case msg := <-ch:
		return parseReply(msg)
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.waiting, id)
		s.mu.Unlock()
		return nil, ctx.Err()
	case <-s.done:
		// The reader hands a reply over before it ends the session: a
		// server that answers and hangs up at once (close-session does)
		// has answered.
		select {
		case msg := <-ch:
			return parseReply(msg)
		default:
			return nil, s.err
		}
	}
}

func parseReply(msg []byte) (*netconf.Reply, error) {
	r, err := netconf.ParseReply(msg)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

// Lock locks a datastore (candidate, running).
func (s *Session) Lock(ctx context.Context, target string) error {
	_, err := s.Call(ctx, lockOp(target))
	return err
}

func lockOp(target string) []byte { return []byte("<lock><target><" + target + "/></target></lock>") }

// Unlock unlocks a datastore.
func (s *Session) Unlock(ctx context.Context, target string) error {
	_, err := s.Call(ctx, unlockOp(target))
	return err
}

func unlockOp(target string) []byte {
	return []byte("<unlock><target><" + target + "/></target></unlock>")
}

// EditConfig edits target with config, a <config> element.
func (s *Session) EditConfig(ctx context.Context, target string, config []byte) error {
	_, err := s.Call(ctx, editConfig(target, config))
	return err
}

func editConfig(target string, config []byte) []byte {
	b := []byte("<edit-config><target><" + target + "/></target><default-operation>merge</default-operation>" +
		"<test-option>test-then-set</test-option><error-option>rollback-on-error</error-option>")
	b = append(b, config...)
	return append(b, "</edit-config>"...)
}

// Validate validates a datastore.
func (s *Session) Validate(ctx context.Context, source string) error {
	_, err := s.Call(ctx, validateOp(source))
	return err
}

func validateOp(source string) []byte {
	return []byte("<validate><source><" + source + "/></source></validate>")
}

// Commit commits the candidate. Confirmed, it is a confirmed commit
// (RFC 6241 §8.4) the server rolls back unless a confirming commit comes
// within timeout.
func (s *Session) Commit(ctx context.Context, confirmed bool, timeout time.Duration) error {
	_, err := s.Call(ctx, commitOp(confirmed, timeout))
	return err
}

func commitOp(confirmed bool, timeout time.Duration) []byte {
	if confirmed {
		return []byte("<commit><confirmed/><confirm-timeout>" + strconv.Itoa(max(1, int(timeout/time.Second))) + "</confirm-timeout></commit>")
	}
	return []byte("<commit/>")
}

// CancelCommit cancels a confirmed commit: the server rolls back now.
func (s *Session) CancelCommit(ctx context.Context) error {
	_, err := s.Call(ctx, []byte("<cancel-commit/>"))
	return err
}

// DiscardChanges resets the candidate to the running configuration.
func (s *Session) DiscardChanges(ctx context.Context) error {
	_, err := s.Call(ctx, []byte("<discard-changes/>"))
	return err
}

// GetConfig reads a datastore, through a subtree filter if filter is not
// empty, and returns the content of <data>.
func (s *Session) GetConfig(ctx context.Context, source string, filter []byte) ([]byte, error) {
	r, err := s.Call(ctx, getConfigOp(source, filter))
	if err != nil {
		return nil, err
	}
	if r.Data == nil {
		return nil, nil
	}
	return r.Data.Inner, nil
}

func getConfigOp(source string, filter []byte) []byte {
	op := []byte("<get-config><source><" + source + "/></source>")
	if len(filter) > 0 {
		op = append(append(append(op, `<filter type="subtree">`...), filter...), "</filter>"...)
	}
	return append(op, "</get-config>"...)
}

// Close ends the session politely (close-session), then the connection.
func (s *Session) Close(ctx context.Context) error {
	_, err := s.Call(ctx, []byte("<close-session/>"))
	s.end(ErrClosed)
	s.ssh.Close()
	if cerr := s.client.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// Abort drops the connection without a word: the server ends the session
// as if the network had failed.
func (s *Session) Abort() {
	s.end(ErrClosed)
	s.client.Close()
}
