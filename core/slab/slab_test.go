package slab

import (
	"strconv"
	"strings"
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

// A value handed back is zeroed at once and given out again before any
// new one;
// handing back costs no allocation once the spare list has grown.
func TestPutValuesAreGivenOutAgainZeroed(t *testing.T) {
	var s Of[event]
	a, b := s.New(), s.New()
	a.ID, b.ID = "ROI-1", "ROI-2"
	s.Put(a)
	s.Put(b)
	assert.Equal(t, event{}, *a, "emptied as it is handed back: whoever kept it sees nothing")
	assert.Same(t, b, s.New(), "the last handed back first")
	again := s.New()
	assert.Same(t, a, again)
	assert.Equal(t, event{}, *again)
	assert.NotSame(t, a, s.New(), "none handed back: a new one")
	allocs := testing.AllocsPerRun(100, func() {
		s.Put(s.New())
	})
	assert.Zero(t, allocs)
}

// Strings joins parts into strings that stay as they were made while
// later ones fill the same buffer and the next ones.
func TestStringsJoin(t *testing.T) {
	var s Strings
	var made []string
	var want []string
	for i := range 1000 {
		id := "ROI-" + strconv.Itoa(i)
		made = append(made, s.Join(id, "/", "reserve", "/1"))
		want = append(want, id+"/reserve/1")
	}
	assert.Equal(t, want, made)
	assert.Equal(t, "", s.Join())
	long := strings.Repeat("x", stringsChunk)
	assert.Equal(t, long+"y", s.Join(long, "y"), "a large string is made alone")
	assert.Equal(t, "QT-001/MELB", s.Join("QT-001", "/", "MELB"))
	b := []byte("SO-001/MELB")
	made1 := s.Bytes(b)
	b[0] = 'X'
	assert.Equal(t, "SO-001/MELB", made1, "Bytes copies")
}

// One allocation per buffer of strings.
func TestStringsAllocatesOncePerBuffer(t *testing.T) {
	var s Strings
	s.Join("warm")
	allocs := testing.AllocsPerRun(100, func() {
		for range 10 {
			s.Join("ROI-00123", "/", "commit", "/1") // 19 bytes: 215 a buffer
		}
	})
	assert.Less(t, allocs, 0.2)
}
