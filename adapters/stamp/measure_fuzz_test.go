package stamp

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/stamp"
	"github.com/ordertwin/ordertwin/core/watchdog"
)

// FuzzMeasure: whatever timestamps a reflector's answers carry (each
// answer a reflected packet; its last two octets, padding to the
// reflector, are here the microseconds the answer took to come back), a
// session's figures are figures: a mean round trip between the least and
// the greatest, none below zero, no jitter below zero, and
// characteristics that read as numbers.
func FuzzMeasure(f *testing.F) {
	t1 := stamp.NTP(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	add := func(b []byte, r stamp.Reflected, back uint16) []byte {
		p := r.Append(nil)
		p[42], p[43] = byte(back>>8), byte(back)
		return append(b, p...)
	}
	var twice []byte
	for i := range uint32(2) {
		sent := t1.Add(time.Duration(i) * 10 * time.Millisecond)
		twice = add(twice, stamp.Reflected{Seq: i, Timestamp: sent.Add(350 * time.Microsecond), Error: 0x8001, Receive: sent.Add(300 * time.Microsecond),
			SenderSeq: i, SenderTime: sent, SenderError: 0x8001, SenderTTL: 253}, 700)
	}
	f.Add(twice)
	f.Add(add(nil, stamp.Reflected{SenderTime: t1, Receive: 1, Timestamp: 1 << 63}, 1))
	f.Add(add(nil, stamp.Reflected{SenderTime: t1, Receive: t1.Add(time.Hour), Timestamp: t1}, 500))
	f.Fuzz(func(t *testing.T, b []byte) {
		defer watchdog.Arm(2 * time.Second)()
		var got []answered
		for i := 0; i+stamp.PacketSize <= len(b) && len(got) < 64; i += stamp.PacketSize {
			r, err := stamp.ParseReflected(b[i : i+stamp.PacketSize])
			require.NoError(t, err)
			took := time.Duration(uint16(b[i+42])<<8|uint16(b[i+43])) * time.Microsecond
			got = append(got, answered{seq: uint32(len(got)), t1: r.SenderTime, t2: r.Receive, t3: r.Timestamp,
				t4: r.SenderTime.Add(took), err: r.Error, ttl: r.SenderTTL})
		}
		if len(got) == 0 {
			return
		}
		st := measure(got, stamp.Estimate(false, time.Millisecond))
		st.Sent = len(got) + 1
		assert.Equal(t, len(got), st.Received)
		assert.True(t, st.MinRoundTrip <= st.RoundTrip && st.RoundTrip <= st.MaxRoundTrip, "mean %v within [%v, %v]", st.RoundTrip, st.MinRoundTrip, st.MaxRoundTrip)
		assert.True(t, st.MinRoundTrip >= 0, "round trips from %v", st.MinRoundTrip)
		assert.True(t, st.ForwardJitter >= 0 && st.BackwardJitter >= 0, "jitter %v, %v", st.ForwardJitter, st.BackwardJitter)
		assert.True(t, st.Hops >= 0 && st.Hops <= 255)
		for _, c := range st.Characteristics() {
			v, err := strconv.ParseFloat(c.Value, 64)
			require.NoError(t, err, "%s = %q", c.Name, c.Value)
			assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %q", c.Name, c.Value)
		}
	})
}
