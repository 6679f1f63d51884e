package tmf648_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workedBody is the worked example's quote as a client posts it, to
// change by path.
func workedBody(t *testing.T) map[string]any {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(apitest.MustMarshal(t, tmf648.NewQuoteBody(apitest.WorkedQuote(t), "AUD"))), &body))
	return body
}

// item0 is the first quote item of a body.
func item0(body map[string]any) map[string]any {
	return body["quoteItem"].([]any)[0].(map[string]any)
}

// amount0 is the first quote item's price.
func amount0(body map[string]any) map[string]any {
	return item0(body)["quoteItemPrice"].([]any)[0].(map[string]any)["price"].(map[string]any)["dutyFreeAmount"].(map[string]any)
}

// What a client sends with a quote is taken as sent, or refused: a 400
// naming the field, and nothing created (docs/api.md, "Quotes"). Reference:
// TMF648 v4 Quote_Create leaves out quoteDate, effectiveQuoteCompletionDate,
// expectedQuoteCompletionDate, validFor and quoteTotalPrice, which the
// server sets; Money.unit is the price's currency; a quote item is one site.
func TestQuoteInputRefused(t *testing.T) {
	taken := store.NewMemory()
	l := apitest.ServeLiveWith(t, scenarios.Options{Log: taken})
	defer l.Stop()
	for _, c := range []struct {
		name   string
		change func(body map[string]any)
		says   string
	}{
		{"another currency", func(b map[string]any) { amount0(b)["unit"] = "USD" },
			`quoteItem[0].quoteItemPrice[0].price.dutyFreeAmount.unit: "USD": PO-EFCG-01 is priced in AUD`},
		{"no currency", func(b map[string]any) { amount0(b)["unit"] = "XYZ" },
			`quoteItem[0].quoteItemPrice[0].price.dutyFreeAmount.unit: "XYZ": PO-EFCG-01 is priced in AUD`},
		{"a later item's currency", func(b map[string]any) {
			b["quoteItem"].([]any)[2].(map[string]any)["quoteItemPrice"].([]any)[0].(map[string]any)["price"].(map[string]any)["dutyFreeAmount"].(map[string]any)["unit"] = "aud"
		}, `quoteItem[2].quoteItemPrice[0].price.dutyFreeAmount.unit: "aud": PO-EFCG-01 is priced in AUD`},
		{"quantity", func(b map[string]any) { item0(b)["quantity"] = 3 }, "quoteItem[0].quantity: 3: a quote item is one site: quantity 1"},
		{"quoteDate", func(b map[string]any) { b["quoteDate"] = "2025-01-01T00:00:00Z" }, "quoteDate: set by the server; a new quote must not carry it"},
		{"quoteTotalPrice", func(b map[string]any) { b["quoteTotalPrice"] = []any{} }, "quoteTotalPrice: set by the server; a new quote must not carry it"},
		{"effectiveQuoteCompletionDate", func(b map[string]any) { b["effectiveQuoteCompletionDate"] = "bad" },
			"effectiveQuoteCompletionDate: set by the server; a new quote must not carry it"},
		{"expectedQuoteCompletionDate", func(b map[string]any) { b["expectedQuoteCompletionDate"] = "2025-01-01T00:00:00Z" },
			"expectedQuoteCompletionDate: set by the server; a new quote must not carry it"},
		{"validFor", func(b map[string]any) { b["validFor"] = map[string]any{"startDateTime": "0000-01-01T00:00:00Z"} },
			"validFor: set by the server; a new quote must not carry it"},
		{"contentDigest", func(b map[string]any) { b["contentDigest"] = "00" }, "contentDigest: set by the server; a new quote must not carry it"},
		{"@type", func(b map[string]any) { b["@type"] = "ProductOrder" }, `@type: "ProductOrder": a quote is of @type Quote`},
		{"item @type", func(b map[string]any) { item0(b)["@type"] = "ProductOrderItem" }, `quoteItem[0].@type: "ProductOrderItem": a quote item is of @type QuoteItem`},
		{"item qualification", func(b map[string]any) { item0(b)["qualification"] = []any{} }, "quoteItem[0].qualification: set by the server"},
		{"category", func(b map[string]any) { b["category"] = "residential" }, `category: "residential": a quote here is an enterprise rollout`},
		{"requested date", func(b map[string]any) { b["requestedQuoteCompletionDate"] = "bad" },
			`requestedQuoteCompletionDate: "bad" is not an RFC 3339 date-time`},
		{"a member in other letter case", func(b map[string]any) { b["CATEGORY"] = "residential" },
			"CATEGORY: names are case-sensitive: want category"},
		{"a party in other letter case", func(b map[string]any) { b["RelatedParty"] = b["relatedParty"]; delete(b, "relatedParty") },
			"RelatedParty: names are case-sensitive: want relatedParty"},
		{"an item's member in other letter case", func(b map[string]any) { item0(b)["Quantity"] = 3 },
			"quoteItem[0].Quantity: names are case-sensitive: want quoteItem[0].quantity"},
		{"fractions of a cent", func(b map[string]any) { amount0(b)["value"] = 1800.0000001 },
			"quoteItem[0].quoteItemPrice[0].price.dutyFreeAmount.value: 1800.0000001: a price is in cents, at most 2 decimals"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := workedBody(t)
			c.change(body)
			var e tmf630.Error
			w := l.Do(t, "POST", quotesPath, body, &e)
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			assert.Contains(t, e.Message, c.says)
		})
	}
	assert.Empty(t, taken.Inputs(), "nothing was logged")
	var quotes []tmf648.Quote
	l.Do(t, "GET", quotesPath, nil, &quotes)
	assert.Empty(t, quotes, "nothing was created")

	// What a client may send: its offering's currency, one site, the
	// quote's @type, an extension member (left out, TMF630), a price in
	// cents, a date asked for.
	body := workedBody(t)
	body["@type"], body["evil"], body["requestedQuoteCompletionDate"] = "Quote", 1, "2025-03-01T00:00:00Z"
	item0(body)["quantity"], item0(body)["@type"] = 1, "QuoteItem"
	amount0(body)["value"] = 1799.95
	var q tmf648.Quote
	w := l.Do(t, "POST", quotesPath, body, &q)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	price := q.QuoteItem[0].QuoteItemPrice[0].Price.DutyFreeAmount
	assert.Equal(t, tmf630.Money{Unit: "AUD", Value: 1799.95}, *price)
	assert.Equal(t, "Quote", q.Type)
	assert.NotContains(t, w.Body.String(), "evil")
}
