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

// ledger opens the ledger at url, as one instance does, closed when t
// ends.
func ledger(t *testing.T, url string) *postgres.Ledger {
	t.Helper()
	l, err := postgres.OpenLedger(url, nil)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l
}

// The race for the last free port: five shards' twins ask for it at once,
// each for an order of its own. Exactly one gets it; the four others are
// told there is none (their orders held for capacity), and the port has
// the one key. Asked again, by the same key (a replay after a takeover),
// every one gets its first answer, though the port was given back since.
func TestLedgerLastPortRace(t *testing.T) {
	url := storetest.Postgres(t)
	area := port.Capacity{Name: "area AREA-1", Units: 3} // slot 0 of 4 is occupied
	first := ledger(t, url)
	slot, ok := take(first, "ROI-earlier/reserve/1", "olt OLT-1 LC1", 4, []int{0}, withHolder(area, "C/earlier"))
	require.True(t, ok)
	assert.Equal(t, 1, slot, "the lowest slot not occupied")
	slot, ok = take(first, "ROI-other/reserve/1", "olt OLT-1 LC1", 4, []int{0}, withHolder(area, "C/other"))
	require.True(t, ok)
	assert.Equal(t, 2, slot)

	shards := make([]*postgres.Ledger, 5)
	for i := range shards {
		shards[i] = ledger(t, url)
	}
	got, took := make([]int, len(shards)), make([]bool, len(shards))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, l := range shards {
		wg.Go(func() {
			<-start
			got[i], took[i] = take(l, fmt.Sprintf("ROI-%d/reserve/1", i), "olt OLT-1 LC1", 4, []int{0}, withHolder(area, fmt.Sprintf("C/%d", i)))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range shards {
		if took[i] {
			assert.Equal(t, -1, winner, "shards %d and %d both got a port", winner, i)
			assert.Equal(t, 3, got[i])
			winner = i
		}
	}
	require.NotEqual(t, -1, winner, "one shard got the last port")
	held, err := first.Held(context.Background(), "olt OLT-1 LC1")
	require.NoError(t, err)
	assert.Equal(t, map[int]string{1: "ROI-earlier/reserve/1", 2: "ROI-other/reserve/1", 3: fmt.Sprintf("ROI-%d/reserve/1", winner)}, held)

	first.Give("ROI-earlier/release/1", "olt OLT-1 LC1", 1)
	first.Give("ROI-earlier/release/1", "olt OLT-1 LC1", 1) // given again: nothing more
	for i, l := range shards {
		slot, ok := take(l, fmt.Sprintf("ROI-%d/reserve/1", i), "olt OLT-1 LC1", 4, []int{0}, withHolder(area, fmt.Sprintf("C/%d", i)))
		assert.Equal(t, took[i], ok, "shard %d asked again: its first answer", i)
		if ok {
			assert.Equal(t, got[i], slot)
		}
	}
	slot, ok = take(shards[0], "ROI-next/reserve/1", "olt OLT-1 LC1", 4, []int{0}, withHolder(area, "C/next"))
	require.True(t, ok, "the port given back is free for a new key")
	assert.Equal(t, 1, slot)
}

// A unit of capacity held at revalidation is the holder's: the others
// cannot take it, the holder's take uses it up (on any line card of the
// area), and a holder holds one unit however often it asks.
func TestLedgerHolds(t *testing.T) {
	url := storetest.Postgres(t)
	l := ledger(t, url)
	area := port.Capacity{Name: "area AREA-2", Units: 2} // two cards of one port each
	assert.True(t, l.Hold("POI-1/revalidate/1", withHolder(area, "C/site-1")))
	assert.True(t, l.Hold("POI-1/revalidate/2", withHolder(area, "C/site-1")), "the holder already holds one")
	assert.True(t, l.Hold("POI-2/revalidate/1", withHolder(area, "C/site-2")))
	assert.False(t, l.Hold("POI-3/revalidate/1", withHolder(area, "C/site-3")), "both units are held")
	_, ok := take(l, "ROI-3/reserve/1", "olt OLT-2 LC1", 1, nil, withHolder(area, "C/site-3"))
	assert.False(t, ok, "a take without a hold finds no unit: both are held")

	slot, ok := take(l, "ROI-1/reserve/1", "olt OLT-2 LC1", 1, nil, withHolder(area, "C/site-1"))
	require.True(t, ok, "the holder takes with its unit")
	assert.Equal(t, 0, slot)
	pool, slot, ok := l.Take("ROI-2/reserve/1", []port.Pool{{Name: "olt OLT-2 LC1", Slots: 1}, {Name: "olt OLT-2 LC2", Slots: 1}}, withHolder(area, "C/site-2"))
	require.True(t, ok, "the first line card is full: the next, with the holder's unit")
	assert.Equal(t, "olt OLT-2 LC2", pool)
	assert.Equal(t, 0, slot)
	assert.False(t, l.Hold("POI-1/revalidate/3", withHolder(area, "C/site-1")), "its unit used up, none is left")
	assert.True(t, l.Hold("POI-1/revalidate/1", withHolder(area, "C/site-1")), "a key asked again: its first answer")
}

// A unit held for a site that ends without being built is given back
// (the site's release): another site may hold it then. Given back again
// under its key, or by a holder holding none, it frees nothing.
func TestLedgerUnhold(t *testing.T) {
	url := storetest.Postgres(t)
	l := ledger(t, url)
	area := port.Capacity{Name: "area AREA-3", Units: 1}
	require.True(t, l.Hold("POI-1/revalidate/1", withHolder(area, "A/site-1")))
	require.False(t, l.Hold("POI-2/revalidate/1", withHolder(area, "B/site-1")), "the one unit is held")
	l.Unhold("POI-1/release", withHolder(area, "A/site-1"))
	assert.True(t, l.Hold("POI-2/revalidate/2", withHolder(area, "B/site-1")), "given back, it is another's to hold")
	l.Unhold("POI-1/release", withHolder(area, "B/site-1"))
	l.Unhold("POI-9/release", withHolder(area, "C/none"))
	assert.False(t, l.Hold("POI-3/revalidate/1", withHolder(area, "C/site-3")), "a key given again, or a holder holding none, gives back nothing")
	_, ok := take(l, "ROI-2/reserve/1", "olt OLT-3 LC1", 1, nil, withHolder(area, "B/site-1"))
	assert.True(t, ok, "the new holder takes with its unit")
}

// take asks l for a slot of pool, of its n slots, the first one
// occupied, for key, and returns it.
func take(l *postgres.Ledger, key, pool string, n int, occupied []int, c port.Capacity) (int, bool) {
	taken, slot, ok := l.Take(key, []port.Pool{{Name: pool, Slots: n, Occupied: occupied}}, c)
	if ok && taken != pool {
		panic("a slot of another pool: " + taken)
	}
	return slot, ok
}

// withHolder is c held or taken by holder.
func withHolder(c port.Capacity, holder string) port.Capacity {
	c.Holder = holder
	return c
}
