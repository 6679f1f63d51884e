package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A commit's records encoded and decoded are the same records; a cut or
// damaged encoding is an error, never a panic.
func TestEncodeRecords(t *testing.T) {
	records := []Record{{At: 5, Kind: "productOrder", Entity: "PO-001", To: "acknowledged"},
		{At: -1, Kind: "x", Reason: strings.Repeat("long ", 100)}}
	b := EncodeRecords(nil, records)
	got, err := DecodeRecords(nil, b)
	require.NoError(t, err)
	assert.Equal(t, records, got)
	for cut := 1; cut < len(b); cut += 7 {
		_, err := DecodeRecords(nil, b[:cut])
		assert.ErrorIs(t, err, ErrCorrupt, "cut at %d", cut)
	}
}

func FuzzDecodeRecords(f *testing.F) {
	f.Add(EncodeRecords(nil, []Record{{At: 1, Kind: "k", Entity: "e"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		records, err := DecodeRecords(nil, b)
		if err == nil {
			again, err := DecodeRecords(nil, EncodeRecords(nil, records))
			require.NoError(t, err)
			assert.Equal(t, records, again)
		}
	})
}

// The memory journal gives back exactly the records it took, whether
// their strings are numbered words (two of them sharing a slot of recent
// words), free text past maxWordLen, distinct past maxWords, or empty, and
// keeps a recurring string once.
func TestMemoryKeepsRecordsWithWords(t *testing.T) {
	m := NewMemory()
	var want []Record
	for i := range maxWords + maxWords/4 {
		r := Record{At: time.Duration(i), Kind: "resourceOrderItem", Entity: "ROI-" + strconv.Itoa(i), System: "ROM",
			From: "acknowledged", To: "completed", Event: "start", Reason: "reason " + strconv.Itoa(i)}
		if i%7 == 0 {
			r.Name, r.Reason = "SO-PILOT", strings.Repeat("long ", 20)
		}
		if i%2 == 0 {
			r.To = "cancelled" // where "completed" is remembered (wordSlot)
		}
		want = append(want, r)
	}
	want = append(want, Record{})
	for batch := range slices.Chunk(want, 300) {
		require.NoError(t, m.Append(batch))
	}
	assert.Equal(t, want, m.Records())
	assert.Equal(t, maxWords, len(m.words.list), "numbered up to maxWords")
	entries, err := m.after(context.Background(), int64(len(want)-2), -1)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, want[len(want)-2], entries[0].Record)

	repeated := NewMemory()
	same := slices.Repeat([]Record{{Kind: "resourceOrderItem", Entity: "ROI-1", System: "ROM → inventory",
		From: "acknowledged", To: "inProgress", Event: "start"}}, 1000)
	require.NoError(t, repeated.Append(same))
	stored := 0
	for _, c := range repeated.chunks {
		stored += len(c)
	}
	assert.Less(t, stored, len(EncodeRecords(nil, same))/3, "each record names its words by number")
}
