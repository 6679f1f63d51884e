// Package tmf648 is quote management in the TMF648 v4 shape: an
// enterprise rollout's quote, its sites, waves and approval stages, and
// the decisions people take on them, signed (docs/api.md).
package tmf648

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Quote is a quote on the wire, in the TMF648 v4 shape where it fits: the
// sites are quote items, the approval stages its authorizations, the rate
// card its agreement. Wave and each item's ItemTerm are extensions: an
// enterprise rollout has them and TMF648 does not.
type Quote struct {
	ID              string              `json:"id"`
	Href            string              `json:"href"`
	Category        string              `json:"category,omitempty"`
	Description     string              `json:"description,omitempty"`
	ExternalID      string              `json:"externalId,omitempty"`
	Version         string              `json:"version,omitempty"`
	State           string              `json:"state"`
	StateReason     string              `json:"stateReason,omitempty"`
	RelatedParty    []tmf630.Ref        `json:"relatedParty"`
	QuoteDate       string              `json:"quoteDate"`
	BillingAccount  []tmf630.Ref        `json:"billingAccount"`
	Agreement       []tmf630.Ref        `json:"agreement"`
	Wave            []Wave              `json:"wave"`
	QuoteItem       []QuoteItemWire     `json:"quoteItem"`
	Authorization   []Authorization     `json:"authorization"`
	QuoteTotalPrice []tmf630.OrderPrice `json:"quoteTotalPrice,omitempty"`
	// What the client asked for, as it gave it.
	InstantSyncQuote             *bool  `json:"instantSyncQuote,omitempty"`
	RequestedQuoteCompletionDate string `json:"requestedQuoteCompletionDate,omitempty"`
	ExpectedFulfillmentStartDate string `json:"expectedFulfillmentStartDate,omitempty"`
	Note                         []Note `json:"note,omitempty"`
	// ContentDigest is the hex SHA-256 of what an approver decides on
	// (com.Digest); approval decisions are signed over it. An extension.
	ContentDigest string `json:"contentDigest,omitempty"`
	Type          string `json:"@type"`
}

// Note is a client's note on a quote (TMF648 v4 Note): text required.
type Note struct {
	ID     string `json:"id,omitempty"`
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
	Text   string `json:"text"`
}

// Wave is one wave of a rollout plan: its sites go in one service order,
// due by Target (an ISO 8601 duration from the order, P14D).
type Wave struct {
	Name         string `json:"name"`
	ServiceOrder string `json:"serviceOrder,omitempty"`
	Target       string `json:"target"`
	// After are the wave's gates, each on a wave listed before it; none:
	// the wave before it, completed and SLA validated.
	After []WaveGate `json:"after,omitempty"`
	// Release "manual": the wave also waits for a person's release (the
	// worklist's releaseAwaited); "" or "auto": not.
	Release string `json:"release,omitempty"`
}

// WaveGate is what a wave waits for of another: On "completed" or
// "slaValidated" (the default), or Sites, a share of its sites in service
// ("80%").
type WaveGate struct {
	Wave  string `json:"wave"`
	On    string `json:"on,omitempty"`
	Sites string `json:"sites,omitempty"`
}

// NewWave is the wire wave of a plan's wave.
func NewWave(w com.WavePlan) Wave {
	out := Wave{Name: w.Name, ServiceOrder: w.ServiceOrder, Target: tmf.FormatOffset(w.Target)}
	for _, g := range w.After {
		wg := WaveGate{Wave: g.Wave, On: g.On}
		if g.On == com.GateSites {
			wg.On, wg.Sites = "", strconv.FormatFloat(100*g.Share, 'f', -1, 64)+"%"
		}
		out.After = append(out.After, wg)
	}
	if w.Manual {
		out.Release = "manual"
	}
	return out
}

