package stamp

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTestPacketRoundTrip(t *testing.T) {
	p := Test{Seq: 7, Timestamp: NTP(time.Date(2024, 6, 3, 9, 0, 0, 250_000_000, time.UTC)), Error: Estimate(true, time.Microsecond)}
	b := p.Append(nil)
	require.Len(t, b, PacketSize)
	// Sequence number, timestamp (0xea080490 s since 1900 and a quarter),
	// error estimate (S set, scale 5, multiplier 135: 135 × 2^-27 s, the
	// least at or above 1µs), 30 octets of zero.
	assert.Equal(t, "00000007"+"ea08049040000000"+"8587"+hex.EncodeToString(make([]byte, 30)), hex.EncodeToString(b))
	got, err := ParseTest(b)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	// Padding after the 44 octets and non-zero MBZ octets are ignored.
	b[20] = 0xff
	got, err = ParseTest(append(b, 1, 2, 3))
	require.NoError(t, err)
	assert.Equal(t, p, got)
	_, err = ParseTest(b[:43])
	assert.ErrorContains(t, err, "43 octets")
}

func TestReflectedPacketRoundTrip(t *testing.T) {
	t1 := NTP(time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC))
	p := Reflected{Seq: 3, Timestamp: t1.Add(5 * time.Millisecond), Error: Estimate(true, time.Millisecond),
		Receive: t1.Add(2 * time.Millisecond), SenderSeq: 4, SenderTime: t1, SenderError: Estimate(false, time.Millisecond),
		SenderTTL: 64}
	b := p.Append(nil)
	require.Len(t, b, PacketSize)
	assert.Equal(t, byte(64), b[40], "the sender's TTL sits at octet 40")
	assert.Equal(t, []byte{0, 0}, b[14:16])
	got, err := ParseReflected(b)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	_, err = ParseReflected(b[:20])
	assert.ErrorContains(t, err, "20 octets")
}

func TestTimestamps(t *testing.T) {
	at := time.Date(2024, 6, 3, 9, 0, 0, 123_456_789, time.UTC)
	assert.WithinDuration(t, at, NTP(at).Time(), time.Nanosecond)
	assert.Equal(t, uint64(0xea080490), uint64(NTP(at)>>32))
	ts := NTP(at)
	for _, d := range []time.Duration{0, time.Nanosecond, 3800 * time.Microsecond, -1900 * time.Microsecond, 90 * time.Second} {
		assert.InDelta(t, float64(d), float64(ts.Add(d).Sub(ts)), 1, "%v", d)
	}
	// Across the NTP era wrap of 2036 a difference stays right.
	wrap := Timestamp(0xffffffff_80000000)
	assert.Equal(t, time.Second, wrap.Add(time.Second).Sub(wrap))
}

func TestErrorEstimate(t *testing.T) {
	e := Estimate(true, time.Millisecond)
	assert.True(t, e.Synced())
	assert.False(t, e.PTP())
	assert.True(t, e.Valid())
	// The estimate is at least the error asked for and at most twice it.
	assert.GreaterOrEqual(t, e.Error(), time.Millisecond-time.Nanosecond)
	assert.Less(t, e.Error(), 2*time.Millisecond)
	u := Estimate(false, time.Hour)
	assert.False(t, u.Synced())
	assert.InDelta(t, float64(time.Hour), float64(u.Error()), float64(time.Hour)/100)
	assert.False(t, ErrorEstimate(0x8000).Valid(), "a multiplier of zero means nothing")
	assert.Equal(t, 1, Estimate(true, 0).Multiplier())
}

func TestJitter(t *testing.T) {
	var j Jitter
	assert.Zero(t, j.Value())
	// Transit times alternating by 1ms: J converges on 1ms, 1/16 at a time.
	want := 0.0
	for i := range 40 {
		j.Add(time.Duration(10+i%2) * time.Millisecond)
		if i > 0 {
			want += (float64(time.Millisecond) - want) / 16
		}
	}
	assert.Equal(t, time.Duration(want+0.5), j.Value())
	assert.InDelta(t, float64(time.Millisecond), float64(j.Value()), float64(time.Millisecond)/10)
}
