package stamp

import (
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/stamp"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func start(t *testing.T, r *Reflector) string {
	t.Helper()
	addr, err := r.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return addr.String()
}

func reflector(t *testing.T, m Model) (*Reflector, string) {
	t.Helper()
	r, err := NewReflector(Config{Site: "MELB", Model: m, Log: quiet})
	require.NoError(t, err)
	return r, start(t, r)
}

// sender is a bare STAMP sender: one socket, one session.
type sender struct {
	t    *testing.T
	conn net.Conn
}

func dial(t *testing.T, addr string) *sender {
	t.Helper()
	c, err := net.Dial("udp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	raw, err := c.(*net.UDPConn).SyscallConn()
	require.NoError(t, err)
	require.NoError(t, raw.Control(func(fd uintptr) {
		require.NoError(t, syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, 64))
	}))
	return &sender{t: t, conn: c}
}

func (s *sender) send(p stamp.Test) {
	_, err := s.conn.Write(p.Append(nil))
	require.NoError(s.t, err)
}

// recv reads the next answer; a deadline only guards against a hang.
func (s *sender) recv() stamp.Reflected {
	require.NoError(s.t, s.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 1500)
	n, err := s.conn.Read(buf)
	require.NoError(s.t, err)
	require.Equal(s.t, stamp.PacketSize, n)
	r, err := stamp.ParseReflected(buf[:n])
	require.NoError(s.t, err)
	return r
}

// The reflector writes the model's delays into its timestamps: T2 is T1
// and the forward delay, T3 the time it sends less the backward delay. It
// echoes the sender's fields, counts its own sequence numbers per session
// (a sender's port), and tells its error estimate.
func TestReflectorStampsTheModel(t *testing.T) {
	m := Model{RoundTrip: 3800 * time.Microsecond, Variation: 500 * time.Microsecond, Seed: 7}
	r, addr := reflector(t, m)
	s := dial(t, addr)
	mine := stamp.Estimate(false, time.Millisecond)
	for seq := range uint32(3) {
		t1 := stamp.NTP(time.Now())
		s.send(stamp.Test{Seq: seq + 10, Timestamp: t1, Error: mine})
		a := s.recv()
		received := stamp.NTP(time.Now())
		assert.Equal(t, seq, a.Seq, "the reflector's own count")
		assert.Equal(t, seq+10, a.SenderSeq)
		assert.Equal(t, t1, a.SenderTime)
		assert.Equal(t, mine, a.SenderError)
		assert.Equal(t, uint8(64), a.SenderTTL, "the TTL the packet arrived with")
		assert.True(t, a.Error.Synced())
		assert.InDelta(t, float64(m.Forward(1, seq+10)), float64(a.Receive.Sub(t1)), 1)
		back := received.Sub(a.Timestamp)
		assert.GreaterOrEqual(t, back, m.Backward(1, seq+10)-time.Microsecond)
		assert.Less(t, back, m.Backward(1, seq+10)+time.Second)
	}
	other := dial(t, addr)
	other.send(stamp.Test{Seq: 0, Timestamp: stamp.NTP(time.Now()), Error: mine})
	assert.Equal(t, uint32(0), other.recv().Seq, "another port, another session")
	assert.Equal(t, 2, r.Sessions())

	// A packet with no T1 gets T2 from the reflector's clock; a short
	// packet is not answered (the next answer is the next packet's).
	before := stamp.NTP(time.Now())
	_, err := s.conn.Write([]byte("not STAMP"))
	require.NoError(t, err)
	s.send(stamp.Test{Seq: 99, Error: mine})
	a := s.recv()
	assert.Equal(t, uint32(99), a.SenderSeq)
	assert.GreaterOrEqual(t, a.Receive, before)
	assert.Len(t, r.Received(), 6)
}

// The loss model drops the packets it draws, the same for a seed.
func TestReflectorDropsByTheModel(t *testing.T) {
	m := Model{RoundTrip: time.Millisecond, Loss: 0.5, Seed: 3}
	var dropped, kept []uint32
	for seq := uint32(0); len(dropped) < 3 || len(kept) < 3; seq++ {
		if m.Dropped(1, seq) {
			dropped = append(dropped, seq)
		} else {
			kept = append(kept, seq)
		}
	}
	_, addr := reflector(t, m)
	s := dial(t, addr)
	for _, seq := range append(dropped[:3], kept[0]) {
		s.send(stamp.Test{Seq: seq, Timestamp: stamp.NTP(time.Now()), Error: 1})
	}
	a := s.recv()
	assert.Equal(t, kept[0], a.SenderSeq, "the dropped packets got no answer")
	assert.Equal(t, uint32(0), a.Seq, "and were not counted as reflected")
}

