package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request decoders take outside input: whatever the body, they answer
// without panicking, either a 400 that says what is wrong, or a request
// that keeps the promises of their doc comments and that they decode the
// same when it is sent again (re-encoded, the way a client would).

func FuzzDecodeProductOrder(f *testing.F) {
	q := apitest.WorkedQuote(f)
	good := apitest.MustMarshal(f, tmf622.NewOrderBody("QT-001", q, "CPQ-7781"))
	apitest.AddSeeds(f, good,
		`{"productOrderItem":[{"id":"123","action":"add"}],"relatedParty":[{"id":"456-dd-df45","@referredType":"Individual"}]}`,
		`{"requestedCompletionDate":"2024-07-08T09:00:00+10:00","productOrderItem":[{"id":"1","action":"add","quantity":1,`+
			`"product":{"place":[{"id":"MELB","role":"installationAddress","address":"x"}],"productCharacteristic":[{"name":"speed","value":"500M-sym"}]},`+
			`"itemTerm":[{"duration":{"amount":36,"units":"month"}}],`+
			`"itemPrice":[{"priceType":"recurring","price":{"dutyFreeAmount":{"unit":"AUD","value":1800}}}]}]}`,
		strings.Replace(good, `"add"`, `"delete"`, 1), strings.Replace(good, `"item-002"`, `"item-001"`, 1),
		`{"productOrderItem":[{"id":"1","action":"add","quantity":2}]}`, `{"productOrderItem":"MELB"}`,
		`{"quote":[{"id":"a"},{"id":"b"}],"productOrderItem":[{"id":"1","action":"add"}]}`,
		`{"requestedCompletionDate":"tomorrow","productOrderItem":[{"id":"1","action":"add"}]}`)
	for _, b := range orderRefusals {
		f.Add([]byte(b.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := tmf622.DecodeProductOrder(body)
		if e != nil {
			apitest.DecodeRefused(t, e)
			return
		}
		require.NotEmpty(t, in.ProductOrderItem, "at least one item")
		ids := map[string]bool{}
		for _, it := range in.ProductOrderItem {
			assert.NotEmpty(t, it.ID)
			assert.False(t, ids[it.ID], "item ids are unique: %q", it.ID)
			ids[it.ID] = true
			if it.Action != "add" {
				// A change order: one modify or delete item on a product.
				assert.Contains(t, []string{"modify", "delete"}, it.Action)
				assert.Len(t, in.ProductOrderItem, 1)
				assert.Empty(t, in.Quote)
				require.NotNil(t, it.Product)
				assert.NotEmpty(t, it.Product.ID)
				continue
			}
			assert.Nil(t, it.State)
			assert.True(t, it.Quantity == nil || *it.Quantity == 1)
			if it.QuoteItem != nil {
				assert.Len(t, in.Quote, 1, "a quote item names the order's quote")
			}
			if it.Product != nil {
				for _, c := range it.Product.ProductCharacteristic {
					assert.NotEmpty(t, c.Name)
					assert.NotNil(t, c.Value, c.Name)
				}
			}
			for _, term := range it.ItemTerm {
				assert.Positive(t, term.Duration.Amount)
			}
		}
		assert.LessOrEqual(t, len(in.Quote), 1)
		for _, p := range in.RelatedParty {
			assert.NotEmpty(t, p.ID)
		}
		if in.RequestedCompletionDate != "" {
			_, err := time.Parse(time.RFC3339, in.RequestedCompletionDate)
			assert.NoError(t, err)
		}
		again, e := tmf622.DecodeProductOrder(apitest.Reencode(t, in))
		require.Nil(t, e, "sent again, it is taken again")
		assert.Equal(t, in, again)
	})
}

func FuzzDecodeProductOrderPatch(f *testing.F) {
	apitest.AddSeeds(f, `{"description":"GlobalTech rollout, phase 1"}`, `{"description":""}`, `{"description":null}`,
		`{"state":"completed"}`, `{"description":"x","state":"completed"}`, `{"description":7}`, `{}`, `{"Description":"x"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, e := tmf622.DecodeProductOrderPatch(body)
		if e != nil {
			apitest.DecodeRefused(t, e)
			return
		}
		require.NotNil(t, p.Description, "an accepted patch changes the description")
		again, e := tmf622.DecodeProductOrderPatch(apitest.Reencode(t, p))
		require.Nil(t, e)
		assert.Equal(t, p, again)
	})
}

func FuzzDecodeCancellation(f *testing.F) {
	apitest.AddSeeds(f, `{"productOrder":{"id":"PO-001"},"cancellationReason":"budget withdrawn"}`, `{"productOrder":{"id":"PO-001"}}`,
		`{"cancellationReason":"x"}`, `{"productOrder":{}}`, `{"productOrder":"PO-001"}`, `{"id":"CPO-1","productOrder":{"id":"PO-001"}}`,
		`{"state":"done","productOrder":{"id":"PO-001"}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, e := tmf622.DecodeCancellation(body)
		if e != nil {
			apitest.DecodeRefused(t, e)
			return
		}
		require.NotNil(t, c.ProductOrder)
		assert.NotEmpty(t, c.ProductOrder.ID)
		assert.Nil(t, c.ID)
		assert.Nil(t, c.Href)
		assert.Nil(t, c.State)
		again, e := tmf622.DecodeCancellation(apitest.Reencode(t, c))
		require.Nil(t, e)
		assert.Equal(t, c, again)
	})
}

func FuzzDecodeQuote(f *testing.F) {
	good := apitest.MustMarshal(f, tmf648.NewQuoteBody(apitest.WorkedQuote(f), "AUD"))
	apitest.AddSeeds(f, good,
		strings.Replace(good, `"P14D"`, `"P1.5DT2H30M"`, 1), strings.Replace(good, `"P14D"`, `"14 days"`, 1),
		strings.Replace(good, `"customer"`, `"requester"`, 1), strings.Replace(good, `"category"`, `"authorization":[],"category"`, 1),
		strings.Replace(good, `"add"`, `"modify"`, 1), strings.Replace(good, `"speed"`, `"colour"`, 1),
		strings.Replace(good, `1800`, `1700`, 1), strings.Replace(good, `"month"`, `"year"`, 1),
		`{"relatedParty":[{"id":"C","role":"customer"}],"billingAccount":[{"id":"A"}],"agreement":[{"id":"R"}],"wave":[{"name":"W","target":"P1D"}],`+
			`"quoteItem":[{"id":"S","action":"add","productOffering":{"id":"O"},"product":{"place":[{"role":"r","address":"a"}]},`+
			`"itemTerm":[{"duration":{"amount":12,"units":"month"}}],"quoteItemPrice":[{"priceType":"recurring","price":{"dutyFreeAmount":{"value":1}}}]}]}`)
	for _, b := range quoteRefusals {
		f.Add([]byte(b.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, e := tmf648.DecodeQuote(body)
		if e != nil {
			apitest.DecodeRefused(t, e)
			return
		}
		assert.NotEmpty(t, req.Customer.ID)
		assert.NotEmpty(t, req.Customer.Account)
		assert.NotEmpty(t, req.RateCard)
		require.NotEmpty(t, req.Waves, "at least one wave")
		for _, w := range req.Waves {
			assert.NotEmpty(t, w.Name)
			assert.NotEmpty(t, w.ServiceOrder)
			assert.Positive(t, w.Target, "a wave is due after the order")
		}
		assert.Positive(t, req.Term)
		require.NotEmpty(t, req.Sites, "at least one site")
		for _, s := range req.Sites {
			assert.NotEmpty(t, s.Code)
			assert.NotEmpty(t, s.Address)
		}
		assert.NotEmpty(t, req.Offering)
		again, e := tmf648.DecodeQuote(apitest.Reencode(t, tmf648.NewQuoteBody(*req, "AUD")))
		require.Nil(t, e, "the quote body of what was decoded is taken again")
		assert.Equal(t, req, again)
	})
}

// minimalQuote is a quote body the decoder takes (it checks no catalog),
// with TARGET, CHARS and TERM to fill in.
const minimalQuote = `{"relatedParty":[{"id":"C","role":"customer"}],"billingAccount":[{"id":"A"}],"agreement":[{"id":"R"}],` +
	`"wave":[{"name":"W","target":"TARGET"}],"quoteItem":[{"id":"S","action":"add","productOffering":{"id":"O"},` +
	`"product":{"place":[{"role":"r","address":"a"}],"productCharacteristic":[CHARS]},` +
	`"itemTerm":[{"duration":{"amount":TERM,"units":"month"}}],"quoteItemPrice":[{"priceType":"recurring","price":{"dutyFreeAmount":{"value":1}}}]}]}`

func quoteWith(target, chars, term string) string {
	return strings.NewReplacer("TARGET", target, "CHARS", chars, "TERM", term).Replace(minimalQuote)
}

// twoTerms is minimalQuote with a second site, of another term.
func twoTerms(first, second string) string {
	q := quoteWith("P14D", "", first)
	from := strings.Index(q, `{"id":"S"`)
	item := q[from : len(q)-2]
	other := strings.Replace(strings.Replace(item, `"id":"S"`, `"id":"S2"`, 1), `"amount":`+first, `"amount":`+second, 1)
	return q[:len(q)-2] + "," + other + "]}"
}

// quoteRefusals and orderRefusals are bodies the decoders once took: a
// wave due before the order, or 292 years after it wrapped round to
// before; a characteristic without a value, taken as the text "<nil>"; a
// term of minus 9.2e18 months (1e300 as an int) or of 36.5.
var (
	quoteRefusals = []struct{ body, says string }{
		{quoteWith("-P14D", "", "36"), `wave[0].target: "-P14D": want a positive duration`},
		{quoteWith("P0D", "", "36"), `wave[0].target: "P0D": want a positive duration`},
		{quoteWith("P106752D", "", "36"), "wave[0].target: duration \"P106752D\": longer than the longest offset"},
		{quoteWith("P14D", `{"name":"speed"}`, "36"), "quoteItem[0].product.productCharacteristic[0].value: required"},
		{quoteWith("P14D", "", "1e300"), "quoteItem[0].itemTerm: want one term, a whole number of months"},
		{quoteWith("P14D", "", "36.5"), "quoteItem[0].itemTerm: want one term, a whole number of months"},
		{quoteWith("P14D", "", "-36"), "quoteItem[0].itemTerm: want one term, a whole number of months"},
		{twoTerms("7", "36"), "quoteItem[1].itemTerm: 36 months, where quoteItem[0]'s is 7: every site of a quote has the same term"},
	}
	orderRefusals = []struct{ body, says string }{
		{`{"productOrderItem":[{"id":"1","action":"add","product":{"productCharacteristic":[{"name":"speed"}]}}]}`,
			"productOrderItem[0].product.productCharacteristic[0].value: required"},
		{`{"productOrderItem":[{"id":"1","action":"add","product":{"productCharacteristic":[{"value":"x"}]}}]}`,
			"productOrderItem[0].product.productCharacteristic[0].name: required"},
		{`{"productOrderItem":[{"id":"1","action":"add","itemTerm":[{"duration":{"amount":1e300,"units":"month"}}]}]}`,
			"productOrderItem[0].itemTerm: want one term, a whole number of months"},
	}
)

func TestDecodersRefuseWhatTheyOnceTook(t *testing.T) {
	_, e := tmf648.DecodeQuote([]byte(quoteWith("P14D", `{"name":"speed","value":"500M-sym"}`, "36")))
	require.Nil(t, e, "the minimal quote is taken")
	for _, r := range quoteRefusals {
		_, e := tmf648.DecodeQuote([]byte(r.body))
		if assert.NotNil(t, e, r.says) {
			assert.Equal(t, "400", e.Status)
			assert.Contains(t, e.Message, r.says)
		}
	}
	for _, r := range orderRefusals {
		_, e := tmf622.DecodeProductOrder([]byte(r.body))
		if assert.NotNil(t, e, r.says) {
			assert.Equal(t, "400", e.Status)
			assert.Contains(t, e.Message, r.says)
		}
	}
}
