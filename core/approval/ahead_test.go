package approval

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const aheadSecret = "5c0c523f52a5b6fad39ed2403092df8cebc36318b39383bca6c00808626fab3a"

func aheadDecision(i int) Decision {
	return Decision{Quote: fmt.Sprintf("QT-%04d", i), Stage: "commercial", Approved: i%3 != 0, Digest: "d1",
		Reason: "auto", At: time.Date(2025, 2, 3, 9, 0, i, 0, time.UTC)}
}

// What Sign returns is what Key.Sign makes, signed ahead or not: a
// decision started and signed beside is taken, one never started or
// started for another decision (a second later, another reason) is signed
// then; Start's bound lets the oldest go.
func TestAhead(t *testing.T) {
	k, err := ParseKey(aheadSecret)
	require.NoError(t, err)
	var a Ahead
	a.Start(k, aheadDecision(1))
	a.mu.Lock()
	j := a.started[signingOf(k, aheadDecision(1))]
	a.mu.Unlock()
	require.NotNil(t, j)
	<-j.done // signed beside
	got, err := a.Sign(k, aheadDecision(1))
	require.NoError(t, err)
	want, err := k.Sign(aheadDecision(1))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, uint64(1), a.Matched())

	a.Start(k, aheadDecision(2))
	later := aheadDecision(2)
	later.At = later.At.Add(time.Second)
	other := aheadDecision(2)
	other.Reason = "by hand"
	for _, d := range []Decision{later, other, aheadDecision(3)} {
		got, err := a.Sign(k, d)
		require.NoError(t, err)
		want, err := k.Sign(d)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Equal(t, uint64(1), a.Matched(), "none of those was started")

	for i := range maxStarted + 100 {
		a.Start(k, aheadDecision(10+i))
	}
	a.mu.Lock()
	assert.LessOrEqual(t, len(a.started), maxStarted)
	assert.Less(t, len(a.order), 2*maxStarted)
	a.mu.Unlock()
	for _, i := range []int{10, 10 + maxStarted + 99} {
		got, err := a.Sign(k, aheadDecision(i))
		require.NoError(t, err)
		want, err := k.Sign(aheadDecision(i))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

// Start and Sign from several goroutines while the signer works: every
// signature is Key.Sign's (run with -race).
func TestAheadConcurrent(t *testing.T) {
	k, err := ParseKey(aheadSecret)
	require.NoError(t, err)
	var a Ahead
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				d := aheadDecision(1000*g + i)
				a.Start(k, d)
				got, err := a.Sign(k, d)
				assert.NoError(t, err)
				want, err := k.Sign(d)
				assert.NoError(t, err)
				assert.Equal(t, want, got)
			}
		})
	}
	wg.Wait()
}
