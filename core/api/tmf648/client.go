package tmf648

import (
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
)

// The request body a CPQ posts for a quote: `ordertwin submit` and the
// tests build it from a scenario's quote.

// QuoteBody is the body of POST quote.
type QuoteBody struct {
	Category       string          `json:"category,omitempty"`
	RelatedParty   []tmf630.Ref    `json:"relatedParty"`
	BillingAccount []tmf630.Ref    `json:"billingAccount"`
	Agreement      []tmf630.Ref    `json:"agreement"`
	Wave           []Wave          `json:"wave"`
	QuoteItem      []QuoteItemBody `json:"quoteItem"`
}

// QuoteItemBody is one site of a QuoteBody.
type QuoteItemBody struct {
	ID              string              `json:"id"`
	Action          string              `json:"action"`
	ProductOffering tmf630.Ref          `json:"productOffering"`
	Product         tmf630.ItemProduct  `json:"product"`
	ItemTerm        []tmf630.OrderTerm  `json:"itemTerm"`
	QuoteItemPrice  []tmf630.OrderPrice `json:"quoteItemPrice"`
}

// NewQuoteBody is the body that asks for q.
func NewQuoteBody(q com.QuoteRequest, currency string) QuoteBody {
	b := QuoteBody{Category: "enterprise",
		RelatedParty:   []tmf630.Ref{{ID: q.Customer.ID, Name: q.Customer.Name, Role: "customer", ReferredType: "Organization"}},
		BillingAccount: []tmf630.Ref{{ID: q.Customer.Account}}, Agreement: []tmf630.Ref{{ID: q.RateCard}}}
	for _, w := range q.Waves {
		b.Wave = append(b.Wave, NewWave(w))
	}
	for i, s := range q.Sites {
		price := tmf630.Monthly("", currency, q.SiteMonthly(i))
		if s.RateCard != "" {
			price.ProductOfferingPrice = &tmf630.Ref{ID: s.RateCard}
		}
		b.QuoteItem = append(b.QuoteItem, QuoteItemBody{ID: s.Code, Action: "add", ProductOffering: tmf630.Ref{ID: q.SiteOffering(i)},
			Product: tmf630.ItemProduct{Place: []tmf630.Place{{ID: s.Code, Name: s.Name, Role: "installationAddress", Address: s.Address}},
				ProductCharacteristic: []tmf630.Characteristic{{Name: "speed", Value: q.SiteSpeed(i)}, {Name: "slaTier", Value: q.SiteTier(i)}, {Name: "wave", Value: s.Wave}}},
			ItemTerm:       []tmf630.OrderTerm{{Duration: &tmf630.Quantity{Amount: float64(q.Term), Units: "month"}}},
			QuoteItemPrice: []tmf630.OrderPrice{price}})
	}
	return b
}
