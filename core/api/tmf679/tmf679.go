// Package tmf679 is TMF679 v4, product offering qualification: the
// per-site feasibility check COM asks of the network (docs/api.md).
package tmf679

import (
	"net/http"
	"strconv"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// ProductOfferingQualification is a TMF679 v4 ProductOfferingQualification:
// whether offerings can be delivered at sites, and until when the answer
// holds. Its state is a TMF679 TaskStateType (acknowledged, inProgress,
// done, terminatedWithError); once done, QualificationResult sums its
// items up: green when every item is qualified, yellow when some are, red
// when none is. ExpirationDate is the earliest expiry of its items'
// feasibility tokens.
type ProductOfferingQualification struct {
	ID                               string                             `json:"id"`
	Href                             string                             `json:"href"`
	Description                      string                             `json:"description,omitempty"`
	State                            string                             `json:"state"`
	QualificationResult              string                             `json:"qualificationResult,omitempty"`
	ProductOfferingQualificationDate string                             `json:"productOfferingQualificationDate"`
	EffectiveQualificationDate       string                             `json:"effectiveQualificationDate,omitempty"`
	ExpirationDate                   string                             `json:"expirationDate,omitempty"`
	RelatedParty                     []tmf630.Ref                       `json:"relatedParty"`
	ProductOfferingQualificationItem []ProductOfferingQualificationItem `json:"productOfferingQualificationItem"`
	Type                             string                             `json:"@type"`
}

// ProductOfferingQualificationItem is a TMF679 v4
// ProductOfferingQualificationItem: one offering at one site. Once done,
// QualificationItemResult is qualified or unqualified, and an unqualified
// item says why in EligibilityUnavailabilityReason; an item that could not
// be qualified (address qualification failed) is terminatedWithError with
// a TerminationError.
//
// The rest are extensions, set once address qualification answered: the
// feasibility token (FeasibilityToken, with its ExpirationDate) that a
// quote's site carries, the access technology (GPON, P2P-Ethernet) and
// exchange that would serve the site, and the SLA tiers of the offering
// that the access carries (SLATier).
type ProductOfferingQualificationItem struct {
	ID                              string                            `json:"id"`
	Action                          string                            `json:"action"`
	State                           string                            `json:"state"`
	QualificationItemResult         string                            `json:"qualificationItemResult,omitempty"`
	EligibilityUnavailabilityReason []EligibilityUnavailabilityReason `json:"eligibilityUnavailabilityReason,omitempty"`
	TerminationError                []TerminationError                `json:"terminationError,omitempty"`
	ProductOffering                 *tmf630.Ref                       `json:"productOffering"`
	Product                         *tmf630.ItemProduct               `json:"product"`
	FeasibilityToken                string                            `json:"feasibilityToken,omitempty"`
	ExpirationDate                  string                            `json:"expirationDate,omitempty"`
	Technology                      string                            `json:"technology,omitempty"`
	Exchange                        string                            `json:"exchange,omitempty"`
	SLATier                         []string                          `json:"slaTier,omitempty"`
	Type                            string                            `json:"@type"`
}

// EligibilityUnavailabilityReason is a TMF679 v4
// EligibilityUnavailabilityReason: why an item is unqualified.
type EligibilityUnavailabilityReason struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// TerminationError is a TMF679 v4 TerminationError: why an item could not
// be qualified.
type TerminationError struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
}

// qualificationsPath is the resource of TMF679 under its base path.
const qualificationsPath = "/productOfferingQualification"

var qualificationAttrs = tmf630.Attributes(ProductOfferingQualification{})

// qualifications serves TMF679 from a node's COM.
type qualifications struct{ *tmf630.Node }

// Routes routes TMF679 on mux when n runs COM.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.COM == nil {
		return
	}
	s := &qualifications{n}
	tmf630.ShelfWire(n, com.QualificationShelfKind, com.ShelvedQualification, s.qualification)
	base := tmf630.OfferingQualification + qualificationsPath
	mux.HandleFunc("GET "+base, s.listQualifications)
	mux.HandleFunc("GET "+base+"/{id}", s.getQualification)
	mux.HandleFunc("POST "+base, s.postQualification)
	unchanged := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed, "a qualification is the network's answer at the time: it is not changed or deleted; POST "+base+" asks again"))
	}
	mux.Handle("PATCH "+base+"/{id}", tmf630.Refusal(unchanged))
	mux.Handle("DELETE "+base+"/{id}", tmf630.Refusal(unchanged))
}

func (s *qualifications) listQualifications(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.Node, w, r, qualificationAttrs, com.QualificationShelfKind, func() []ProductOfferingQualification {
		return tmf630.MapAll(s.COM.Qualifications(), s.qualification)
	}, func(q *ProductOfferingQualification) uint64 { return tmf.SeqOf(q.ID) })
}

