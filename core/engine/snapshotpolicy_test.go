package engine

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
)

// §2 a serving engine's snapshot is due after Every inputs or Interval of
// wall time, whichever comes first, but never sooner than nine times the
// last one's cost after it; and never with nothing handled since, nor
// without a store. The defaults: every 50,000 inputs or a minute.
func TestSnapshotDue(t *testing.T) {
	p := SnapshotPolicy{}.withDefaults()
	assert.Equal(t, uint64(50_000), p.Every)
	assert.Equal(t, time.Minute, p.Interval)

	s := &snapshots{SnapshotPolicy: SnapshotPolicy{Store: store.NewMemory(), Every: 1000, Interval: time.Minute}}
	at := func(ago time.Duration) { s.lastAt = time.Now().Add(-ago) }
	s.last = 5000
	at(time.Second)
	assert.False(t, s.due(5999), "neither count nor interval")
	assert.True(t, s.due(6000), "Every inputs")
	at(61 * time.Second)
	assert.True(t, s.due(5001), "Interval")
	assert.False(t, s.due(5000), "nothing handled since")

	s.cost.Store(int64(2 * time.Second))
	at(17 * time.Second)
	assert.False(t, s.due(9000), "a snapshot that cost 2 s: none for 18 s after it")
	at(19 * time.Second)
	assert.True(t, s.due(9000))
	s.cost.Store(int64(10 * time.Second))
	at(61 * time.Second)
	assert.False(t, s.due(9000), "the interval does not beat the tenth")

	s.Store = nil
	at(time.Hour)
	s.cost.Store(0)
	assert.False(t, s.due(9000), "no store")
}
