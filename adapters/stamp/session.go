package stamp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/stamp"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Stats is what a session measured.
type Stats struct {
	// Hops is how many routers the test packets crossed on the way to the
	// reflector: 255 less the least TTL it echoed (0 on loopback, and
	// when the reflector cannot read TTLs and echoes 255).
	Hops int
	// Sent counts the test packets sent, Received those answered (each
	// once: Duplicates counts answers heard again).
	Sent, Received, Duplicates int
	// RoundTrip is the mean round-trip delay, (T4 - T1) - (T3 - T2) (RFC
	// 8762 §4), with its least and greatest.
	RoundTrip, MinRoundTrip, MaxRoundTrip time.Duration
	// Forward and Backward are the mean one-way delays, T2 - T1 and T4 -
	// T3; they mean something only when both clocks are synchronised
	// (Synced).
	Forward, Backward time.Duration
	Synced            bool
	// ForwardJitter and BackwardJitter are the RFC 3550 jitter of each
	// direction's transit times, in the order sent (clock offsets cancel
	// out).
	ForwardJitter, BackwardJitter time.Duration
	// ReflectorError is the largest valid error estimate the reflector
	// gave for its timestamps.
	ReflectorError time.Duration
}

// LossPct is the share of test packets not answered, in percent.
func (s *Stats) LossPct() float64 {
	if s.Sent == 0 {
		return 0
	}
	return 100 * float64(s.Sent-s.Received) / float64(s.Sent)
}

// Characteristics are the measurements as a probe reports them: round
// trip and jitter in milliseconds to the microsecond, loss and
// availability (the share of test packets answered) in percent.
func (s *Stats) Characteristics() tmf.Characteristics {
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(math.Round(float64(d)/1e3)/1e3, 'f', -1, 64)
	}
	pct := func(v float64) string { return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64) }
	return tmf.Characteristics{{Name: CharLatency, Value: ms(s.RoundTrip)}, {Name: CharLoss, Value: pct(s.LossPct())},
		{Name: CharAvailability, Value: pct(100 - s.LossPct())}, {Name: CharJitter, Value: ms(s.ForwardJitter)}}
}

// The failures of a session, besides the context's.
var (
	// ErrRefused: nothing listens at the reflector's address (an ICMP
	// port unreachable came back) and nothing was answered.
	ErrRefused = errors.New("no STAMP reflector listens there")
	// ErrNoAnswer: no test packet was answered before the wait ended.
	ErrNoAnswer = errors.New("no test packet answered")
)

// Classify turns what a session failed with into the failure policy's
// terms: a deadline or a silent reflector is transient (timeout); a
// reflector address where nothing listens is hard (noReflector: the site's
// responder must be set up); anything else that broke the session is
// transient (unreachable).
func Classify(err error) *port.Error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrRefused):
		return &port.Error{Class: port.Hard, Code: "noReflector", Message: "STAMP: " + err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrNoAnswer):
		return &port.Error{Class: port.Transient, Code: "timeout", Message: "NMS timeout: " + err.Error()}
	}
	return &port.Error{Class: port.Transient, Code: "unreachable", Message: "STAMP session failed: " + err.Error()}
}

// answered is one test packet's four timestamps and the reflector's error
// estimate.
type answered struct {
	seq            uint32
	t1, t2, t3, t4 stamp.Timestamp
	err            stamp.ErrorEstimate
	ttl            uint8
}

// Session runs one STAMP session against the reflector at addr: Count
// test packets, one every Interval, from a UDP port of its own (the
// session, to the reflector), then Wait for the last answers. It fails
// when ctx ends first, or when no packet at all was answered. Answers are
// stamped (T4) by the kernel as they arrive where it can (Linux), by the
// session's clock otherwise.
func (p *Probe) Session(ctx context.Context, addr string) (*Stats, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("reflector %s: %w", addr, err)
	}
	conn := c.(*net.UDPConn)
	defer conn.Close()
	kernel := kernelTimes(conn)
	_ = conn.SetReadBuffer(bufferSize)
	sendTTL(conn)
	// A context that ends wakes a blocked read.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()

	n := p.cfg.Count
	s := &sending{t1: make([]stamp.Timestamp, n)}
	sendCtx, stopSending := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.send(sendCtx, conn, s)
	}()
	finish := func() {
		stopSending()
		<-done
	}
	defer finish()

	got := make([]answered, 0, n)
	seen := make([]bool, n)
	dups, draining := 0, false
	buf, oob := make([]byte, 1500), make([]byte, oobSize)
	for len(got) < n {
		k, oobn, _, _, err := conn.ReadMsgUDP(buf, oob)
		t4 := time.Now()
		if at, ok := receivedAt(oob[:oobn]); kernel && ok {
			t4 = at
		}
		switch {
		case err == nil:
		case isRefused(err):
			s.refuse()
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			end, over := s.over(time.Now())
			switch {
			case ctx.Err() != nil || (over && draining):
			case over:
				// Answers may be queued unread: read what is there, and
				// keep those that arrived in time.
				draining = true
				_ = conn.SetReadDeadline(time.Now().Add(min(p.cfg.Wait, drain)))
				continue
			default:
				_ = conn.SetReadDeadline(end) // the wait has begun
				continue
			}
		default:
			return nil, fmt.Errorf("reflector %s: %w", addr, err)
		}
		if err != nil {
			break
		}
		r, err := stamp.ParseReflected(buf[:k])
		if err != nil || !s.ours(r) {
			continue // not an answer to a packet of ours
		}
		if end, _ := s.over(t4); draining && kernel && t4.After(end) {
			continue // too late: lost
		}
		if seen[r.SenderSeq] {
			dups++
			continue
		}
		seen[r.SenderSeq] = true
		got = append(got, answered{seq: r.SenderSeq, t1: r.SenderTime, t2: r.Receive, t3: r.Timestamp, t4: stamp.NTP(t4), err: r.Error, ttl: r.SenderTTL})
	}
	finish() // the sending half is done with s
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reflector %s: %d of %d test packets answered: %w", addr, len(got), n, err)
	}
	if s.err != nil {
		return nil, fmt.Errorf("reflector %s: %w", addr, s.err)
	}
	if len(got) == 0 {
		if s.refused {
			return nil, fmt.Errorf("reflector %s: %w", addr, ErrRefused)
		}
		return nil, fmt.Errorf("reflector %s: %d sent, waited %v after the last: %w", addr, n, p.cfg.Wait, ErrNoAnswer)
	}
	st := measure(got, p.cfg.Error)
	st.Sent, st.Duplicates = n, dups
	return st, nil
}

