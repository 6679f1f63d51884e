package tmf648_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/scenarios"
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

// A quote with sites of another offering shows each item's offering and,
// for those on a rate card of their own, the card its price is of; an
// approver's client recomputes from the wire the digest of the quote the
// scenario placed (its first site has values of its own); and a client
// may place such a quote over the API.
func TestQuoteItemsOfAnotherOffering(t *testing.T) {
	const file = "v2-two-offerings.yaml"
	r := apitest.ServeLibrary(t, file)
	quotes := r.List(t, quotesPath)
	require.Len(t, quotes, 1)
	offering, card := map[string]any{}, map[string]any{}
	for _, it := range quotes[0]["quoteItem"].([]any) {
		item := it.(map[string]any)
		offering[item["id"].(string)] = item["productOffering"].(map[string]any)["id"]
		price := item["quoteItemPrice"].([]any)[0].(map[string]any)
		if pop, ok := price["productOfferingPrice"].(map[string]any); ok {
			card[item["id"].(string)] = pop["id"]
		}
	}
	assert.Equal(t, map[string]any{"PER1": "PO-EFCP-01", "PER2": "PO-EFCG-01", "ADL1": "PO-EFCP-01"}, offering)
	assert.Equal(t, map[string]any{"PER1": "RC-PLAT-2025-NEG", "ADL1": "RC-PLAT-2025-NEG"}, card)
	for _, po := range r.List(t, tmf630.ProductOrdering+"/productOrder") {
		for _, it := range po["productOrderItem"].([]any) {
			item := it.(map[string]any)
			site := item["product"].(map[string]any)["place"].([]any)[0].(map[string]any)["id"].(string)
			assert.Equal(t, offering[site], item["productOffering"].(map[string]any)["id"], site)
		}
	}

	sc, err := scenarios.LoadLibrary(file)
	require.NoError(t, err)
	var wire tmf648.Quote
	require.NoError(t, json.Unmarshal([]byte(apitest.MustMarshal(t, quotes[0])), &wire))
	digest, err := tmf648.QuoteDigest(wire)
	require.NoError(t, err)
	assert.Equal(t, com.Digest(sc.Spec.Orders[0].Quote), digest)

	req := sc.Spec.Orders[0].Quote
	req.ID, req.Customer.ID = "", "CUST-ENT-3311"
	decoded, e := tmf648.DecodeQuote([]byte(apitest.MustMarshal(t, tmf648.NewQuoteBody(req, "AUD"))))
	require.Nil(t, e)
	assert.Equal(t, "PO-EFCP-01", decoded.Offering, "the first item's offering is the quote's")
	assert.Equal(t, "PO-EFCG-01", decoded.Sites[1].Offering)
	assert.Equal(t, "RC-PLAT-2025-NEG", decoded.RateCard, "and its rate card")
	assert.Equal(t, "RC-ENT-2024-NEG", decoded.Sites[1].RateCard)
	assert.Equal(t, "", decoded.Sites[2].Offering, "of the quote's, the first item's")
	assert.True(t, decoded.TargetsFromOrder, "the API's wave targets are from the order")
	assert.Equal(t, com.Digest(req), com.Digest(*decoded), "the same quote, whichever site gives the quote's values")
	res := r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, tmf648.NewQuoteBody(req, "AUD")))
	assert.Equal(t, 201, res.Code, res.Body.String())
}

// A price too large for the totals it makes to be numbers (1e308 a month:
// a TCV of +Inf) is refused, and the quotes stay readable.
func TestQuoteOfAPriceTooLarge(t *testing.T) {
	const file = "globaltech-5site.yaml"
	r := apitest.ServeLibrary(t, file)
	sc, err := scenarios.LoadLibrary(file)
	require.NoError(t, err)
	req := sc.Spec.Orders[0].Quote
	req.ID, req.Monthly = "", 1e308
	res := r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, tmf648.NewQuoteBody(req, "AUD")))
	assert.Equal(t, 400, res.Code, res.Body.String())
	assert.Contains(t, res.Body.String(), "price 1e+308: over the most a site may be charged a month")
	assert.Len(t, r.List(t, quotesPath), 1, "the scenario's quote, readable")
}

