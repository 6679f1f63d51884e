package tmf622

import (
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The request body a client sends for the order that carries out a quote
// (the quote's is tmf648.QuoteBody). `ordertwin submit` and the tests
// build it from a scenario's quote.

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
	ID              string              `json:"id"`
	Action          string              `json:"action"`
	ProductOffering tmf630.Ref          `json:"productOffering"`
	QuoteItem       tmf630.QuoteItemRef `json:"quoteItem"`
}

// NewOrderBody is the order that carries out quote quoteID, made for q.
func NewOrderBody(quoteID string, q com.QuoteRequest, externalID string) OrderBody {
	b := OrderBody{ExternalID: externalID, Category: "enterprise", Description: q.Offering + " rollout",
		Quote:          []tmf630.Ref{{ID: quoteID}},
		RelatedParty:   []tmf630.Ref{{ID: q.Customer.ID, Name: q.Customer.Name, Role: "customer", ReferredType: "Organization"}},
		BillingAccount: &tmf630.Ref{ID: q.Customer.Account}}
	for i, s := range q.Sites {
		b.ProductOrderItem = append(b.ProductOrderItem, OrderItemBody{ID: tmf.SeqID("item", i+1), Action: "add",
			ProductOffering: tmf630.Ref{ID: q.Offering}, QuoteItem: tmf630.QuoteItemRef{ID: s.Code, QuoteID: quoteID}})
	}
	return b
}

// ChangeBody is the body of POST productOrder for a change order: one
// modify item on an installed product.
type ChangeBody struct {
	ExternalID       string           `json:"externalId,omitempty"`
	RelatedParty     []tmf630.Ref     `json:"relatedParty"`
	ProductOrderItem []ChangeItemBody `json:"productOrderItem"`
}

// ChangeItemBody is the one item of a ChangeBody.
type ChangeItemBody struct {
	ID      string             `json:"id"`
	Action  string             `json:"action"`
	Product tmf630.ItemProduct `json:"product"`
}

// NewChangeBody is the change order that sets the speed of installed
// product productID of customer to speed.
func NewChangeBody(productID string, customer com.Customer, speed, externalID string) ChangeBody {
	return ChangeBody{ExternalID: externalID,
		RelatedParty: []tmf630.Ref{{ID: customer.ID, Name: customer.Name, Role: "customer", ReferredType: "Organization"}},
		ProductOrderItem: []ChangeItemBody{{ID: "1", Action: "modify",
			Product: tmf630.ItemProduct{ID: productID, ProductCharacteristic: []tmf630.Characteristic{{Name: "speed", Value: speed}}}}}}
}