func TestModel(t *testing.T) {
	m := Model{RoundTrip: 10 * time.Millisecond, Variation: 2 * time.Millisecond, Loss: 0.1, Seed: 42}
	require.NoError(t, m.check())
	lost := 0
	var sum time.Duration
	const n = 20000
	for seq := range uint32(n) {
		f, b := m.Forward(1, seq), m.Backward(1, seq)
		assert.Equal(t, f, m.Forward(1, seq), "a function of its arguments")
		assert.True(t, f >= 3*time.Millisecond && f <= 7*time.Millisecond && b >= 3*time.Millisecond && b <= 7*time.Millisecond)
		sum += f + b
		if m.Dropped(1, seq) {
			lost++
		}
	}
	assert.InDelta(t, 0.1, float64(lost)/n, 0.01)
	assert.InDelta(t, float64(10*time.Millisecond), float64(sum/n), float64(50*time.Microsecond))
	assert.NotEqual(t, m.Forward(1, 5), m.Forward(2, 5), "sessions draw apart")
	other := m
	other.Seed++
	assert.NotEqual(t, m.Forward(1, 5), other.Forward(1, 5), "seeds draw apart")
	assert.Equal(t, 5*time.Millisecond, Model{RoundTrip: 10 * time.Millisecond}.Forward(1, 5))

	for _, bad := range []Model{{RoundTrip: -1}, {RoundTrip: time.Millisecond, Variation: time.Millisecond}, {Loss: 1.5}} {
		_, err := NewReflector(Config{Site: "X", Model: bad})
		assert.ErrorContains(t, err, "reflector X: STAMP model")
	}
}

// The twin's network and fault rules make a site's reflector: the
// baseline of its region, and the pilot's SLA breach (slaBreach on nms at
// MELB until T+8 days) as a fault of MELB's reflector only, within its
// window.
func TestForSiteFromTheTwin(t *testing.T) {
	sc, err := scenarios.LoadLibrary("pilot-sla-breach.yaml")
	require.NoError(t, err)
	melb := Site{Code: "MELB", Address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}
	syd := Site{Code: "SYD1", Address: "Level 20, 1 Martin Place, Sydney NSW 2000"}
	forward := func(site Site, opt Options) time.Duration {
		opt.Log = quiet
		r, err := ForSite(sc.Spec.Network, site, sc.Spec.Faults, opt)
		require.NoError(t, err)
		s := dial(t, start(t, r))
		t1 := stamp.NTP(time.Now())
		s.send(stamp.Test{Timestamp: t1, Error: 1})
		return s.recv().Receive.Sub(t1)
	}
	assert.InDelta(t, float64(9*time.Millisecond), float64(forward(melb, Options{})), 1, "half of the breach's 18ms")
	assert.InDelta(t, float64(1900*time.Microsecond), float64(forward(syd, Options{})), 1, "half of the baseline's 3.8ms")
	assert.InDelta(t, float64(1900*time.Microsecond), float64(forward(melb, Options{Epoch: time.Now().Add(-9 * 24 * time.Hour)})), 1,
		"past the rule's window")

	_, err = ForSite(sc.Spec.Network, Site{Code: "X", Address: "nowhere"}, nil, Options{})
	assert.ErrorContains(t, err, `address "nowhere" is not in the address book`)
	_, err = ForSite(sc.Spec.Network, melb, []twin.FaultRule{{Name: "gated", Kind: twin.SLABreach,
		Target: twin.FaultTarget{System: "nms"}, After: "SO-PILOT completed", Measure: &twin.Measurement{LatencyMs: 20}}}, Options{})
	assert.ErrorContains(t, err, "fault gated: armed after")
	r, err := ForSite(sc.Spec.Network, melb, []twin.FaultRule{{Name: "bng-down", Kind: twin.Down,
		Target: twin.FaultTarget{System: "bng"}}}, Options{Log: quiet})
	require.NoError(t, err)
	assert.Empty(t, r.faults, "a rule for another system does not reach the probe")
}

// A silent fault answers nothing to the sessions it hits: here the second
// only.
func TestSilentFaultBySession(t *testing.T) {
	r, addr := reflector(t, Model{RoundTrip: time.Millisecond})
	f, err := r.Inject(&Fault{Name: "down", Kind: Silent, Nth: 2})
	require.NoError(t, err)
	first, second, third := dial(t, addr), dial(t, addr), dial(t, addr)
	for _, s := range []*sender{first, second, third} {
		s.send(stamp.Test{Seq: 1, Timestamp: stamp.NTP(time.Now()), Error: 1})
		if s != second {
			assert.Equal(t, uint32(1), s.recv().SenderSeq)
		}
	}
	assert.Equal(t, 1, f.Hits())
	assert.Equal(t, 3, r.Sessions())
	_, err = r.Inject(&Fault{Name: "odd", Kind: "odd"})
	assert.ErrorContains(t, err, `fault odd: kind "odd"`)
	_, err = r.Inject(&Fault{Name: "b", Kind: Breach})
	assert.ErrorContains(t, err, "needs the model")
}
