// Package radius is the twin's BNG Dynamic Authorization Server (RFC
// 5176): it answers CoA-Request and Disconnect-Request over UDP for the
// BNGs of a twin network, on their subscribers' state — each subscriber's
// QoS policies (Cisco AV pairs subscriber:sub-qos-policy-in= and -out=)
// and its access VLAN (NAS-Port-Id) — with the faults a real BNG shows
// (a NAK with an Error-Cause, no answer at all) injected as data. Requests
// whose authenticator or Message-Authenticator does not match the shared
// secret are dropped unanswered, as RFC 5176 §3.4 says.
package radius

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"layeh.com/radius"

	rad "github.com/ordertwin/ordertwin/core/radius"
	"github.com/ordertwin/ordertwin/twin"
)

// Config configures a Server.
type Config struct {
	// Secret is the shared secret of every client.
	Secret []byte
	// BNGs are the NAS-Identifiers the server answers for.
	BNGs []string
	// Policies are the QoS policies the BNGs hold.
	Policies []string
	// Faults are injected, in order: the first that matches a request
	// decides.
	Faults []*Fault
	Log    *slog.Logger
}

// ForNetwork is the configuration that serves a twin network's BNGs (its
// exchanges') with its QoS templates.
func ForNetwork(n *twin.Network, secret []byte) Config {
	c := Config{Secret: secret}
	for _, x := range n.Exchanges {
		if !slices.Contains(c.BNGs, x.BNG) {
			c.BNGs = append(c.BNGs, x.BNG)
		}
	}
	for _, q := range n.QoSTemplates {
		c.Policies = append(c.Policies, q.Name)
	}
	return c
}

// Sites maps each street address of a twin network to the BNG of its
// serving exchange: what the BNG adapter's configuration lists.
func Sites(n *twin.Network) map[string]string {
	bng := map[string]string{}
	for _, x := range n.Exchanges {
		bng[x.ID] = x.BNG
	}
	area := map[string]string{}
	for _, a := range n.ServingAreas {
		area[a.ID] = bng[a.Exchange]
	}
	sites := map[string]string{}
	for _, a := range n.Addresses {
		sites[a.Address] = area[a.Area]
	}
	return sites
}

// Subscriber is a subscriber's state on a BNG. Its context is a static
// session of the business line: the first CoA-Request naming it makes it,
// a Disconnect-Request ends it.
type Subscriber struct {
	BNG       string
	User      string
	PolicyIn  string
	PolicyOut string
	// Port is the access VLAN's NAS-Port-Id (vlan2108), once bound.
	Port string
}

// Received is a request as the server read it: its code and attributes.
type Received struct {
	Code       radius.Code
	Identifier byte
	Attrs      []rad.Attr
}

// Server is the Dynamic Authorization Server.
type Server struct {
	cfg      Config
	bngs     map[string]bool
	policies map[string]bool
	log      *slog.Logger
	refused  atomic.Int32

	mu       sync.Mutex
	subs     map[string]*Subscriber // bng NUL user
	received []Received
	// answers are the latest answers by request (client, Identifier,
	// authenticator): a retransmission gets the same answer again and
	// changes nothing (RFC 5080 §2.2.2).
	answers map[dupKey][]byte
	order   []dupKey
	conns   []net.PacketConn
	closed  bool
	served  chan error
}

type dupKey struct {
	from string
	id   byte
	auth [16]byte
}

// remembered bounds the answers kept for retransmissions.
const remembered = 1024

// New makes a server.
func New(cfg Config) (*Server, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("RADIUS server: a shared secret is needed")
	}
	if len(cfg.BNGs) == 0 {
		return nil, errors.New("RADIUS server: no BNG to answer for")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, bngs: map[string]bool{}, policies: map[string]bool{}, log: cfg.Log,
		subs: map[string]*Subscriber{}, answers: map[dupKey][]byte{}}
	for _, b := range cfg.BNGs {
		s.bngs[b] = true
	}
	for _, p := range cfg.Policies {
		s.policies[p] = true
	}
	for _, f := range cfg.Faults {
		if err := f.check(); err != nil {
			return nil, fmt.Errorf("RADIUS server: %w", err)
		}
	}
	return s, nil
}

// Serve answers requests on conn until ctx ends or Close; then it closes
// conn and returns nil.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return conn.Close()
	}
	s.conns = append(s.conns, conn)
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	buf := make([]byte, radius.MaxPacketLength)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("RADIUS server: %w", err)
		}
		if out := s.handle(buf[:n], from.String()); out != nil {
			if _, err := conn.WriteTo(out, from); err != nil {
				s.log.Warn("RADIUS answer not sent", "to", from.String(), "err", err)
			}
		}
	}
}

// Start listens on addr ("127.0.0.1:0": a free port on loopback) and
// serves there in the background until Close.
func (s *Server) Start(addr string) (net.Addr, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("RADIUS server: %w", err)
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.Serve(context.Background(), conn) }()
	return conn.LocalAddr(), nil
}

// Close stops the server (and waits for Start's serving to end).
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if s.served != nil {
		return <-s.served
	}
	return nil
}

// Subscriber is the state of user on bng, and whether it has a context.
func (s *Server) Subscriber(bng, user string) (Subscriber, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[bng+"\x00"+user]
	if !ok {
		return Subscriber{}, false
	}
	return *sub, true
}

