package tmf630

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// The TMF v4 wire shapes several APIs share. They are ours to fill from
// the internal model (core/tmf), which keeps TMF names but not the v4
// shape: v4 puts place and characteristics under product, prices under
// itemPrice, and so on.

// Ref is a v4 entity reference (ProductOfferingRef, QuoteRef, …).
type Ref struct {
	ID           string `json:"id"`
	Href         string `json:"href,omitempty"`
	Name         string `json:"name,omitempty"`
	Role         string `json:"role,omitempty"`
	ReferredType string `json:"@referredType,omitempty"`
}

// CustomerOfRefs is the id of the customer among parties ("" for none).
func CustomerOfRefs(parties []Ref) string {
	for _, p := range parties {
		if strings.EqualFold(p.Role, "customer") {
			return p.ID
		}
	}
	return ""
}

// Characteristic is a v4 Characteristic.
type Characteristic struct {
	Name      string `json:"name"`
	ValueType string `json:"valueType,omitempty"`
	Value     any    `json:"value"`
}

// Place is a v4 RelatedPlaceRefOrValue: a site, by reference. Address is
// an extension carrying the street address as one line, which is how the
// twin and the address qualification system know a site.
type Place struct {
	ID           string `json:"id"`
	Href         string `json:"href,omitempty"`
	Name         string `json:"name,omitempty"`
	Role         string `json:"role"`
	Address      string `json:"address,omitempty"`
	ReferredType string `json:"@referredType,omitempty"`
}

// PlaceHref is the unique reference v4 asks of a place: a URN, since the
// sites are not served as resources of their own.
func PlaceHref(id string) string { return "urn:ordertwin:place:" + url.PathEscape(id) }

// Money is a v4 Money.
type Money struct {
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
}

// Cents tells whether m's value is a whole number of cents (at most two
// decimals): a price a client gives, which is kept and summed as given.
func (m Money) Cents() bool {
	_, frac, _ := strings.Cut(strconv.FormatFloat(m.Value, 'f', -1, 64), ".")
	return len(frac) <= 2
}

// Price is a v4 Price.
type Price struct {
	DutyFreeAmount *Money `json:"dutyFreeAmount,omitempty"`
}

// OrderPrice is a v4 OrderPrice (also ProductPrice, QuotePrice).
type OrderPrice struct {
	Name                  string `json:"name,omitempty"`
	PriceType             string `json:"priceType"`
	RecurringChargePeriod string `json:"recurringChargePeriod,omitempty"`
	Price                 Price  `json:"price"`
	// ProductOfferingPrice is the rate card the price is of, where it is
	// not the quote's (a site of another offering).
	ProductOfferingPrice *Ref `json:"productOfferingPrice,omitempty"`
}

// Quantity is a v4 Quantity.
type Quantity struct {
	Amount float64 `json:"amount"`
	Units  string  `json:"units"`
}

// OrderTerm is a v4 OrderTerm: a commitment.
type OrderTerm struct {
	Name     string    `json:"name,omitempty"`
	Duration *Quantity `json:"duration,omitempty"`
}

// ItemProduct is the v4 ProductRefOrValue of an item: the product to
// create (its place and characteristics), and once created its id.
type ItemProduct struct {
	ID                    string           `json:"id,omitempty"`
	Href                  string           `json:"href,omitempty"`
	Place                 []Place          `json:"place,omitempty"`
	ProductCharacteristic []Characteristic `json:"productCharacteristic,omitempty"`
}

// WireCharacteristics turns internal characteristics into v4 ones.
func WireCharacteristics(cs tmf.Characteristics) []Characteristic {
	out := make([]Characteristic, len(cs))
	for i, c := range cs {
		out[i] = Characteristic{Name: c.Name, ValueType: "string", Value: c.Value}
	}
	return out
}

// PlaceOf turns an internal place into a v4 one.
func PlaceOf(p tmf.Place) Place {
	return Place{ID: p.ID, Href: PlaceHref(p.ID), Name: p.Name, Role: p.Role, Address: p.Address, ReferredType: "GeographicSite"}
}

// Monthly is a recurring monthly price.
func Monthly(name, currency string, value float64) OrderPrice {
	return OrderPrice{Name: name, PriceType: "recurring", RecurringChargePeriod: "month",
		Price: Price{DutyFreeAmount: &Money{Unit: currency, Value: value}}}
}

// Refs turns internal references into v4 ones.
func Refs(rs []tmf.Ref, referredType string) []Ref {
	out := make([]Ref, len(rs))
	for i, r := range rs {
		t := r.Type
		if t == "" {
			t = referredType
		}
		out[i] = Ref{ID: r.ID, Href: r.Href, Name: r.Name, Role: r.Role, ReferredType: t}
	}
	return out
}

// CharacteristicValue is a characteristic's value as the internal model
// keeps it: a string.
func CharacteristicValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v) // not from JSON: no better text
	}
	return string(b)
}

// QuoteItemRef is a v4 QuoteItemRef: the item of a quote a product
// order's item carries out.
type QuoteItemRef struct {
	ID        string `json:"id"`
	QuoteID   string `json:"quoteId"`
	QuoteHref string `json:"quoteHref,omitempty"`
}

// OrderItemIn is a TMF622 v4 ProductOrderItem in a request; a quote's
// items (TMF648) are the same with their own price.
type OrderItemIn struct {
	ID              string          `json:"id"`
	Action          string          `json:"action"`
	State           json.RawMessage `json:"state"`
	Quantity        *int            `json:"quantity"`
	ProductOffering *Ref            `json:"productOffering"`
	Product         *ItemProduct    `json:"product"`
	QuoteItem       *QuoteItemRef   `json:"quoteItem"`
	ItemTerm        []OrderTerm     `json:"itemTerm"`
	ItemPrice       []OrderPrice    `json:"itemPrice"`
}

// WholeMonths tells whether a term is a whole, positive number of months
// (and one an int holds).
func WholeMonths(t OrderTerm) bool {
	d := t.Duration
	return d != nil && d.Units == "month" && d.Amount > 0 && d.Amount <= 1200 && d.Amount == math.Trunc(d.Amount)
}
