package stamp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/stamp"
)

// Config configures a site's reflector.
type Config struct {
	// Site is the site code (MELB), for logs.
	Site  string
	Model Model
	// Error is the reflector's error estimate (synchronised, ±1µs if zero:
	// the twin's clock is the host's).
	Error stamp.ErrorEstimate
	// Now is the reflector's clock (time.Now if nil).
	Now func() time.Time
	// Idle ends a session not heard from for this long (a minute if
	// zero): a later packet from its port starts a new one.
	Idle time.Duration
	// Epoch is T+0, from which fault windows count (when the reflector
	// is made if zero).
	Epoch time.Time
	// Keep is how many received packets Received keeps (1024 if zero).
	Keep int
	Log  *slog.Logger
}

// Reflector is a stateful Session-Reflector (RFC 8762 §4.3): a session
// is a sender's address and port; the reflector numbers the sessions it
// hears in order (the model's session number, from 1) and the packets it
// reflects in each (its own sequence numbers, from 0), so a sender can
// tell a packet lost on the way out from one lost on the way back.
//
// For test packet seq of session s, the answer carries the receive
// timestamp T2 = T1 + Model.Forward(s, seq) and the transmit timestamp
// T3 = (the time it is sent) - Model.Backward(s, seq): a sender computes
// the model's forward delay exactly, and a round trip of the model's plus
// the real time the answer takes to reach it (microseconds on loopback).
// The reflector's residence time T3 - T2 is therefore negative; a sender
// that stamps no T1 (zero) gets T2 from the reflector's clock.
type Reflector struct {
	cfg Config

	mu       sync.Mutex
	sessions map[string]*session
	count    uint32
	faults   []*Fault
	received [][]byte
	stop     func()
	done     chan struct{}
}

type session struct {
	number uint32
	next   uint32 // the reflector's next sequence number
	heard  time.Time
	path   Model
	silent bool
}

// NewReflector checks cfg and makes the reflector.
func NewReflector(cfg Config) (*Reflector, error) {
	if err := cfg.Model.check(); err != nil {
		return nil, fmt.Errorf("reflector %s: %w", cfg.Site, err)
	}
	if cfg.Error == 0 {
		cfg.Error = stamp.Estimate(true, time.Microsecond)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = cfg.Now()
	}
	if cfg.Idle <= 0 {
		cfg.Idle = time.Minute
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 1024
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Reflector{cfg: cfg, sessions: map[string]*session{}}, nil
}

// Inject adds a fault rule; of several that apply to a session, the
// latest decides its path. A rule that cannot be is refused.
func (r *Reflector) Inject(f *Fault) (*Fault, error) {
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("reflector %s: %w", r.cfg.Site, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, f)
	return f, nil
}

// Received is every test packet received (dropped ones too), oldest
// first, up to Config.Keep of the latest.
func (r *Reflector) Received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(r.received))
	copy(out, r.received)
	return out
}

// Sessions counts the sessions heard.
func (r *Reflector) Sessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.count)
}

// Start listens on addr (127.0.0.1:0 for any free port) and serves until
// Close; it returns the address listened on.
func (r *Reflector) Start(addr string) (net.Addr, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("reflector %s: %w", r.cfg.Site, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.mu.Lock()
	r.stop, r.done = cancel, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if err := r.Serve(ctx, conn); err != nil {
			r.cfg.Log.Error("STAMP reflector stopped", "site", r.cfg.Site, "err", err)
		}
	}()
	return conn.LocalAddr(), nil
}

