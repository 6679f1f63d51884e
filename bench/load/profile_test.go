package load

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arrivals lists when each arrival of p is due, up to limit.
func arrivals(p Profile, limit int) []time.Duration {
	var out []time.Duration
	for i := range limit {
		d, ok := p.Due(i)
		if !ok {
			break
		}
		out = append(out, d)
	}
	return out
}

// A fixed rate: arrival i is due at i/rate; 100/s for 2 s is 200 arrivals.
func TestProfileRate(t *testing.T) {
	due := arrivals(Rate(100, 2*time.Second), 1000)
	require.Len(t, due, 200)
	for i, d := range due {
		assert.Equal(t, time.Duration(i)*10*time.Millisecond, d)
	}
	forever := Rate(50, 0)
	d, ok := forever.Due(1_000_000)
	assert.True(t, ok)
	assert.Equal(t, 20000*time.Second, d)
	assert.Equal(t, "100/s for 2s", Rate(100, 2*time.Second).String())
	// Arrivals are the rate's integral rounded down: each holds a whole
	// share of the profile's time.
	assert.Len(t, arrivals(Rate(3, 1500*time.Millisecond), 10), 4)
	assert.Len(t, arrivals(Rate(4.6, 25*time.Second), 1000), 115, "4.6·25 is 114.99999999999999 in floats")
	assert.Empty(t, arrivals(Rate(0.5, time.Second), 10))
}

// A ramp from 0 to 200/s over 10 s brings (0+200)/2·10 = 1000 arrivals,
// ever closer together: by time t, 10·t² of them (the rate's integral).
func TestProfileRamp(t *testing.T) {
	p := Ramp(0, 200, 10*time.Second)
	due := arrivals(p, 5000)
	require.Len(t, due, 1000)
	// By 5 s, 250 arrivals; arrival 250 at exactly 5 s.
	assert.InDelta(t, float64(5*time.Second), float64(due[250]), float64(time.Microsecond))
	assert.InDelta(t, float64(1*time.Second), float64(due[10]), float64(time.Microsecond))
	for i := 1; i < len(due); i++ {
		require.Greater(t, due[i], due[i-1])
		if i > 1 {
			require.LessOrEqual(t, due[i]-due[i-1], due[i-1]-due[i-2]+time.Microsecond, "a rising rate: gaps shrink")
		}
	}
	down := arrivals(Ramp(200, 0, 10*time.Second), 5000)
	require.Len(t, down, 1000)
	assert.InDelta(t, float64(5*time.Second), float64(down[750]), float64(time.Microsecond), "by 5 s, 200·5 − 10·5² = 750 due")
}

// Steps: each rate held for its duration; a step at rate 0 is a pause.
func TestProfileSteps(t *testing.T) {
	p, err := ParseSteps("100:1s, 0:2s,300:1s")
	require.NoError(t, err)
	due := arrivals(p, 5000)
	require.Len(t, due, 400)
	assert.Equal(t, 990*time.Millisecond, due[99])
	assert.Equal(t, 3*time.Second, due[100], "the third step starts after the pause")
	assert.InDelta(t, float64(3*time.Second+time.Second/300), float64(due[101]), 1)
	assert.Equal(t, 4*time.Second, p.Length())
	assert.Equal(t, "100/s for 1s, 0/s for 2s, 300/s for 1s", p.String())
}

func TestProfileBadInput(t *testing.T) {
	for _, c := range []struct{ steps, want string }{
		{"100", "want RATE:DURATION"},
		{"100:fast", "want a positive duration"},
		{"x:1s", "want RATE:DURATION"},
		{"-5:1s", "not negative"},
		{"0:1s,0:2s", ""}, // a pause only: allowed by Check, sends nothing
	} {
		_, err := ParseSteps(c.steps)
		if c.want == "" {
			assert.NoError(t, err, c.steps)
			continue
		}
		assert.ErrorContains(t, err, c.want, c.steps)
	}
	_, err := ParseRamp("10-500", time.Second)
	assert.ErrorContains(t, err, "want FROM:TO")
	_, err = ParseRamp("10:500", 0)
	assert.ErrorContains(t, err, "give the duration")
	assert.ErrorContains(t, Profile{{From: 10, To: 10}, {From: 5, To: 5, For: time.Second}}.Check(), "only the last segment may last for ever")
	assert.ErrorContains(t, Rate(0, 0).Check(), "sends nothing")
	assert.ErrorContains(t, Profile{}.Check(), "at least one segment")
}

// A mix draws each operation about as often as its weight says, the same
// draws for the same seed.
func TestMix(t *testing.T) {
	m, err := ParseMix("order=90,change=5,cancel=2,read=3", []string{"order", "change", "cancel", "read"})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"order": 90, "change": 5, "cancel": 2, "read": 3}, m.Weights())
	counts := map[string]int{}
	r := rand.New(rand.NewPCG(7, 0))
	for range 100_000 {
		counts[m.Pick(r)]++
	}
	assert.InDelta(t, 90_000, counts["order"], 600)
	assert.InDelta(t, 5_000, counts["change"], 300)
	assert.InDelta(t, 2_000, counts["cancel"], 200)
	assert.InDelta(t, 3_000, counts["read"], 250)
	a, b := rand.New(rand.NewPCG(3, 0)), rand.New(rand.NewPCG(3, 0))
	for range 100 {
		require.Equal(t, m.Pick(a), m.Pick(b))
	}
	for _, c := range []struct{ mix, want string }{
		{"order=90,delete=10", `unknown operation "delete" (known: order, change, cancel, read)`},
		{"order", "want OP=WEIGHT"},
		{"order=-1", "want OP=WEIGHT"},
		{"order=0,read=0", "the weights are all 0"},
		{"order=1,order=2", "order given twice"},
	} {
		_, err := ParseMix(c.mix, []string{"order", "change", "cancel", "read"})
		assert.ErrorContains(t, err, c.want, c.mix)
	}
}
