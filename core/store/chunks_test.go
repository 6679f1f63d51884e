package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestChunks(t *testing.T) {
	var c Chunks[int]
	for i := range 3*chunkSize + 5 {
		assert.Equal(t, i, c.Append(i*2))
	}
	assert.Equal(t, 3*chunkSize+5, c.Len())
	for _, i := range []int{0, 1, chunkSize - 1, chunkSize, 2*chunkSize + 7, 3*chunkSize + 4} {
		assert.Equal(t, i*2, *c.At(i))
	}
	*c.At(5) = -1
	all := c.All()
	assert.Len(t, all, c.Len())
	assert.Equal(t, -1, all[5])
	assert.Equal(t, 2*(3*chunkSize+4), all[len(all)-1])
}

func TestMemoryJournal(t *testing.T) {
	m := NewMemory()
	assert.NoError(t, m.Append([]Record{{Entity: "a"}, {Entity: "b"}}))
	assert.NoError(t, m.Append([]Record{{Entity: "c"}}))
	assert.Equal(t, []Record{{Entity: "a"}, {Entity: "b"}, {Entity: "c"}}, m.Records())
	assert.Equal(t, 2, m.Commits())
}

// Records come back exactly as committed, across chunk boundaries, their
// times too (each kept as the difference from the one before it in its
// chunk: here of either sign, and across a chunk's start).
func TestMemoryRoundTrip(t *testing.T) {
	m := NewMemory()
	var want []Record
	for i := range 20000 {
		r := Record{At: time.Duration(i*7919%20011) * time.Minute, Kind: "resourceOrderItem", Entity: fmt.Sprintf("ROI-%05d", i),
			Name: "", System: "ROM → access", From: "inProgress", To: "completed", Event: "complete",
			Reason: strings.Repeat("é", i%7)}
		want = append(want, r)
	}
	for i := 0; i < len(want); i += 300 {
		assert.NoError(t, m.Append(want[i:min(i+300, len(want))]))
	}
	assert.Equal(t, want, m.Records())
	assert.Equal(t, len(want), m.Len())
}
