package tmf648_test

import (
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A quote of a version 2 scenario shows each site's own tier, speed and
// price in its quote item (the bank's Platinum head office, Gold branches
// at the quote's defaults, Silver offices).
func TestQuoteItemsOfTheirOwnTier(t *testing.T) {
	r := apitest.ServeLibrary(t, "v2-bank-mixed-tiers.yaml")
	quotes := r.List(t, quotesPath)
	require.Len(t, quotes, 1)
	got := map[string][3]any{}
	for _, it := range quotes[0]["quoteItem"].([]any) {
		item := it.(map[string]any)
		chars := item["product"].(map[string]any)["productCharacteristic"]
		price := item["quoteItemPrice"].([]any)[0].(map[string]any)["price"].(map[string]any)
		got[item["id"].(string)] = [3]any{apitest.Lookup(t, chars, "slaTier"), apitest.Lookup(t, chars, "speed"), price}
	}
	assert.Equal(t, "Platinum", got["MELB"][0])
	assert.Equal(t, "1G-sym", got["MELB"][1])
	assert.Equal(t, "Gold", got["SYD1"][0])
	assert.Equal(t, "500M-sym", got["SYD1"][1])
	assert.Equal(t, "Silver", got["BNE2"][0])
	assert.Equal(t, "100M-sym", got["BNE2"][1])
	amount := func(site string) any {
		return got[site][2].(map[string]any)["dutyFreeAmount"].(map[string]any)["value"]
	}
	assert.Equal(t, 3200.0, amount("MELB"))
	assert.Equal(t, 1850.0, amount("SYD1"))
	assert.Equal(t, 1400.0, amount("BNE2"))
}