// QuoteItemWire is one site of a quote.
type QuoteItemWire struct {
	ID              string              `json:"id"`
	Action          string              `json:"action"`
	State           string              `json:"state,omitempty"`
	StateReason     string              `json:"stateReason,omitempty"`
	ProductOffering *tmf630.Ref         `json:"productOffering"`
	Product         *tmf630.ItemProduct `json:"product"`
	ItemTerm        []tmf630.OrderTerm  `json:"itemTerm,omitempty"`
	QuoteItemPrice  []tmf630.OrderPrice `json:"quoteItemPrice,omitempty"`
	// Qualification is the site's feasibility: its token and when it
	// expires.
	Qualification []Qualification `json:"qualification,omitempty"`
	Type          string          `json:"@type,omitempty"`
}

// Qualification is a feasibility result by reference.
type Qualification struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	ExpirationDate string `json:"expirationDate"`
	Technology     string `json:"technology,omitempty"`
	Exchange       string `json:"exchange,omitempty"`
}

// Authorization is one approval stage (TMF648 Authorization). Approver
// names who decided, when a person did (role "approver"), and, when
// decisions are signed, the public key that signed (@referredType
// PublicKey); SignatureRepresentation is then the decision as a signed
// NIP-01 event (core/approval).
type Authorization struct {
	Name                    string       `json:"name"`
	State                   string       `json:"state"`
	ApprovalDate            string       `json:"givenDate,omitempty"`
	Description             string       `json:"description,omitempty"`
	Approver                []tmf630.Ref `json:"approver,omitempty"`
	SignatureRepresentation string       `json:"signatureRepresentation,omitempty"`
}

var quoteAttrs = tmf630.Attributes(Quote{})

// quotes serves the quotes of n's COM.
type quotes struct{ n *tmf630.Node }

// Routes serves quote management when n runs COM.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.COM == nil {
		return
	}
	s := quotes{n}
	tmf630.ShelfWire(n, com.QuoteShelfKind, com.ShelvedQuote, s.quote)
	base := tmf630.QuoteManagement
	mux.HandleFunc("GET "+base+"/quote", s.listQuotes)
	mux.HandleFunc("GET "+base+"/quote/{id}", s.getQuote)
	mux.HandleFunc("POST "+base+"/quote", s.postQuote)
	mux.HandleFunc("PATCH "+base+"/quote/{id}", s.patchQuote)
}

// patchQuote takes people's decision on the approval stage a quote waits
// for: a merge patch of one authorization, {"authorization": [{"name":
// "technical", "state": "approved" or "rejected", "description": why,
// "approver": [{"name": who}], "signatureRepresentation": the decision
// signed by the approver's key}]}. Only when reviews are manual (serve
// --approvals api); the twin's reviewers decide otherwise.
func (s quotes) patchQuote(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	rev, e := DecodeReview(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if _, e := s.quoteByID(r, id); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if who, ok := auth.From(r.Context()); ok {
		// An approver decides its own stage, and is recorded as the one
		// who did.
		if !who.Decides(rev.Stage) {
			tmf630.WriteError(w, tmf630.NewError(http.StatusForbidden, fmt.Sprintf("authorization[0].name: %s (roles %s) does not decide the %s stage",
				who.Subject, tmf630.RoleNames(who.Roles), rev.Stage)))
			return
		}
		if rev.By != "" && rev.By != who.Subject {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("authorization[0].approver: %q is not who decides: you are %s", rev.By, who.Subject)))
			return
		}
		rev.By = who.Subject
	}
	rev.Quote = id
	reply, e := s.n.Command(r.Context(), engine.COM, *rev)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if err, _ := reply.(error); err != nil {
		status := http.StatusConflict
		switch {
		case errors.Is(err, approval.ErrSignature):
			status = http.StatusBadRequest
		case errors.Is(err, com.ErrNotApprover):
			status = http.StatusForbidden
		}
		tmf630.WriteError(w, tmf630.NewError(status, err.Error()))
		return
	}
	q, e := s.quoteByID(r, id)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, q)
}