func (s *qualifications) getQualification(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.Node, w, r, com.QualificationShelfKind, s.readQualification)
}

// readQualification maps the qualification with id, or gives nil.
func (s *qualifications) readQualification(id string) *ProductOfferingQualification {
	v, ok := s.COM.Qualification(id)
	return tmf630.Ptr(v, ok, s.qualification)
}

func (s *qualifications) qualificationByID(r *http.Request, id string) (*ProductOfferingQualification, *tmf630.Error) {
	return tmf630.ReadOne(s.Node, r, com.QualificationShelfKind, id, s.readQualification)
}

func (s *qualifications) postQualification(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	in, e := DecodeQualification(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := tmf630.ActsFor(r, "relatedParty", in.Customer.ID); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	for i, it := range in.Items {
		if _, err := s.Catalog.Offering(it.Offering); err != nil {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, tmf630.Field(qualificationItems, i, "productOffering.id")+": "+err.Error()))
			return
		}
		if s.KnownAddress != nil && !s.KnownAddress(it.Site.Address) {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, in.addressField[i]+": "+strconv.Quote(it.Site.Address)+
				" is not an address the network knows"))
			return
		}
	}
	in.Key = tmf630.KeyOf(r, "")
	reply, e := s.Node.Command(r.Context(), engine.COM, in.Qualify)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	placed := reply.(com.Placed)
	tmf630.PlacedAnswer(w, r, s.qualificationByID, placed.ID, placed.Duplicate, func(v *ProductOfferingQualification) string { return v.Href })
}

// qualification maps a qualification to the wire; run it on the engine's
// goroutine (it reads the catalog as COM does, and nothing else).
func (s *qualifications) qualification(v com.QualificationView) ProductOfferingQualification {
	out := ProductOfferingQualification{ID: v.ID, Href: tmf630.OfferingQualification + qualificationsPath + "/" + v.ID,
		Description: v.Request.Description, State: v.State, ProductOfferingQualificationDate: s.Node.Date(v.Submitted),
		RelatedParty:                     []tmf630.Ref{{ID: v.Request.Customer.ID, Name: v.Request.Customer.Name, Role: "customer", ReferredType: "Organization"}},
		ProductOfferingQualificationItem: make([]ProductOfferingQualificationItem, len(v.Items)),
		Type:                             "ProductOfferingQualification"}
	if lc.IsFinal(lc.Qualification, v.State) {
		out.EffectiveQualificationDate = s.Node.Date(v.Completed)
	}
	qualified, expires := 0, -1
	for i, ans := range v.Items {
		req := v.Request.Items[i]
		it := ProductOfferingQualificationItem{ID: req.ID, Action: "add", State: ans.State,
			ProductOffering: &tmf630.Ref{ID: req.Offering, Href: tmf630.ProductCatalog + "/productOffering/" + req.Offering},
			Product: &tmf630.ItemProduct{Place: []tmf630.Place{{ID: req.Site.Code, Name: req.Site.Name, Role: "installationAddress",
				Address: req.Site.Address, ReferredType: "GeographicSite"}}},
			SLATier: ans.Tiers, Type: "ProductOfferingQualificationItem"}
		if o, err := s.Catalog.Offering(req.Offering); err == nil {
			it.ProductOffering.Name = o.Name
		}
		switch ans.State {
		case lc.Done:
			it.QualificationItemResult = "unqualified"
			if ans.Qualified {
				it.QualificationItemResult = "qualified"
				qualified++
			} else {
				it.EligibilityUnavailabilityReason = []EligibilityUnavailabilityReason{{Code: ans.Code, Label: ans.Reason}}
			}
		case lc.TerminatedWithError:
			it.TerminationError = []TerminationError{{ID: ans.Code, Value: ans.Reason}}
		}
		if ql := ans.Result; ql != nil {
			it.FeasibilityToken, it.ExpirationDate = ql.Token, s.Node.Date(ql.Expires)
			it.Technology, it.Exchange = ql.Technology, ql.Exchange
			if expires < 0 || ql.Expires < v.Items[expires].Result.Expires {
				expires = i
			}
		}
		out.ProductOfferingQualificationItem[i] = it
	}
	if expires >= 0 {
		out.ExpirationDate = s.Node.Date(v.Items[expires].Result.Expires)
	}
	if v.State == lc.Done {
		switch qualified {
		case len(v.Items):
			out.QualificationResult = "green"
		case 0:
			out.QualificationResult = "red"
		default:
			out.QualificationResult = "yellow"
		}
	}
	return out
}
