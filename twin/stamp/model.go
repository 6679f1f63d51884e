// Package stamp is the twin's STAMP front-end: a Session-Reflector (RFC
// 8762, unauthenticated, stateful) per site on loopback UDP, answering the
// SLA probe adapter — or any STAMP or TWAMP-Light sender — with the
// twin's delay and loss model. It delays nothing: it writes the model's
// delays into the timestamps it returns, so a sender computes them, and
// it drops the packets the seeded loss model drops. Faults (an SLA breach
// at a site, a far end that does not answer) are data.
package stamp

import (
	"fmt"
	"math"
	"time"
)

// Model is what a reflector's path looks like: the mean round-trip delay,
// how much each one-way delay varies around its half, and the share of
// test packets lost. Each packet's draws are a function of the seed, the
// session's number at the reflector and the packet's sequence number, so
// a run is the same for a seed whatever the timing.
type Model struct {
	// RoundTrip is the mean round-trip delay: the twin's latencyMs.
	RoundTrip time.Duration
	// Variation spreads each one-way delay uniformly over RoundTrip/2 ±
	// Variation (at most RoundTrip/2, so no delay is negative).
	Variation time.Duration
	// Loss is the share of test packets dropped, 0 to 1: the twin's
	// lossPct / 100.
	Loss float64
	Seed uint64
}

// check refuses a model that cannot be.
func (m Model) check() error {
	switch {
	case m.RoundTrip < 0:
		return fmt.Errorf("STAMP model: round trip %v is negative", m.RoundTrip)
	case m.Variation < 0 || m.Variation > m.RoundTrip/2:
		return fmt.Errorf("STAMP model: variation %v must be between 0 and half the round trip (%v)", m.Variation, m.RoundTrip/2)
	case m.Loss < 0 || m.Loss > 1 || math.IsNaN(m.Loss):
		return fmt.Errorf("STAMP model: loss %g must be between 0 and 1", m.Loss)
	}
	return nil
}

// The streams of draws a packet has.
const (
	forward uint64 = iota + 1
	backward
	drop
	occurrence // a fault's, per session
)

// Forward is the delay of test packet seq of session from the sender to
// the reflector.
func (m Model) Forward(session, seq uint32) time.Duration { return m.oneWay(forward, session, seq) }

// Backward is the delay of the answer to test packet seq of session.
func (m Model) Backward(session, seq uint32) time.Duration { return m.oneWay(backward, session, seq) }

func (m Model) oneWay(stream uint64, session, seq uint32) time.Duration {
	half := m.RoundTrip / 2
	if m.Variation == 0 {
		return half
	}
	u := 2*m.uniform(stream, session, seq) - 1 // [-1, 1)
	return half + time.Duration(u*float64(m.Variation))
}

// Dropped tells whether test packet seq of session is lost on its way to
// the reflector.
func (m Model) Dropped(session, seq uint32) bool {
	return m.Loss > 0 && m.uniform(drop, session, seq) < m.Loss
}

// uniform is a draw in [0, 1) from the seed, stream, session and packet.
func (m Model) uniform(stream uint64, session, seq uint32) float64 {
	x := mix(m.Seed ^ mix(stream<<32|uint64(session)) ^ mix(uint64(seq)+0x5bd1e995<<32))
	return float64(x>>11) / (1 << 53)
}

// mix is SplitMix64's finaliser: a bijection that scatters every input
// bit over the output.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
