package slab

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type event struct {
	ID    string
	State string
}

// Every value is a new zero value, distinct from every other: a slab never
// hands out a value twice, across the arrays it allocates.
func TestNewHandsOutDistinctZeroValues(t *testing.T) {
	var s Of[event]
	seen := map[*event]bool{}
	for i := range 3*size + 1 {
		p := s.New()
		require.NotNil(t, p)
		assert.Equal(t, event{}, *p, "value %d", i)
		assert.False(t, seen[p], "value %d handed out twice", i)
		seen[p] = true
		p.ID = "ROI-1" // what one receiver writes is its own
	}
	assert.Len(t, seen, 3*size+1)
}

// One allocation per array of values.
func TestNewAllocatesOncePerArray(t *testing.T) {
	var s Of[event]
	allocs := testing.AllocsPerRun(10, func() {
		for range size {
			s.New()
		}
	})
	assert.Equal(t, 1.0, allocs)
}
