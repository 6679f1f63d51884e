package tmf622

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// productOrderIn is the body of POST productOrder (TMF622 v4
// ProductOrder_Create). The server-managed fields are there only to be
// refused by name when a client sends them.
type productOrderIn struct {
	tmf630.ServerManaged
	ExternalID              string               `json:"externalId"`
	Description             string               `json:"description"`
	Category                string               `json:"category"`
	RequestedCompletionDate string               `json:"requestedCompletionDate"`
	Quote                   []tmf630.Ref         `json:"quote"`
	RelatedParty            []tmf630.Ref         `json:"relatedParty"`
	BillingAccount          *tmf630.Ref          `json:"billingAccount"`
	Agreement               []tmf630.Ref         `json:"agreement"`
	ProductOrderItem        []tmf630.OrderItemIn `json:"productOrderItem"`
	requested               time.Duration        // RequestedCompletionDate parsed, from the epoch
	// change is set for a change order: one modify or delete item.
	change *siteChange
}

// siteChange is what a change order asks of an installed product: its
// speed or SLA tier changed (modify), or the product removed (delete).
type siteChange struct {
	Product     string
	Delete      bool
	Speed, Tier string
}

// DecodeProductOrder reads and checks the body of POST productOrder: JSON
// of the right types, the mandatory fields (productOrderItem, and each
// item's id and action), no server-managed field, values the product
// takes. Every error is a 400 naming the field.
func DecodeProductOrder(body []byte) (*productOrderIn, *tmf630.Error) {
	var in productOrderIn
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return nil, e
	}
	if e := in.Refuse("productOrder"); e != nil {
		return nil, e
	}
	if len(in.ProductOrderItem) == 0 {
		return nil, tmf630.NewError(http.StatusBadRequest, "productOrderItem: required, at least one item")
	}
	if in.RequestedCompletionDate != "" {
		if _, err := time.Parse(time.RFC3339, in.RequestedCompletionDate); err != nil {
			return nil, tmf630.NewError(http.StatusBadRequest, "requestedCompletionDate: "+strconv.Quote(in.RequestedCompletionDate)+" is not an RFC 3339 date-time")
		}
	}
	for i, r := range in.RelatedParty {
		if r.ID == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("relatedParty", i, "id")+": required")
		}
	}
	if len(in.Quote) > 1 {
		return nil, tmf630.NewError(http.StatusBadRequest, "quote: an order carries out one quote, not "+strconv.Itoa(len(in.Quote)))
	}
	if len(in.Quote) == 1 && in.Quote[0].ID == "" {
		return nil, tmf630.NewError(http.StatusBadRequest, "quote[0].id: required")
	}
	if c, e := decodeChange(&in); c != nil || e != nil {
		in.change = c
		return &in, e
	}
	seen := map[string]bool{}
	for i, it := range in.ProductOrderItem {
		switch {
		case it.ID == "":
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "id")+": required")
		case seen[it.ID]:
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "id")+": "+strconv.Quote(it.ID)+" is used by another item")
		case it.Action == "":
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "action")+": required")
		case it.Action == "modify" || it.Action == "delete" || it.Action == "noChange":
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "action")+": "+strconv.Quote(it.Action)+
				" in an order that adds sites: a change order has one modify or delete item, on its own")
		case it.Action != "add":
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "action")+": "+strconv.Quote(it.Action)+
				" is not an order item action (add, modify, delete, noChange)")
		case it.State != nil:
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "state")+": set by the server; a new item must not carry it")
		case it.Quantity != nil && *it.Quantity != 1:
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "quantity")+": an item is one site: quantity 1")
		case it.ProductOffering != nil && it.ProductOffering.ID == "":
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "productOffering.id")+": required")
		case len(it.ItemTerm) > 1 || len(it.ItemTerm) == 1 && !tmf630.WholeMonths(it.ItemTerm[0]):
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "itemTerm")+": want one term, a whole number of months: {\"duration\": {\"amount\": 36, \"units\": \"month\"}}")
		case len(it.ItemPrice) > 1 || len(it.ItemPrice) == 1 && (it.ItemPrice[0].PriceType != "recurring" || it.ItemPrice[0].Price.DutyFreeAmount == nil ||
			it.ItemPrice[0].Price.DutyFreeAmount.Value <= 0):
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "itemPrice")+": want one recurring monthly price with a positive price.dutyFreeAmount")
		case it.Product != nil && len(it.Product.Place) > 1:
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "product.place")+": an item is one site: one place")
		}
		if it.QuoteItem != nil {
			switch {
			case it.QuoteItem.ID == "":
				return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "quoteItem.id")+": required")
			case len(in.Quote) == 0:
				return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "quoteItem")+": the order names no quote")
			case it.QuoteItem.QuoteID != "" && it.QuoteItem.QuoteID != in.Quote[0].ID:
				return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "quoteItem.quoteId")+": "+
					strconv.Quote(it.QuoteItem.QuoteID)+" is not the order's quote "+strconv.Quote(in.Quote[0].ID))
			}
		}
		if it.Product != nil && len(it.Product.Place) == 1 && it.Product.Place[0].ID == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "product.place[0].id")+": required")
		}
		if it.Product != nil {
			for j, c := range it.Product.ProductCharacteristic {
				at := tmf630.Field("productOrderItem", i, "product.productCharacteristic["+strconv.Itoa(j)+"]")
				switch {
				case c.Name == "":
					return nil, tmf630.NewError(http.StatusBadRequest, at+".name: required")
				case c.Value == nil:
					return nil, tmf630.NewError(http.StatusBadRequest, at+".value: required")
				}
			}
		}
		seen[it.ID] = true
	}
	return &in, nil
}