// Received lists the authentic requests read, retransmissions included,
// in order.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Refused counts the requests dropped for not matching the secret.
func (s *Server) Refused() int { return int(s.refused.Load()) }

// handle answers one datagram, or returns nil to answer nothing.
func (s *Server) handle(wire []byte, from string) []byte {
	p, raw, err := rad.Parse(wire, s.cfg.Secret)
	if err != nil {
		s.log.Warn("RADIUS request dropped: malformed", "from", from, "err", err)
		return nil
	}
	if p.Code != radius.CodeCoARequest && p.Code != radius.CodeDisconnectRequest {
		s.log.Warn("RADIUS request dropped: not CoA or Disconnect", "from", from, "code", p.Code.String())
		return nil
	}
	if err := rad.VerifyRequest(raw, s.cfg.Secret); err != nil {
		s.refused.Add(1)
		s.log.Warn("RADIUS request dropped", "from", from, "code", p.Code.String(), "err", err)
		return nil
	}
	attrs := rad.AttrsOf(p)
	key := dupKey{from: from, id: p.Identifier, auth: p.Authenticator}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, Received{Code: p.Code, Identifier: p.Identifier, Attrs: attrs})
	if out, ok := s.answers[key]; ok {
		return out
	}
	user, _ := rad.Get(attrs, rad.UserName)
	ack, cause := true, rad.Cause(0)
	if f := s.fault(p.Code, user); f != nil {
		if f.Kind == Drop {
			s.log.Info("RADIUS request unanswered (fault)", "from", from, "user", user)
			return nil
		}
		ack, cause = false, f.Cause
	} else {
		cause = s.apply(p.Code, attrs)
		ack = cause == 0
	}
	out, err := answer(p, ack, cause)
	if err != nil {
		s.log.Error("RADIUS answer not encoded", "err", err)
		return nil
	}
	s.remember(key, out)
	s.log.Info("RADIUS request answered", "from", from, "code", p.Code.String(), "user", user, "ack", ack, "cause", cause.String())
	return out
}

func (s *Server) remember(key dupKey, out []byte) {
	if len(s.order) >= remembered {
		delete(s.answers, s.order[0])
		s.order = s.order[1:]
	}
	s.answers[key] = out
	s.order = append(s.order, key)
}

// answer encodes the ACK or NAK (with cause) to p.
func answer(p *radius.Packet, ack bool, cause rad.Cause) ([]byte, error) {
	code := map[radius.Code][2]radius.Code{
		radius.CodeCoARequest:        {radius.CodeCoAACK, radius.CodeCoANAK},
		radius.CodeDisconnectRequest: {radius.CodeDisconnectACK, radius.CodeDisconnectNAK},
	}[p.Code]
	if ack {
		return rad.Encode(p.Response(code[0]))
	}
	r := p.Response(code[1])
	nak, err := rad.NewPacket(r.Code, r.Identifier, r.Secret, []rad.Attr{{Name: rad.ErrorCause, Value: cause.String()}})
	if err != nil {
		return nil, err
	}
	nak.Authenticator = r.Authenticator
	return rad.Encode(nak)
}

// apply carries out an authentic request on the subscribers' state, and
// returns the Error-Cause of its NAK, or 0 for an ACK.
func (s *Server) apply(code radius.Code, attrs []rad.Attr) rad.Cause {
	var bng, user, port string
	var in, out []string
	for _, a := range attrs {
		switch a.Name {
		case rad.NASIdentifier:
			bng = a.Value
		case rad.UserName:
			user = a.Value
		case rad.NASPortID:
			port = a.Value
		case rad.MessageAuthenticator:
		case rad.CiscoAVPair:
			switch {
			case strings.HasPrefix(a.Value, "subscriber:sub-qos-policy-in="):
				in = append(in, strings.TrimPrefix(a.Value, "subscriber:sub-qos-policy-in="))
			case strings.HasPrefix(a.Value, "subscriber:sub-qos-policy-out="):
				out = append(out, strings.TrimPrefix(a.Value, "subscriber:sub-qos-policy-out="))
			default:
				return rad.UnsupportedAttribute
			}
		default:
			return rad.UnsupportedAttribute
		}
	}
	switch {
	case bng == "" || user == "":
		return rad.MissingAttribute
	case !s.bngs[bng]:
		return rad.NASIdentificationMismatch
	case len(in) > 1 || len(out) > 1:
		return rad.InvalidRequest
	}
	k := bng + "\x00" + user
	sub := s.subs[k]
	if code == radius.CodeDisconnectRequest {
		switch {
		case len(in)+len(out) > 0:
			return rad.UnsupportedAttribute
		case sub == nil || (port != "" && sub.Port != port):
			return rad.SessionContextNotFound
		}
		delete(s.subs, k)
		return 0
	}
	for _, p := range append(in, out...) {
		if !s.policies[p] {
			return rad.UnsupportedService
		}
	}
	if sub != nil && port != "" && sub.Port != "" && sub.Port != port {
		return rad.SessionContextNotFound
	}
	if sub == nil {
		sub = &Subscriber{BNG: bng, User: user}
		s.subs[k] = sub
	}
	if port != "" {
		sub.Port = port
	}
	if len(in) == 1 {
		sub.PolicyIn = in[0]
	}
	if len(out) == 1 {
		sub.PolicyOut = out[0]
	}
	return 0
}
