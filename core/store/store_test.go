package store

import (
	"strings"
	"testing"

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