// reviewIn is the body of PATCH quote.
type reviewIn struct {
	Authorization []struct {
		Name        string       `json:"name"`
		State       string       `json:"state"`
		Description string       `json:"description"`
		Approver    []tmf630.Ref `json:"approver"`
		Signature   string       `json:"signatureRepresentation"`
	} `json:"authorization"`
}

// DecodeReview reads the body of PATCH quote: one authorization, the
// stage's decision. Every error is a 400 naming the field.
func DecodeReview(body []byte) (*com.Review, *tmf630.Error) {
	var fields map[string]json.RawMessage
	if e := tmf630.DecodeObject(body, &fields); e != nil {
		return nil, e
	}
	for name := range fields {
		if name != "authorization" {
			return nil, tmf630.NewError(http.StatusBadRequest, name+": cannot be patched (a quote's decisions are its authorization)")
		}
	}
	var in reviewIn
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return nil, e
	}
	if len(in.Authorization) != 1 {
		return nil, tmf630.NewError(http.StatusBadRequest, "authorization: want one, the decision on the stage awaiting review")
	}
	a := in.Authorization[0]
	if !slices.Contains(com.Stages, a.Name) {
		return nil, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("authorization[0].name: %q is not an approval stage (%s)", a.Name, strings.Join(com.Stages, ", ")))
	}
	if a.State != "approved" && a.State != "rejected" {
		return nil, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("authorization[0].state: want approved or rejected, not %q", a.State))
	}
	if a.State == "rejected" && a.Description == "" {
		return nil, tmf630.NewError(http.StatusBadRequest, "authorization[0].description: a rejection says why")
	}
	rev := &com.Review{Stage: a.Name, Approved: a.State == "approved", Reason: a.Description, Signed: a.Signature}
	if a.Signature != "" {
		if _, _, err := approval.Open(a.Signature); err != nil {
			return nil, tmf630.NewError(http.StatusBadRequest, "authorization[0].signatureRepresentation: "+err.Error())
		}
	}
	if len(a.Approver) > 0 {
		rev.By = a.Approver[0].Name
		if rev.By == "" {
			rev.By = a.Approver[0].ID
		}
	}
	return rev, nil
}

func (s quotes) listQuotes(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.n, w, r, quoteAttrs, com.QuoteShelfKind, func() []Quote { return tmf630.MapAll(s.n.COM.Quotes(), s.quote) },
		func(q *Quote) uint64 { return tmf.SeqOf(q.ID) })
}

func (s quotes) getQuote(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, "quote", s.readQuote)
}

// ReadQuote maps the quote with id of n's COM, or gives nil; on the
// engine's goroutine.
func ReadQuote(n *tmf630.Node, id string) *Quote {
	v, ok := n.COM.Quote(id)
	return tmf630.Ptr(v, ok, quotes{n}.quote)
}

func (s quotes) readQuote(id string) *Quote { return ReadQuote(s.n, id) }

func (s quotes) quoteByID(r *http.Request, id string) (*Quote, *tmf630.Error) {
	return tmf630.ReadOne(s.n, r, "quote", id, s.readQuote)
}

func (s quotes) postQuote(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	req, units, e := decodeQuote(body)
	if e == nil {
		e = s.currencies(req, units)
	}
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := tmf630.ActsFor(r, "relatedParty", req.Customer.ID); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	for i, site := range req.Sites {
		if s.n.KnownAddress != nil && !s.n.KnownAddress(site.Address) {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, tmf630.Field("quoteItem", i, "product.place[0].address")+": "+
				strconv.Quote(site.Address)+" is not an address the network knows"))
			return
		}
	}
	checked := *req
	req.Key = tmf630.KeyOf(r, "")
	reply, e := s.n.CommandWith(r.Context(), engine.COM, *req, engine.Around{
		Check: func() error { return namedFields(s.n.COM.Check(checked), &checked) }, Read: tmf630.ReadPlaced(s.readQuote)})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.AnswerPlaced(w, r, reply.(tmf630.Placed[Quote]), s.quoteByID, func(v *Quote) string { return v.Href })
}

