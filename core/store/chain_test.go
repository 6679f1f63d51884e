package store_test

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The link hash is the documented SHA-256 over the previous hash and the
// commit's content (docs/audit.md): golden values computed from that
// description alone, for a link of one record and one input and for the
// empty link after it.
func TestChainFormat(t *testing.T) {
	records := store.EncodeRecords(nil, []store.Record{{At: time.Minute, Kind: "quote", Entity: "QT-001", To: "inProgress", Event: "create"}})
	inputs := []store.Input{{Before: 0, At: 0, To: 1, Kind: "com.Cancel", Body: []byte("x")}}
	h1 := store.Chain(store.Hash{}, store.Link{Commit: 1, FirstRecord: 1, LastRecord: 1, FirstInput: 1, LastInput: 1}, records, inputs)
	assert.Equal(t, "3d8260fb09195b6e28299c89ae029711b36fbc6fbbbfb8088f7927c8291eb5f3", h1.String())
	h2 := store.Chain(h1, store.Link{Commit: 2, FirstRecord: 2, LastRecord: 1, FirstInput: 2, LastInput: 1}, nil, nil)
	assert.Equal(t, "69221397c25ab5a5fc2bad8ac9879d6adecd33a4546aef43f4c48bd54ba4bbe3", h2.String())
}

// Each record's and input's checksum is found at its place; a corrupt
// encoding is refused.
func TestSums(t *testing.T) {
	recs := []store.Record{{Kind: "a", Entity: "X"}, {Kind: "b", Entity: "Y", Reason: string(make([]byte, 300))}}
	sums, err := store.AppendRecordSums(nil, store.EncodeRecords(nil, recs))
	require.NoError(t, err)
	require.Equal(t, 2, sums.Len())
	for i := range recs {
		got, ok := sums.At(i)
		require.True(t, ok)
		assert.Equal(t, store.RecordSum(&recs[i]), got)
	}
	_, ok := sums.At(2)
	assert.False(t, ok)
	_, err = store.AppendRecordSums(nil, []byte{0x02, 0x05, 'a'})
	assert.ErrorIs(t, err, store.ErrCorrupt)
	in := store.Input{Before: 1, Kind: "k", Body: []byte("b")}
	s := store.AppendInputSums(nil, []store.Input{in})
	got, _ := s.At(0)
	assert.Equal(t, store.InputSum(&in), got)
}