// COM's check of a quote names the request's field each error is about:
// the quote's own values are its first item's, a site's its item's.
func TestQuoteErrorsNameTheirField(t *testing.T) {
	const file = "globaltech-5site.yaml"
	r := apitest.ServeLibrary(t, file)
	sc, err := scenarios.LoadLibrary(file)
	require.NoError(t, err)
	for _, c := range []struct {
		edit func(q *com.QuoteRequest)
		want string
	}{
		{func(q *com.QuoteRequest) { q.Tier = "Diamond" }, `quoteItem[0].product.productCharacteristic[slaTier]: SLA tier "Diamond" is not offered`},
		{func(q *com.QuoteRequest) { q.RateCard = "RC-NOPE" }, `agreement[0].id: rate card "RC-NOPE" is not a rate card of PO-EFCG-01`},
		{func(q *com.QuoteRequest) { q.Sites[2].Speed = "10G-sym" }, `quoteItem[2].product.productCharacteristic[speed]: site SYD2: speed "10G-sym" is not offered`},
		{func(q *com.QuoteRequest) { q.Sites[3].Code = q.Sites[1].Code }, `quoteItem[3].id: site "SYD1" declared twice`},
	} {
		req := sc.Spec.Orders[0].Quote
		req.ID = ""
		req.Sites = slices.Clone(req.Sites)
		c.edit(&req)
		res := r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, tmf648.NewQuoteBody(req, "AUD")))
		assert.Equal(t, 400, res.Code, res.Body.String())
		var e tmf630.Error
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &e))
		assert.Contains(t, e.Message, c.want)
	}
}

// A quote's waves carry their gates and manual release over the API (the
// console's scenario run placed a version 2 plan without them: its
// Regional wave went without anyone's release). A gate on a wave listed
// after it, or of nothing known, is refused, naming it.
func TestQuoteWavesCarryTheirGates(t *testing.T) {
	const file = "v2-gates-manual-release.yaml"
	sc, err := scenarios.LoadLibrary(file)
	require.NoError(t, err)
	req := sc.Spec.Orders[0].Quote
	require.True(t, req.Gated())
	body := tmf648.NewQuoteBody(req, "AUD")
	var manual, sites bool
	for _, w := range body.Wave {
		manual = manual || w.Release == "manual"
		for _, g := range w.After {
			sites = sites || g.Sites != ""
		}
	}
	require.True(t, manual && sites, "the plan has a manual release and a gate on a share of sites")
	decoded, e := tmf648.DecodeQuote([]byte(apitest.MustMarshal(t, body)))
	require.Nil(t, e)
	assert.Equal(t, req.Waves, decoded.Waves, "the plan round-trips")

	r := apitest.ServeLibrary(t, file)
	req.ID = ""
	res := r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, tmf648.NewQuoteBody(req, "AUD")))
	require.Equal(t, 201, res.Code, res.Body.String())
	var got tmf648.Quote
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &got))
	assert.Equal(t, body.Wave, got.Wave, "the quote shows its plan")

	bad := tmf648.NewQuoteBody(req, "AUD")
	bad.Wave[1].After = []tmf648.WaveGate{{Wave: bad.Wave[0].Name, On: "done"}}
	res = r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, bad))
	assert.Equal(t, 400, res.Code)
	assert.Contains(t, res.Body.String(), `wave[1].after[0].on: \"done\": want completed, slaValidated, or sites: with a share`)
	bad = tmf648.NewQuoteBody(req, "AUD")
	bad.Wave[0].After = []tmf648.WaveGate{{Wave: bad.Wave[1].Name}}
	res = r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, bad))
	assert.Equal(t, 400, res.Code)
	assert.Contains(t, res.Body.String(), "which comes after it in the rollout plan")
	bad = tmf648.NewQuoteBody(req, "AUD")
	bad.Wave[0].Release = "later"
	res = r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, bad))
	assert.Equal(t, 400, res.Code)
	assert.Contains(t, res.Body.String(), `wave[0].release: \"later\": want manual, or auto (the default)`)
	// A share that is no decimal number (NaN passed every comparison and
	// left a half-made quote that broke every snapshot after it).
	quotes := r.Call(t, "GET", quotesPath, "").Header().Get("X-Total-Count")
	for _, share := range []string{"NaN%", "Inf%", "+Inf%", "0x1p6%", "-5%", "%", "101%"} {
		bad = tmf648.NewQuoteBody(req, "AUD")
		bad.Wave[1].After = []tmf648.WaveGate{{Wave: bad.Wave[0].Name, Sites: share}}
		res = r.Call(t, "POST", quotesPath, apitest.MustMarshal(t, bad))
		assert.Equal(t, 400, res.Code, share)
		assert.Contains(t, res.Body.String(), "want a share of the wave's sites such as 80%", share)
	}
	assert.Equal(t, quotes, r.Call(t, "GET", quotesPath, "").Header().Get("X-Total-Count"), "the refused quotes left nothing")
}