// currencies refuses an item whose price names a currency (units, per
// item) other than its offering's: the quote is priced in that one. An
// offering the catalog does not have is COM's check to name.
func (s quotes) currencies(req *com.QuoteRequest, units []string) *tmf630.Error {
	if s.n.Catalog == nil {
		return nil
	}
	for i, unit := range units {
		o, err := s.n.Catalog.Offering(req.SiteOffering(i))
		if unit == "" || err != nil || unit == o.Currency {
			continue
		}
		return tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("%s: %s: %s is priced in %s", tmf630.Field("quoteItem", i, "quoteItemPrice[0].price.dutyFreeAmount.unit"),
			jsonerr.Quote(unit), o.ID, o.Currency))
	}
	return nil
}

// quote maps a quote to the wire.
func (s quotes) quote(v com.QuoteView) Quote {
	req := v.Request
	out := Quote{ID: v.ID, Href: tmf630.QuoteManagement + "/quote/" + v.ID, Category: "enterprise", State: v.State, StateReason: v.Reason,
		RelatedParty:   []tmf630.Ref{{ID: v.Customer.ID, Name: v.Customer.Name, Role: "customer", ReferredType: "Organization"}},
		QuoteDate:      s.n.Date(v.Created),
		BillingAccount: []tmf630.Ref{{ID: v.Customer.Account, ReferredType: "BillingAccount"}},
		Agreement:      []tmf630.Ref{{ID: req.RateCard, Name: "rate card", ReferredType: "RateCard"}},
		Wave:           make([]Wave, len(req.Waves)), QuoteItem: make([]QuoteItemWire, len(req.Sites)),
		Authorization: make([]Authorization, len(v.Approvals)), ContentDigest: v.Digest, Type: "Quote"}
	c := req.Client
	out.Description, out.ExternalID, out.Version = c.Description, c.ExternalID, c.Version
	if c.InstantSync != "" {
		sync := c.InstantSync == "true"
		out.InstantSyncQuote = &sync
	}
	out.RequestedQuoteCompletionDate, out.ExpectedFulfillmentStartDate = c.RequestedCompletionDate, c.ExpectedFulfillmentStart
	for _, n := range c.Notes {
		out.Note = append(out.Note, Note{ID: n.ID, Author: n.Author, Date: n.Date, Text: n.Text})
	}
	if out.Description == "" && v.Offering != "" {
		out.Description = v.Offering + " for " + strconv.Itoa(len(req.Sites)) + " sites"
	}
	for i, wv := range req.Waves {
		out.Wave[i] = NewWave(wv)
	}
	for i, site := range req.Sites {
		price := tmf630.Monthly("monthly charge", v.Currency, req.SiteMonthly(i))
		if site.RateCard != "" {
			price.ProductOfferingPrice = &tmf630.Ref{ID: site.RateCard, Name: "rate card", ReferredType: "RateCard"}
		}
		offering := req.SiteOffering(i)
		it := QuoteItemWire{ID: site.Code, Action: "add", ProductOffering: &tmf630.Ref{ID: offering, Href: tmf630.ProductCatalog + "/productOffering/" + offering},
			Product: &tmf630.ItemProduct{Place: []tmf630.Place{{ID: site.Code, Name: site.Name, Role: "installationAddress", Address: site.Address, ReferredType: "GeographicSite"}},
				ProductCharacteristic: []tmf630.Characteristic{{Name: "speed", ValueType: "string", Value: req.SiteSpeed(i)},
					{Name: "slaTier", ValueType: "string", Value: req.SiteTier(i)}, {Name: "wave", ValueType: "string", Value: site.Wave}}},
			ItemTerm:       []tmf630.OrderTerm{{Name: "commitment", Duration: &tmf630.Quantity{Amount: float64(req.Term), Units: "month"}}},
			QuoteItemPrice: []tmf630.OrderPrice{price}, Type: "QuoteItem"}
		if i < len(v.Sites) && v.Sites[i] != nil {
			ql := v.Sites[i]
			it.Qualification = []Qualification{{ID: ql.Token, Name: "feasibility", ExpirationDate: s.n.Date(ql.Expires),
				Technology: ql.Technology, Exchange: ql.Exchange}}
			it.State = "approved"
		}
		if i < len(v.SiteError) && v.SiteError[i] != "" {
			it.State, it.StateReason = "rejected", v.SiteError[i]
		}
		out.QuoteItem[i] = it
	}
	for i, a := range v.Approvals {
		out.Authorization[i] = Authorization{Name: a.Stage, State: a.State, Description: a.Reason, SignatureRepresentation: a.Signed}
		if a.By != "" {
			out.Authorization[i].Approver = []tmf630.Ref{{ID: a.By, Name: a.By, Role: "approver"}}
		}
		if a.Approver != "" {
			out.Authorization[i].Approver = append(out.Authorization[i].Approver, tmf630.Ref{ID: a.Approver, Name: "public key", ReferredType: "PublicKey"})
		}
		if a.State != "pending" {
			out.Authorization[i].ApprovalDate = s.n.Date(a.At)
		}
	}
	if v.Monthly > 0 {
		out.QuoteTotalPrice = []tmf630.OrderPrice{tmf630.Monthly("monthly charge, all sites", v.Currency, v.Monthly),
			{Name: "total contract value", PriceType: "total", Price: tmf630.Price{DutyFreeAmount: &tmf630.Money{Unit: v.Currency, Value: v.TCV}}}}
	}
	return out
}

