package api

import (
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The request bodies a client sends: what a CPQ posts for a quote and the
// order that carries it out. `ordertwin submit` and the tests build them
// from a scenario's quote.

// QuoteBody is the body of POST quote.
type QuoteBody struct {
	Category       string          `json:"category,omitempty"`
	RelatedParty   []tmf630.Ref    `json:"relatedParty"`
	BillingAccount *tmf630.Ref     `json:"billingAccount"`
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
		BillingAccount: &tmf630.Ref{ID: q.Customer.Account}, Agreement: []tmf630.Ref{{ID: q.RateCard}}}
	for _, w := range q.Waves {
		b.Wave = append(b.Wave, Wave{Name: w.Name, ServiceOrder: w.ServiceOrder, Target: tmf.FormatOffset(w.Target)})
	}
	for _, s := range q.Sites {
		b.QuoteItem = append(b.QuoteItem, QuoteItemBody{ID: s.Code, Action: "add", ProductOffering: tmf630.Ref{ID: q.Offering},
			Product: tmf630.ItemProduct{Place: []tmf630.Place{{ID: s.Code, Name: s.Name, Role: "installationAddress", Address: s.Address}},
				ProductCharacteristic: []tmf630.Characteristic{{Name: "speed", Value: q.Speed}, {Name: "slaTier", Value: q.Tier}, {Name: "wave", Value: s.Wave}}},
			ItemTerm:       []tmf630.OrderTerm{{Duration: &tmf630.Quantity{Amount: float64(q.Term), Units: "month"}}},
			QuoteItemPrice: []tmf630.OrderPrice{tmf630.Monthly("", currency, q.Monthly)}})
	}
	return b
}

// OrderBody is the body of POST productOrder.
type OrderBody struct {
	ExternalID       string          `json:"externalId,omitempty"`
	Category         string          `json:"category,omitempty"`
	Description      string          `json:"description,omitempty"`
	Quote            []tmf630.Ref    `json:"quote"`
	RelatedParty     []tmf630.Ref    `json:"relatedParty"`
	BillingAccount   *tmf630.Ref     `json:"billingAccount,omitempty"`
	ProductOrderItem []OrderItemBody `json:"productOrderItem"`
}

// OrderItemBody is one site of an OrderBody: it names its quote item and
// takes the rest from the quote.
type OrderItemBody struct {
	ID              string     `json:"id"`
	Action          string     `json:"action"`
	ProductOffering tmf630.Ref `json:"productOffering"`
	QuoteItem       QuoteItem  `json:"quoteItem"`
}

// NewOrderBody is the order that carries out quote quoteID, made for q.
func NewOrderBody(quoteID string, q com.QuoteRequest, externalID string) OrderBody {
	b := OrderBody{ExternalID: externalID, Category: "enterprise", Description: q.Offering + " rollout",
		Quote:          []tmf630.Ref{{ID: quoteID}},
		RelatedParty:   []tmf630.Ref{{ID: q.Customer.ID, Name: q.Customer.Name, Role: "customer", ReferredType: "Organization"}},
		BillingAccount: &tmf630.Ref{ID: q.Customer.Account}}
	for i, s := range q.Sites {
		b.ProductOrderItem = append(b.ProductOrderItem, OrderItemBody{ID: tmf.SeqID("item", i+1), Action: "add",
			ProductOffering: tmf630.Ref{ID: q.Offering}, QuoteItem: QuoteItem{ID: s.Code, QuoteID: quoteID}})
	}
	return b
}