// decodeChange reads a change order: one item, action modify or delete,
// naming the installed product (product.id); a modify item gives the new
// speed or slaTier (productCharacteristic). Nil and no error for an order
// that adds sites.
func decodeChange(in *productOrderIn) (*siteChange, *tmf630.Error) {
	first := in.ProductOrderItem[0]
	if first.Action != "modify" && first.Action != "delete" {
		return nil, nil
	}
	bad := func(name, msg string) (*siteChange, *tmf630.Error) {
		return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", 0, name)+": "+msg)
	}
	switch {
	case len(in.ProductOrderItem) > 1:
		return nil, tmf630.NewError(http.StatusBadRequest, "productOrderItem: a change order has one item, the product it changes")
	case first.ID == "":
		return bad("id", "required")
	case first.State != nil:
		return bad("state", "set by the server; a new item must not carry it")
	case first.Product == nil || first.Product.ID == "":
		return bad("product.id", "required: the installed product to "+first.Action)
	case len(in.Quote) > 0:
		return nil, tmf630.NewError(http.StatusBadRequest, "quote: a change order changes an installed product; it carries out no quote")
	case len(first.ItemTerm) > 0 || len(first.ItemPrice) > 0:
		return bad("itemPrice", "a change's price comes from the rate card of the product's quote")
	}
	c := &siteChange{Product: first.Product.ID, Delete: first.Action == "delete"}
	for _, ch := range first.Product.ProductCharacteristic {
		if c.Delete {
			return bad("product.productCharacteristic", "a delete item changes nothing of the product")
		}
		v, ok := ch.Value.(string)
		if !ok || v == "" {
			return bad("product.productCharacteristic", fmt.Sprintf("%s: want a text value", ch.Name))
		}
		switch ch.Name {
		case "speed":
			c.Speed = v
		case "slaTier":
			c.Tier = v
		default:
			return bad("product.productCharacteristic", fmt.Sprintf("%q cannot change (speed, slaTier)", ch.Name))
		}
	}
	if !c.Delete && c.Speed == "" && c.Tier == "" {
		return bad("product.productCharacteristic", "a modify item gives the new speed or slaTier")
	}
	return c, nil
}

// order is the internal product order the request asks for.
func (in *productOrderIn) order() *tmf.ProductOrder {
	po := &tmf.ProductOrder{ExternalID: in.ExternalID, Description: in.Description, Category: in.Category,
		RequestedCompletionDate: in.requested}
	for _, q := range in.Quote {
		po.Quote = append(po.Quote, tmf.Ref{ID: q.ID})
	}
	for _, r := range in.RelatedParty {
		po.RelatedParty = append(po.RelatedParty, tmf.Ref{ID: r.ID, Name: r.Name, Role: r.Role, Type: r.ReferredType})
	}
	if in.BillingAccount != nil {
		po.BillingAccount = &tmf.Ref{ID: in.BillingAccount.ID, Name: in.BillingAccount.Name}
	}
	for _, a := range in.Agreement {
		po.Agreement = append(po.Agreement, tmf.Ref{ID: a.ID, Name: a.Name})
	}
	for _, it := range in.ProductOrderItem {
		item := tmf.ProductOrderItem{Action: tmf.Action(it.Action)}
		if it.ProductOffering != nil {
			item.ProductOffering = tmf.Ref{ID: it.ProductOffering.ID}
		}
		if it.QuoteItem != nil {
			item.QuoteItem = &tmf.Ref{ID: it.QuoteItem.ID}
		}
		if it.Product != nil {
			if len(it.Product.Place) == 1 {
				p := it.Product.Place[0]
				item.Place = tmf.Place{ID: p.ID, Name: p.Name, Role: p.Role, Address: p.Address}
			}
			for _, c := range it.Product.ProductCharacteristic {
				item.Characteristics.Set(c.Name, tmf630.CharacteristicValue(c.Value))
			}
		}
		if len(it.ItemTerm) == 1 {
			item.ItemTerm = int(it.ItemTerm[0].Duration.Amount)
		}
		if len(it.ItemPrice) == 1 {
			item.MonthlyPrice = it.ItemPrice[0].Price.DutyFreeAmount.Value
		}
		po.Items = append(po.Items, item)
	}
	return po
}

// productOrderPatch is the body of PATCH productOrder: what may change of
// an order once placed. Its fulfilment changes through cancelProductOrder
// or a change order, not a patch.
type productOrderPatch struct {
	Description *string `json:"description"`
}

// patchable are the product order's fields a PATCH may set.
var patchable = []string{"description"}

// DecodeProductOrderPatch reads the body of PATCH productOrder (a JSON
// merge patch): only patchable fields, of the right types.
func DecodeProductOrderPatch(body []byte) (*productOrderPatch, *tmf630.Error) {
	var fields map[string]json.RawMessage
	if e := tmf630.DecodeObject(body, &fields); e != nil {
		return nil, e
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range fields {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Contains(patchable, name) {
			return nil, tmf630.NewError(http.StatusBadRequest, name+": cannot be patched (patchable: "+strings.Join(patchable, ", ")+
				"); cancel with cancelProductOrder, change sites with a new order")
		}
	}
	var p productOrderPatch
	if e := tmf630.DecodeObject(body, &p); e != nil {
		return nil, e
	}
	if raw, ok := fields["description"]; ok && string(bytes.TrimSpace(raw)) == "null" {
		none := "" // a merge patch's null removes the member (RFC 7396)
		p.Description = &none
	}
	if p.Description == nil {
		return nil, tmf630.NewError(http.StatusBadRequest, "the patch changes nothing (patchable: "+strings.Join(patchable, ", ")+")")
	}
	return &p, nil
}