// quoteIn is the body of POST quote (TMF648 v4 Quote_Create). The
// server-managed fields are there only to be refused by name when a
// client sends them: those Quote_Create leaves out, and the extensions
// the server derives.
type quoteIn struct {
	tmf630.ServerManaged
	serverSet
	Authorization  []Authorization `json:"authorization"`
	Category       *string         `json:"category"`
	RelatedParty   []tmf630.Ref    `json:"relatedParty"`
	BillingAccount []tmf630.Ref    `json:"billingAccount"`
	Agreement      []tmf630.Ref    `json:"agreement"`
	Wave           []Wave          `json:"wave"`
	QuoteItem      []quoteItemIn   `json:"quoteItem"`
	// What the client gives for itself: kept as given and shown
	// (com.QuoteClient), the dates checked (the plan's waves give the
	// dates the rollout keeps).
	Description                  *string `json:"description"`
	ExternalID                   *string `json:"externalId"`
	Version                      *string `json:"version"`
	InstantSyncQuote             *bool   `json:"instantSyncQuote"`
	RequestedQuoteCompletionDate *string `json:"requestedQuoteCompletionDate"`
	ExpectedFulfillmentStartDate *string `json:"expectedFulfillmentStartDate"`
	Note                         []Note  `json:"note"`
	Type                         *string `json:"@type"`
}

// serverSet are the members of a quote the server sets besides
// ServerManaged's: in the order a refusal names them.
type serverSet struct {
	QuoteDate                    json.RawMessage `json:"quoteDate"`
	EffectiveQuoteCompletionDate json.RawMessage `json:"effectiveQuoteCompletionDate"`
	ExpectedQuoteCompletionDate  json.RawMessage `json:"expectedQuoteCompletionDate"`
	ValidFor                     json.RawMessage `json:"validFor"`
	QuoteTotalPrice              json.RawMessage `json:"quoteTotalPrice"`
	StateReason                  json.RawMessage `json:"stateReason"`
	ContentDigest                json.RawMessage `json:"contentDigest"`
}

// refuse names the first of them sent.
func (m serverSet) refuse() *tmf630.Error {
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"quoteDate", m.QuoteDate}, {"effectiveQuoteCompletionDate", m.EffectiveQuoteCompletionDate},
		{"expectedQuoteCompletionDate", m.ExpectedQuoteCompletionDate}, {"validFor", m.ValidFor},
		{"quoteTotalPrice", m.QuoteTotalPrice}, {"stateReason", m.StateReason}, {"contentDigest", m.ContentDigest}} {
		if f.v != nil {
			return tmf630.SetByServer(f.name, "quote")
		}
	}
	return nil
}