// Close stops what Start started and waits for it to end.
func (r *Reflector) Close() {
	r.mu.Lock()
	stop, done := r.stop, r.done
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Serve reflects the test packets conn receives until ctx ends (then it
// closes conn and returns nil) or conn fails.
func (r *Reflector) Serve(ctx context.Context, conn net.PacketConn) error {
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-ctx.Done():
		case <-ended:
		}
		conn.Close()
	}()
	if b, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
		_ = b.SetReadBuffer(bufferSize)
	}
	udp, _ := conn.(*net.UDPConn)
	ttls := udp != nil && receiveTTL(udp)
	buf, oob := make([]byte, 1500), make([]byte, oobSize)
	var out []byte
	for {
		var n, oobn int
		var from net.Addr
		var err error
		if ttls {
			var ua *net.UDPAddr
			n, oobn, _, ua, err = udp.ReadMsgUDP(buf, oob)
			from = ua
		} else {
			n, from, err = conn.ReadFrom(buf)
		}
		now := r.cfg.Now()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reflector %s: %w", r.cfg.Site, err)
		}
		answer, back, ok := r.reflect(now, buf[:n], from)
		if !ok {
			continue
		}
		if ttl, known := ttlOf(oob[:oobn]); ttls && known {
			answer.SenderTTL = ttl
		}
		answer.Timestamp = stamp.NTP(r.cfg.Now()).Add(-back)
		out = answer.Append(out[:0])
		if _, err := conn.WriteTo(out, from); err != nil && !errors.Is(err, net.ErrClosed) {
			r.cfg.Log.Warn("STAMP reflector could not answer", "site", r.cfg.Site, "to", from.String(), "err", err)
		}
	}
}

// reflect makes the answer to packet b from a sender, received at now,
// and the backward delay to stamp it with; ok is false when there is no
// answer (not a test packet, dropped, or a silent far end).
func (r *Reflector) reflect(now time.Time, b []byte, from net.Addr) (answer stamp.Reflected, back time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.received) == r.cfg.Keep {
		r.received = append(r.received[:0], r.received[1:]...)
	}
	r.received = append(r.received, append([]byte(nil), b...))
	p, err := stamp.ParseTest(b)
	if err != nil {
		r.cfg.Log.Debug("STAMP reflector ignored a packet", "site", r.cfg.Site, "from", from.String(), "err", err)
		return answer, 0, false
	}
	s := r.session(now, from.String())
	if s.silent || s.path.Dropped(s.number, p.Seq) {
		return answer, 0, false
	}
	answer = stamp.Reflected{Seq: s.next, Error: r.cfg.Error, SenderSeq: p.Seq, SenderTime: p.Timestamp,
		SenderError: p.Error, SenderTTL: ttlUnknown}
	s.next++
	if p.Timestamp != 0 {
		answer.Receive = p.Timestamp.Add(s.path.Forward(s.number, p.Seq))
	} else {
		answer.Receive = stamp.NTP(now)
	}
	return answer, s.path.Backward(s.number, p.Seq), true
}

// bufferSize is the socket buffer the reflector asks for, so that a burst
// of test packets is not dropped while it is busy.
const bufferSize = 1 << 20

// ttlUnknown is what the reflector writes as the sender's TTL when it
// cannot read the packet's (off Linux, or on a socket not UDP).
const ttlUnknown = 255

// session finds the session of a sender's address, or starts one: its
// number, and the path its packets take under the faults that apply.
func (r *Reflector) session(now time.Time, from string) *session {
	if s, ok := r.sessions[from]; ok && now.Sub(s.heard) < r.cfg.Idle {
		s.heard = now
		return s
	}
	for k, s := range r.sessions {
		if now.Sub(s.heard) >= r.cfg.Idle {
			delete(r.sessions, k)
		}
	}
	r.count++
	s := &session{number: r.count, heard: now, path: r.cfg.Model}
	at := now.Sub(r.cfg.Epoch)
	for _, f := range r.faults {
		if !f.applies(at, s.number, r.cfg.Model) {
			continue
		}
		f.hits.Add(1)
		switch f.Kind {
		case Silent:
			s.silent = true
		case Breach:
			s.path = *f.Model
			s.path.Seed = r.cfg.Model.Seed
		}
	}
	r.sessions[from] = s
	r.cfg.Log.Info("STAMP session", "site", r.cfg.Site, "from", from, "session", s.number, "silent", s.silent)
	return s
}
