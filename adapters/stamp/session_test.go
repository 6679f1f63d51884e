package stamp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ordertwin/ordertwin/core/stamp"
)

// RFC 8762 §4: the round trip is (T4 - T1) - (T3 - T2), of which the
// reflector gives T2 and T3. A reflector that says it held the packet
// longer than it was away makes no round trip below zero; one whose
// timestamps are decades apart makes a mean within the least and the
// greatest round trip, where the sum of a few overflowed (found by
// FuzzMeasure).
func TestRoundTripOfAReflectorsTimestamps(t *testing.T) {
	t1 := stamp.NTP(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	t4 := t1.Add(500 * time.Microsecond)
	at := func(t2, t3 stamp.Timestamp) answered { return answered{t1: t1, t2: t2, t3: t3, t4: t4} }
	own := stamp.Estimate(false, time.Millisecond)

	st := measure([]answered{at(t1.Add(200*time.Microsecond), t1.Add(300*time.Microsecond))}, own)
	assert.Equal(t, 400*time.Microsecond, st.RoundTrip, "held 100 µs")
	st = measure([]answered{at(t1.Add(time.Millisecond), t1)}, own)
	assert.Equal(t, 1500*time.Microsecond, st.RoundTrip, "answered before it heard, as the twin's reflector says to give its model's delays")
	st = measure([]answered{at(t1, t1.Add(time.Hour))}, own)
	assert.Equal(t, time.Duration(0), st.RoundTrip, "held longer than the packet was away")

	var decades []answered
	for range 8 {
		decades = append(decades, at(t1.Add(68*365*24*time.Hour), t1))
	}
	st = measure(decades, own)
	assert.Positive(t, st.RoundTrip)
	assert.True(t, st.MinRoundTrip <= st.RoundTrip && st.RoundTrip <= st.MaxRoundTrip, "mean %v within [%v, %v]", st.RoundTrip, st.MinRoundTrip, st.MaxRoundTrip)
}
