package tmf679

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
)

// qualificationItems names the items of a qualification in errors.
const qualificationItems = "productOfferingQualificationItem"

// qualificationBody is the body of POST productOfferingQualification
// (TMF679 v4 ProductOfferingQualification_Create). The server-managed
// fields are there only to be refused by name. The requester's wishes
// (instantSyncQualification, provideAlternative, provideOnlyAvailable,
// provideUnavailabilityReason) are taken and need nothing: every item is
// answered, with its reason when unqualified, and no alternative is
// proposed.
type qualificationBody struct {
	ID                               json.RawMessage         `json:"id"`
	Href                             json.RawMessage         `json:"href"`
	State                            json.RawMessage         `json:"state"`
	QualificationResult              json.RawMessage         `json:"qualificationResult"`
	ProductOfferingQualificationDate json.RawMessage         `json:"productOfferingQualificationDate"`
	EffectiveQualificationDate       json.RawMessage         `json:"effectiveQualificationDate"`
	ExpirationDate                   json.RawMessage         `json:"expirationDate"`
	Description                      string                  `json:"description"`
	RequestedPOQCompletionDate       string                  `json:"requestedPOQCompletionDate"`
	InstantSyncQualification         bool                    `json:"instantSyncQualification"`
	ProvideAlternative               bool                    `json:"provideAlternative"`
	ProvideOnlyAvailable             bool                    `json:"provideOnlyAvailable"`
	ProvideUnavailabilityReason      bool                    `json:"provideUnavailabilityReason"`
	Place                            []tmf630.Place          `json:"place"`
	RelatedParty                     []tmf630.Ref            `json:"relatedParty"`
	Items                            []qualificationItemBody `json:"productOfferingQualificationItem"`
}

// qualificationItemBody is one item of a qualification request.
type qualificationItemBody struct {
	ID                              string              `json:"id"`
	Action                          string              `json:"action"`
	State                           json.RawMessage     `json:"state"`
	QualificationItemResult         json.RawMessage     `json:"qualificationItemResult"`
	EligibilityUnavailabilityReason json.RawMessage     `json:"eligibilityUnavailabilityReason"`
	TerminationError                json.RawMessage     `json:"terminationError"`
	ProductOffering                 *tmf630.Ref         `json:"productOffering"`
	Product                         *tmf630.ItemProduct `json:"product"`
}

// qualificationIn is a decoded qualification request: the command for COM,
// and where each item's address came from, to name it in an error.
type qualificationIn struct {
	com.Qualify
	addressField []string
}

// DecodeQualification reads and checks the body of POST
// productOfferingQualification: a customer (relatedParty with role
// customer and an id), and at least one item, each with an id of its own,
// action add (the default), a productOffering id and one place with its
// street address: the item's product.place, or else the qualification's
// one place. No server-managed field. Every error is a 400 naming the
// field; whether the offering and the address exist is checked after.
func DecodeQualification(body []byte) (*qualificationIn, *tmf630.Error) {
	var in qualificationBody
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return nil, e
	}
	bad := func(name, why string) (*qualificationIn, *tmf630.Error) {
		return nil, tmf630.NewError(http.StatusBadRequest, name+": "+why)
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"id", in.ID}, {"href", in.Href}, {"state", in.State}, {"qualificationResult", in.QualificationResult},
		{"productOfferingQualificationDate", in.ProductOfferingQualificationDate},
		{"effectiveQualificationDate", in.EffectiveQualificationDate}, {"expirationDate", in.ExpirationDate}} {
		if f.v != nil {
			return bad(f.name, "set by the server; a new productOfferingQualification must not carry it")
		}
	}
	if in.RequestedPOQCompletionDate != "" {
		if _, err := time.Parse(time.RFC3339, in.RequestedPOQCompletionDate); err != nil {
			return bad("requestedPOQCompletionDate", strconv.Quote(in.RequestedPOQCompletionDate)+" is not an RFC 3339 date-time")
		}
	}
	out := &qualificationIn{Qualify: com.Qualify{Description: in.Description}}
	for i, p := range in.RelatedParty {
		if p.ID == "" {
			return bad(tmf630.Field("relatedParty", i, "id"), "required")
		}
		if p.Role == "customer" && out.Customer.ID == "" {
			out.Customer = com.Customer{ID: p.ID, Name: p.Name}
		}
	}
	if out.Customer.ID == "" {
		return bad("relatedParty", "want the customer, a party with role \"customer\" and an id")
	}
	if len(in.Place) > 1 {
		return bad("place", "want one place, the site every item without a place of its own is for")
	}
	if len(in.Items) == 0 {
		return bad(qualificationItems, "required, at least one item")
	}
	seen := map[string]bool{}
	for i, it := range in.Items {
		at := func(name string) string { return tmf630.Field(qualificationItems, i, name) }
		switch {
		case it.ID == "":
			return bad(at("id"), "required")
		case seen[it.ID]:
			return bad(at("id"), strconv.Quote(it.ID)+" is used by another item")
		case it.Action != "" && it.Action != "add":
			return bad(at("action"), strconv.Quote(it.Action)+" is not qualified here: a qualification asks about new sites (action add)")
		case it.State != nil:
			return bad(at("state"), "set by the server; a new item must not carry it")
		case it.QualificationItemResult != nil:
			return bad(at("qualificationItemResult"), "set by the server; a new item must not carry it")
		case it.EligibilityUnavailabilityReason != nil:
			return bad(at("eligibilityUnavailabilityReason"), "set by the server; a new item must not carry it")
		case it.TerminationError != nil:
			return bad(at("terminationError"), "set by the server; a new item must not carry it")
		case it.ProductOffering == nil || it.ProductOffering.ID == "":
			return bad(at("productOffering.id"), "required")
		case it.Product != nil && len(it.Product.Place) > 1:
			return bad(at("product.place"), "an item is one site: one place")
		}
		seen[it.ID] = true
		p, where := tmf630.Place{}, ""
		switch {
		case it.Product != nil && len(it.Product.Place) == 1:
			p, where = it.Product.Place[0], at("product.place[0]")
		case len(in.Place) == 1:
			p, where = in.Place[0], "place[0]"
		default:
			return bad(at("product.place"), "required: the site, with its address (or one place for the whole qualification)")
		}
		if p.Address == "" {
			return bad(where+".address", "required: the site's street address")
		}
		code := p.ID
		if code == "" {
			code = it.ID
		}
		out.Items = append(out.Items, com.QualifyItem{ID: it.ID, Offering: it.ProductOffering.ID,
			Site: com.Site{Code: code, Name: p.Name, Address: p.Address}})
		out.addressField = append(out.addressField, where+".address")
	}
	return out, nil
}
