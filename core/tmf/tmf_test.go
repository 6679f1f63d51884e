package tmf

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeqID(t *testing.T) {
	assert.Equal(t, "ROI-001", SeqID("ROI", 1))
	assert.Equal(t, "SO-042", SeqID("SO", 42))
	assert.Equal(t, "POI-123", SeqID("POI", 123))
	assert.Equal(t, "ROI-30000", SeqID("ROI", 30000))
}

func TestOffsets(t *testing.T) {
	for iso, d := range map[string]time.Duration{
		"PT0S": 0, "PT5H": 5 * time.Hour, "P5D": 5 * 24 * time.Hour, "P5DT1H30M": 5*24*time.Hour + 90*time.Minute,
		"PT5H45M": 5*time.Hour + 45*time.Minute, "PT1.5S": 1500 * time.Millisecond, "-PT1H": -time.Hour,
	} {
		got, err := ParseOffset(iso)
		require.NoError(t, err, iso)
		assert.Equal(t, d, got, iso)
		assert.Equal(t, iso, FormatOffset(d))
	}
	got, err := ParseOffset("P2W")
	require.NoError(t, err)
	assert.Equal(t, 14*24*time.Hour, got)
	for _, bad := range []string{"", "P", "5D", "P1M", "P1Y", "PT1D", "P1H", "PTT1H", "P1.2.3D", "PXD",
		"P106752D", "P9999999999999D", "P106751DT24H", "P100000D100000D100000D"} { // past time.Duration: they wrapped round
		_, err := ParseOffset(bad)
		assert.Error(t, err, bad)
	}
}

func TestCharacteristics(t *testing.T) {
	var cs Characteristics
	cs.Set("speed", "500M-sym")
	cs.Set("tier", "Gold")
	cs.Set("speed", "1G-sym")
	assert.Equal(t, Characteristics{{"speed", "1G-sym"}, {"tier", "Gold"}}, cs)
	assert.Equal(t, "Gold", cs.Get("tier"))
	assert.Equal(t, "", cs.Get("none"))
}

func FuzzParseOffset(f *testing.F) {
	for _, s := range []string{"PT0S", "P5DT1H30M", "-PT1H", "P2W", "PT1.5S", "P106751D", "-P106751DT23H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseOffset(s)
		if err != nil {
			return
		}
		back, err := ParseOffset(FormatOffset(d))
		require.NoError(t, err)
		// Fractions below a nanosecond may round; whole units round-trip.
		assert.InDelta(t, float64(d), float64(back), 1e3)
	})
}

// Sequential ids are zero-padded to three digits, whoever makes them.
func TestSeqIDIn(t *testing.T) {
	var strs slab.Strings
	for _, n := range []int{7, 98, 100, 1234} {
		assert.Equal(t, SeqID("ROI", n), SeqIDIn(&strs, "ROI", n))
	}
	assert.Equal(t, "ROI-007", SeqID("ROI", 7))
	assert.Equal(t, "SO-100", SeqIDIn(&strs, "SO", 100))
}

// An alert's id on the worklist and the shelf is its raiser's prefix and
// its number, three digits at least.
func TestJeopardyID(t *testing.T) {
	assert.Equal(t, "JEO-C007", Jeopardy{N: 7}.ID("JEO-C"))
	assert.Equal(t, "JEO-R1234", Jeopardy{N: 1234}.ID("JEO-R"))
}