// sending is what the sending half of a session shares with the
// receiving half.
type sending struct {
	mu      sync.Mutex
	t1      []stamp.Timestamp // as sent
	sent    int
	end     time.Time // once every packet is sent: when the wait ends
	refused bool
	err     error
}

// send sends the session's test packets on time, then sets the end of the
// wait as the read deadline.
func (p *Probe) send(ctx context.Context, conn *net.UDPConn, s *sending) {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range len(s.t1) {
		if wait := time.Until(start.Add(time.Duration(i) * p.cfg.Interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		t1 := stamp.NTP(time.Now())
		s.mu.Lock()
		s.t1[i], s.sent = t1, i+1
		s.mu.Unlock()
		if _, err := conn.Write(p.packet(uint32(i), t1)); isRefused(err) {
			s.refuse()
		} else if err != nil {
			s.mu.Lock()
			s.err = fmt.Errorf("sending test packet %d: %w", i, err)
			s.mu.Unlock()
			_ = conn.SetReadDeadline(time.Now())
			return
		}
	}
	end := time.Now().Add(p.cfg.Wait)
	s.mu.Lock()
	s.end = end
	s.mu.Unlock()
	if ctx.Err() == nil {
		_ = conn.SetReadDeadline(end)
	}
}

func (s *sending) refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = true
}

// ours tells whether r answers a packet of the session's.
func (s *sending) ours(r stamp.Reflected) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(r.SenderSeq) < s.sent && r.SenderTime == s.t1[r.SenderSeq]
}

// over is the end of the wait, once known, and whether it has come (or
// sending failed) at now.
func (s *sending) over(now time.Time) (end time.Time, over bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end, s.err != nil || (!s.end.IsZero() && !now.Before(s.end))
}

// drain bounds how long a session reads answers already queued once its
// wait has ended.
const drain = 50 * time.Millisecond

// bufferSize is the socket buffer a session and a reflector ask for, so
// that a burst of answers is not dropped while the reader is busy.
const bufferSize = 1 << 20

// measure computes a session's figures from its answers.
func measure(got []answered, own stamp.ErrorEstimate) *Stats {
	slices.SortFunc(got, func(a, b answered) int { return int(a.seq) - int(b.seq) })
	st := &Stats{Received: len(got), MinRoundTrip: time.Duration(math.MaxInt64), Synced: own.Synced()}
	// The sums are of float64, and the mean round trip is kept within the
	// least and the greatest (a float64 of 2^61 ns is to 256 ns): a
	// reflector's timestamps are its word, and of a few answers with
	// timestamps decades apart the sum of durations overflowed, the mean
	// then below the least.
	var rtt, fwd, back float64
	var jf, jb stamp.Jitter
	for _, a := range got {
		r := roundTrip(a)
		rtt += float64(r)
		st.MinRoundTrip, st.MaxRoundTrip = min(st.MinRoundTrip, r), max(st.MaxRoundTrip, r)
		f, b := a.t2.Sub(a.t1), a.t4.Sub(a.t3)
		fwd, back = fwd+float64(f), back+float64(b)
		jf.Add(f)
		jb.Add(b)
		st.Synced = st.Synced && a.err.Synced()
		st.Hops = max(st.Hops, 255-int(a.ttl))
		if a.err.Valid() {
			st.ReflectorError = max(st.ReflectorError, a.err.Error())
		}
	}
	k := float64(len(got))
	st.RoundTrip = min(max(time.Duration(rtt/k), st.MinRoundTrip), st.MaxRoundTrip)
	st.Forward, st.Backward = time.Duration(fwd/k), time.Duration(back/k)
	st.ForwardJitter, st.BackwardJitter = jf.Value(), jb.Value()
	return st
}

// roundTrip is (T4 - T1) - (T3 - T2), RFC 8762 §4, and never below
// zero: of a reflector that says it held the packet longer than the
// packet was away, the round trip is none. (One that says it answered
// before it heard is believed: the twin's reflector, answering at once on
// loopback, says so to give the round trip of its model.)
func roundTrip(a answered) time.Duration {
	return max(a.t4.Sub(a.t1)-a.t3.Sub(a.t2), 0)
}

// isRefused tells whether err is an ICMP port unreachable reported on the
// connected socket.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