// quoteItemIn is one site of a quote in a request.
type quoteItemIn struct {
	tmf630.OrderItemIn
	QuoteItemPrice []tmf630.OrderPrice `json:"quoteItemPrice"`
	StateReason    json.RawMessage     `json:"stateReason"`
	Qualification  json.RawMessage     `json:"qualification"`
	Type           *string             `json:"@type"`
}

// DecodeQuote reads and checks the body of POST quote: a customer
// (relatedParty with role customer) and its billing account, the rate card
// (agreement), the waves, and one item per site, every item of the same
// term. The first item's offering, speed, tier and price are the quote's;
// an item that differs is a site of its own (per-site values, a site of
// another offering). The agreement is the rate card of every item whose
// price names none (productOfferingPrice); the first item's is the
// quote's.
// Every error is a 400 naming the field; the catalog check comes after.
func DecodeQuote(body []byte) (*com.QuoteRequest, *tmf630.Error) {
	req, _, e := decodeQuote(body)
	return req, e
}

// decodeQuote is DecodeQuote, with the currency each item's price names
// ("" where it names none), which the catalog checks.
func decodeQuote(body []byte) (*com.QuoteRequest, []string, *tmf630.Error) {
	req, in, e := decodeQuoteIn(body)
	if e != nil {
		return nil, nil, e
	}
	units := make([]string, len(in.QuoteItem))
	for i, it := range in.QuoteItem {
		units[i] = it.QuoteItemPrice[0].Price.DutyFreeAmount.Unit
	}
	return req, units, nil
}

