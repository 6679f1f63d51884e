package hint

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNearest(t *testing.T) {
	keys := []string{"id", "offering", "term", "sla", "speed", "rateCard", "price", "waves", "sites"}
	for word, want := range map[string]string{
		"slaa": "sla", "ofering": "offering", "ratecard": "rateCard", "sites": "sites", "sped": "speed",
		"wavse": "waves", "prcie": "price",
	} {
		got, ok := Nearest(word, keys)
		assert.True(t, ok, word)
		assert.Equal(t, want, got, word)
	}
	for _, word := range []string{"customer", "x", "billing", "zzzzzz"} {
		_, ok := Nearest(word, keys)
		assert.False(t, ok, word)
	}
	_, ok := Nearest("Wave 3", []string{"Pilot", "Wave 1", "Wave 2"})
	assert.False(t, ok, "two as close: neither is meant")
	got, ok := Nearest("Wave 3", []string{"Pilot", "Wave 1", "Wave1"})
	assert.True(t, ok)
	assert.Equal(t, "Wave 1", got)

	// A name left short, not misspelt: the one that begins with it.
	speeds := []string{"100M-sym", "500M-sym", "1G-sym"}
	got, ok = Nearest("500M", speeds)
	assert.True(t, ok)
	assert.Equal(t, "500M-sym", got)
	_, ok = Nearest("1", speeds)
	assert.False(t, ok, "too short to mean one")
	_, ok = Nearest("Wave", []string{"Wave 1", "Wave 2"})
	assert.False(t, ok, "two begin with it: neither is meant")
}

func TestDidYouMean(t *testing.T) {
	addresses := []string{"12 Collins St, Melbourne VIC 3000", "1 Eagle St, Brisbane QLD 4000"}
	assert.Equal(t, ` (did you mean "1 Eagle St, Brisbane QLD 4000"?)`, DidYouMean("1 Eagel St, Brisbane QLD 4000", addresses))
	assert.Empty(t, DidYouMean("99 Nowhere Rd", addresses))
}

func TestDistance(t *testing.T) {
	assert.Equal(t, 0, distance("abc", "abc"))
	assert.Equal(t, 1, distance("abc", "acb"))
	assert.Equal(t, 3, distance("", "abc"))
	assert.Equal(t, 3, distance("kitten", "sitting"))
}
