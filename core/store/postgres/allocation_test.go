package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

// authority opens the allocation authority at url, as one instance does,
// closed when t ends.
func authority(t *testing.T, url string) *postgres.Allocations {
	t.Helper()
	a, err := postgres.OpenAllocations(url)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a
}

// The race for the last free port: five instances ask for it at once,
// each for an order of its own. Exactly one gets it; the four others are
// told the OLT is exhausted (their orders held for capacity), and the
// port has the one holder. Asked again, the winner gets the same port.
func TestAllocateLastPortRace(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	const olt = "OLT-LON-01"
	setup := authority(t, url)
	require.NoError(t, setup.Add(ctx, olt, []string{"pon-1", "pon-2"}))
	_, err := setup.Allocate(ctx, olt, "ROI-earlier")
	require.NoError(t, err)

	instances := make([]*postgres.Allocations, 5)
	for i := range instances {
		instances[i] = authority(t, url)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, len(instances))
	errs := make([]error, len(instances))
	for i, a := range instances {
		wg.Go(func() {
			<-start
			got[i], errs[i] = a.Allocate(ctx, olt, fmt.Sprintf("ROI-%d", i))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			assert.Equal(t, -1, winner, "instances %d and %d both got a port", winner, i)
			assert.Equal(t, "pon-2", got[i])
			winner = i
			continue
		}
		assert.ErrorIs(t, err, port.ErrCapacityExhausted, "instance %d", i)
		assert.ErrorContains(t, err, "no free resource in "+olt)
	}
	require.NotEqual(t, -1, winner, "one instance got the last port")
	holders, err := setup.Holders(ctx, olt)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"pon-1": "ROI-earlier", "pon-2": fmt.Sprintf("ROI-%d", winner)}, holders)
	again, err := instances[(winner+1)%5].Allocate(ctx, olt, fmt.Sprintf("ROI-%d", winner))
	require.NoError(t, err)
	assert.Equal(t, "pon-2", again, "asked again (a retry, a replay after a takeover), the same port")
}

// A released port is free for the next order; adding known ports leaves
// their holders as they are.
func TestAllocateRelease(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	a := authority(t, url)
	require.NoError(t, a.Add(ctx, "OLT-1", []string{"pon-1"}))
	_, err := a.Allocate(ctx, "OLT-1", "ROI-1")
	require.NoError(t, err)
	require.NoError(t, a.Add(ctx, "OLT-1", []string{"pon-1"}))
	_, err = a.Allocate(ctx, "OLT-1", "ROI-2")
	require.ErrorIs(t, err, port.ErrCapacityExhausted)
	require.NoError(t, a.Release(ctx, "OLT-1", "ROI-1"))
	p, err := a.Allocate(ctx, "OLT-1", "ROI-2")
	require.NoError(t, err)
	assert.Equal(t, "pon-1", p)
	_, err = a.Allocate(ctx, "OLT-2", "ROI-3")
	assert.ErrorContains(t, err, "no free resource in OLT-2", "an unknown pool has nothing free")
}
