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
// empty link after it. One input has no origin, the other has one.
func TestChainFormat(t *testing.T) {
	records := store.EncodeRecords(nil, []store.Record{{At: time.Minute, Kind: "quote", Entity: "QT-001", To: "inProgress", Event: "create"}})
	by := store.Origin{Actor: "ana", Roles: []string{"sales"}, Request: "r1", Source: "127.0.0.1:5",
		Taken: time.Date(2024, 6, 3, 10, 0, 0, 0, time.FixedZone("AEST", 10*3600))}
	inputs := []store.Input{{Before: 0, At: 0, To: 1, Kind: "com.Cancel", Body: []byte("x")},
		{Before: 1, At: 5, To: 1, Kind: "com.Cancel", Body: []byte("y"), Origin: by}}
	assert.Equal(t, `{"actor":"ana","roles":["sales"],"request":"r1","source":"127.0.0.1:5","taken":"2024-06-03T00:00:00Z"}`,
		string(by.Encode()), "canonical: the time in UTC")
	h1 := store.Chain(store.Hash{}, store.Link{Commit: 1, FirstRecord: 1, LastRecord: 1, FirstInput: 1, LastInput: 2}, records, inputs)
	assert.Equal(t, "57c6eb6da475a1f30635c8b59866acb3f0b3f0ba616c989980d23536d6674048", h1.String())
	h2 := store.Chain(h1, store.Link{Commit: 2, FirstRecord: 2, LastRecord: 1, FirstInput: 3, LastInput: 2}, nil, nil)
	assert.Equal(t, "d920ad0735053a6eddacf36b85d847a6da691b1540656e836231ec5ac76b6cdd", h2.String())
	got, err := store.DecodeOrigin(by.Encode())
	require.NoError(t, err)
	assert.True(t, by.Taken.Equal(got.Taken))
	got.Taken = by.Taken
	assert.Equal(t, by, got)
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