func decodeQuoteIn(body []byte) (*com.QuoteRequest, *quoteIn, *tmf630.Error) {
	var in quoteIn
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return nil, nil, e
	}
	if e := in.Refuse("quote"); e != nil {
		return nil, nil, e
	}
	if e := in.serverSet.refuse(); e != nil {
		return nil, nil, e
	}
	bad := func(format string, args ...any) (*com.QuoteRequest, *quoteIn, *tmf630.Error) {
		return nil, nil, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf(format, args...))
	}
	if in.Authorization != nil {
		return bad("authorization: set by the approval workflow; a new quote must not carry it")
	}
	if in.Type != nil && *in.Type != "Quote" {
		return bad("@type: %s: a quote is of @type Quote", jsonerr.Quote(*in.Type))
	}
	if in.Category != nil && *in.Category != "enterprise" {
		return bad("category: %s: a quote here is an enterprise rollout, category enterprise", jsonerr.Quote(*in.Category))
	}
	for _, d := range []struct {
		name string
		v    *string
	}{{"requestedQuoteCompletionDate", in.RequestedQuoteCompletionDate}, {"expectedFulfillmentStartDate", in.ExpectedFulfillmentStartDate}} {
		if d.v == nil {
			continue
		}
		if _, err := time.Parse(time.RFC3339, *d.v); err != nil {
			return bad("%s: %s is not an RFC 3339 date-time", d.name, jsonerr.Quote(*d.v))
		}
	}
	req := com.QuoteRequest{TargetsFromOrder: true} // wave targets are from the order, as the API says
	for i, n := range in.Note {
		if strings.TrimSpace(n.Text) == "" {
			return bad("note[%d].text: required", i)
		}
		if n.Date != "" {
			if _, err := time.Parse(time.RFC3339, n.Date); err != nil {
				return bad("note[%d].date: %s is not an RFC 3339 date-time", i, jsonerr.Quote(n.Date))
			}
		}
		req.Client.Notes = append(req.Client.Notes, com.QuoteNote{ID: n.ID, Author: n.Author, Date: n.Date, Text: n.Text})
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	req.Client.Description, req.Client.ExternalID, req.Client.Version = deref(in.Description), deref(in.ExternalID), deref(in.Version)
	if in.InstantSyncQuote != nil {
		req.Client.InstantSync = strconv.FormatBool(*in.InstantSyncQuote)
	}
	req.Client.RequestedCompletionDate, req.Client.ExpectedFulfillmentStart = deref(in.RequestedQuoteCompletionDate), deref(in.ExpectedFulfillmentStartDate)
	for i, p := range in.RelatedParty {
		if p.Role != "customer" {
			continue
		}
		if req.Customer.ID != "" {
			return bad("relatedParty[%d]: a second customer (%s after %s): a quote is for one", i, p.ID, req.Customer.ID)
		}
		req.Customer = com.Customer{ID: p.ID, Name: p.Name}
	}
	if req.Customer.ID == "" {
		return bad("relatedParty: want the customer, a party with role \"customer\" and an id")
	}
	if len(in.BillingAccount) != 1 || in.BillingAccount[0].ID == "" {
		return bad("billingAccount: want one, the customer's billing account, with its id")
	}
	req.Customer.Account = in.BillingAccount[0].ID
	if len(in.Agreement) != 1 || in.Agreement[0].ID == "" {
		return bad("agreement: want one, the rate card, with its id")
	}
	agreement := in.Agreement[0].ID // the rate card of every item that names none
	if len(in.Wave) == 0 {
		return bad("wave: required, at least one wave of the rollout")
	}
	for i, wv := range in.Wave {
		target, err := tmf.ParseOffset(wv.Target)
		if wv.Name == "" {
			return bad("wave[%d].name: required", i)
		}
		if err != nil {
			return bad("wave[%d].target: %v", i, err)
		}
		if target <= 0 {
			return bad("wave[%d].target: %q: want a positive duration from the order, like P14D", i, wv.Target)
		}
		so := wv.ServiceOrder
		if so == "" {
			so = com.ServiceOrderName(wv.Name)
		}
		plan := com.WavePlan{Name: wv.Name, ServiceOrder: so, Target: target}
		for k, g := range wv.After {
			gate, err := com.ParseGate(g.Wave, g.On, g.Sites)
			if err != nil {
				return bad("wave[%d].after[%d].%v", i, k, err)
			}
			plan.After = append(plan.After, gate)
		}
		switch wv.Release {
		case "", "auto":
		case "manual":
			plan.Manual = true
		default:
			return bad("wave[%d].release: %q: want manual, or auto (the default)", i, wv.Release)
		}
		req.Waves = append(req.Waves, plan)
	}
	if len(in.QuoteItem) == 0 {
		return bad("quoteItem: required, one item per site")
	}
	for i, it := range in.QuoteItem {
		at := func(name string) string { return tmf630.Field("quoteItem", i, name) }
		switch {
		case it.ID == "":
			return bad("%s: required (the site's code)", at("id"))
		case it.Action != "add":
			return bad("%s: want \"add\" (a quote adds sites)", at("action"))
		case it.State != nil:
			return bad("%s: set by the server; a new item must not carry it", at("state"))
		case it.StateReason != nil:
			return bad("%s: set by the server; a new item must not carry it", at("stateReason"))
		case it.Qualification != nil:
			return bad("%s: set by the server (the site's feasibility); a new item must not carry it", at("qualification"))
		case it.Type != nil && *it.Type != "QuoteItem":
			return bad("%s: %s: a quote item is of @type QuoteItem", at("@type"), jsonerr.Quote(*it.Type))
		case it.Quantity != nil && *it.Quantity != 1:
			return bad("%s: %d: a quote item is one site: quantity 1", at("quantity"), *it.Quantity)
		case it.QuoteItem != nil:
			return bad("%s: a quote item is one site, with no items of its own", at("quoteItem"))
		case it.ProductOffering == nil || it.ProductOffering.ID == "":
			return bad("%s: required", at("productOffering.id"))
		case it.Product == nil || len(it.Product.Place) != 1:
			return bad("%s: want the site, one place", at("product.place"))
		case it.Product.Place[0].Address == "":
			return bad("%s: required", at("product.place[0].address"))
		case len(it.ItemTerm) != 1 || !tmf630.WholeMonths(it.ItemTerm[0]):
			return bad("%s: want one term, a whole number of months: {\"duration\": {\"amount\": 36, \"units\": \"month\"}}", at("itemTerm"))
		case len(it.ItemPrice) > 0:
			return bad("%s: a quote item's price is quoteItemPrice", at("itemPrice"))
		case len(it.QuoteItemPrice) != 1 || it.QuoteItemPrice[0].PriceType != "recurring" || it.QuoteItemPrice[0].Price.DutyFreeAmount == nil:
			return bad("%s: want one recurring monthly price with price.dutyFreeAmount", at("quoteItemPrice"))
		case !it.QuoteItemPrice[0].Price.DutyFreeAmount.Cents():
			return bad("%s: %s: a price is in cents, at most 2 decimals", at("quoteItemPrice[0].price.dutyFreeAmount.value"),
				strconv.FormatFloat(it.QuoteItemPrice[0].Price.DutyFreeAmount.Value, 'f', -1, 64))
		}
		price := it.QuoteItemPrice[0].Price.DutyFreeAmount.Value
		site := com.Site{Code: it.ID, Name: it.Product.Place[0].Name, Address: it.Product.Place[0].Address}
		var speed, tier string
		for j, c := range it.Product.ProductCharacteristic {
			if c.Value == nil {
				return bad("%s.productCharacteristic[%d].value: required", at("product"), j)
			}
			v := tmf630.CharacteristicValue(c.Value)
			switch c.Name {
			case "speed":
				speed = v
			case "slaTier":
				tier = v
			case "wave":
				site.Wave = v
			default:
				return bad("%s: %q is not a characteristic of a site (speed, slaTier, wave)", at("product.productCharacteristic"), c.Name)
			}
		}
		term, card := int(it.ItemTerm[0].Duration.Amount), agreement
		if pop := it.QuoteItemPrice[0].ProductOfferingPrice; pop != nil {
			if pop.ID == "" {
				return bad("%s: want the rate card's id", at("quoteItemPrice[0].productOfferingPrice.id"))
			}
			card = pop.ID
		}
		if i == 0 {
			req.Offering, req.Speed, req.Tier, req.Term, req.Monthly, req.RateCard = it.ProductOffering.ID, speed, tier, term, price, card
		}
		if term != req.Term {
			return bad("%s: %d months, where quoteItem[0]'s is %d: every site of a quote has the same term", at("itemTerm"), term, req.Term)
		}
		site.Offering, site.Speed, site.Tier, site.Monthly, site.RateCard = it.ProductOffering.ID, speed, tier, price, card
		req.Sites = append(req.Sites, site)
	}
	// The first item's offering, speed, tier, price and rate card are the
	// quote's; a site keeps as its own only what differs from them
	// (catalog-checked by COM).
	req = req.Normalized()
	return &req, &in, nil
}

// QuoteDigest recomputes a quote's content digest (com.Digest) from the
// quote as the API shows it: what an approver's client signs over, so
// that it signs what it saw, not what the server says it holds.
func QuoteDigest(q Quote) (string, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	for _, k := range []string{"id", "href", "state", "stateReason", "quoteDate", "authorization", "quoteTotalPrice", "contentDigest", "@type", "category", "description"} {
		delete(m, k)
	}
	items, _ := m["quoteItem"].([]any)
	for _, it := range items {
		if it, ok := it.(map[string]any); ok {
			for _, k := range []string{"state", "stateReason", "qualification", "@type"} {
				delete(it, k)
			}
		}
	}
	if b, err = json.Marshal(m); err != nil {
		return "", err
	}
	req, e := DecodeQuote(b)
	if e != nil {
		return "", fmt.Errorf("quote %s: %s", q.ID, e.Message)
	}
	return com.Digest(*req), nil
}
