package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchSample is a commit's records of every shape: strings repeated and
// not, empty, long (a code of two bytes), colliding in their slots, and
// times that go back as well as forward.
func batchSample(n int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	kinds := []string{"resourceOrderItem", "serviceOrderItem", "resource", "milestone", "resourceOrder", "service", "a", "ab"}
	states := []string{"", "acknowledged", "inProgress", "completed", "reserved", "available", "inProgressX"}
	out := make([]Record, n)
	at := time.Duration(rng.Int64N(1e15))
	for i := range out {
		if rng.IntN(4) == 0 {
			at += time.Duration(rng.Int64N(2e9)) - 1e9
			at = max(at, 0)
		}
		reason := ""
		switch rng.IntN(5) {
		case 0:
			reason = strings.Repeat("é", rng.IntN(200)) // past one byte of code
		case 1:
			reason = fmt.Sprintf("attempt %d", rng.IntN(3))
		}
		out[i] = Record{At: at, Kind: kinds[rng.IntN(len(kinds))], Entity: fmt.Sprintf("ROI-%06d", rng.IntN(n)),
			Name: []string{"", "RO S04", "SO-PILOT"}[rng.IntN(3)], System: "ROM → access",
			From: states[rng.IntN(len(states))], To: states[rng.IntN(len(states))], Event: "complete", Reason: reason}
	}
	return out
}

// A batch decodes to the records encoded, as the canonical encoding
// does, and takes a third of its bytes or less on a commit's usual
// records.
func TestBatchRoundTrip(t *testing.T) {
	for seed := range uint64(20) {
		records := batchSample(int(1+seed*37), seed)
		b := EncodeBatch(nil, records)
		got, err := DecodeRecords(nil, b)
		require.NoError(t, err, "seed %d", seed)
		assert.Equal(t, records, got, "seed %d", seed)
	}
	sample := journalSample()
	canonical, batch := EncodeRecords(nil, sample), EncodeBatch(nil, sample)
	got, err := DecodeRecords(nil, batch)
	require.NoError(t, err)
	assert.Equal(t, sample, got)
	assert.Less(t, 3*len(batch), len(canonical), "batch %d bytes, canonical %d", len(batch), len(canonical))
}

// The canonical encoding, which batches written before keep, is still
// read as it was: it never begins as a batch does.
func TestBatchCanonicalStillRead(t *testing.T) {
	for _, at := range []time.Duration{0, 1, 63, 64, 127, 128, time.Hour, 292 * 365 * 24 * time.Hour} {
		records := []Record{{At: at, Kind: "k", Entity: "e"}, {At: at + 1, Kind: "k"}}
		b := EncodeRecords(nil, records)
		assert.NotEqual(t, byte(batchCompact), b[0], "at %d", at)
		got, err := DecodeRecords(nil, b)
		require.NoError(t, err)
		assert.Equal(t, records, got)
	}
}

// A batch cut short or changed is refused, not read as other records.
func TestBatchCorrupt(t *testing.T) {
	b := EncodeBatch(nil, batchSample(50, 7))
	for _, cut := range []int{2, 3, len(b) / 2, len(b) - 1} {
		if _, err := DecodeRecords(nil, b[:cut]); err == nil {
			// A cut can fall between records: then fewer records decode.
			got, _ := DecodeRecords(nil, b[:cut])
			assert.Less(t, len(got), 50, "cut at %d", cut)
		}
	}
	// A reference to a slot not filled yet.
	_, err := DecodeRecords(nil, []byte{batchCompact, 0, 5, 0, 0, 0, 0, 0, 0, 0})
	assert.ErrorIs(t, err, ErrCorrupt)
	// An empty literal, which the encoder never writes.
	_, err = DecodeRecords(nil, []byte{batchCompact, 0, batchSlots + 1, 0, 0, 0, 0, 0, 0, 0})
	assert.ErrorIs(t, err, ErrCorrupt)
	// A literal longer than what is left.
	_, err = DecodeRecords(nil, []byte{batchCompact, 0, batchSlots + 10, 'a'})
	assert.ErrorIs(t, err, ErrCorrupt)
}

// BenchmarkEncodeBatch encodes 1,000 records as a durable store keeps a
// commit's: B/record against BenchmarkEncodeRecords'.
func BenchmarkEncodeBatch(b *testing.B) {
	records := journalSample()
	buf := make([]byte, 0, 1<<20)
	for b.Loop() {
		buf = EncodeBatch(buf[:0], records)
	}
	b.ReportMetric(float64(len(buf))/float64(len(records)), "B/record")
}
