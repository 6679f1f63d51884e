// Package tmf622 is TMF622 v4 product ordering: the orders that carry out
// an accepted quote, change orders on installed products, their
// cancellation, and the quota of orders a party may have in flight
// (docs/api.md).
package tmf622

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// ProductOrder is a TMF622 v4 ProductOrder on the wire.
type ProductOrder struct {
	ID                      string `json:"id"`
	Href                    string `json:"href"`
	ExternalID              string `json:"externalId,omitempty"`
	Description             string `json:"description,omitempty"`
	Category                string `json:"category,omitempty"`
	State                   string `json:"state"`
	OrderDate               string `json:"orderDate"`
	CompletionDate          string `json:"completionDate,omitempty"`
	RequestedCompletionDate string `json:"requestedCompletionDate,omitempty"`
	// ExpectedCompletionDate is the last wave's target in the rollout plan.
	ExpectedCompletionDate string       `json:"expectedCompletionDate,omitempty"`
	Quote                  []tmf630.Ref `json:"quote,omitempty"`
	// Note carries the order's approval and its rollout plan, one note per
	// wave (docs/api.md, "The plan on the order").
	Note             []Note              `json:"note,omitempty"`
	RelatedParty     []tmf630.Ref        `json:"relatedParty"`
	BillingAccount   *tmf630.Ref         `json:"billingAccount,omitempty"`
	Agreement        []tmf630.Ref        `json:"agreement,omitempty"`
	OrderTotalPrice  []tmf630.OrderPrice `json:"orderTotalPrice,omitempty"`
	ProductOrderItem []ProductOrderItem  `json:"productOrderItem"`
	Type             string              `json:"@type"`
}

// Note is a TMF622 v4 Note.
type Note struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	Date   string `json:"date,omitempty"`
	Text   string `json:"text"`
	Type   string `json:"@type"`
}

// ProductOrderItem is a TMF622 v4 ProductOrderItem: one site.
type ProductOrderItem struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	State  string `json:"state"`
	// StateReason says why an item is held, failed or cancelled (a v5
	// field, welcome in v4).
	StateReason     string               `json:"stateReason,omitempty"`
	Quantity        int                  `json:"quantity"`
	ProductOffering *tmf630.Ref          `json:"productOffering,omitempty"`
	Product         *tmf630.ItemProduct  `json:"product,omitempty"`
	QuoteItem       *tmf630.QuoteItemRef `json:"quoteItem,omitempty"`
	Qualification   []tmf630.Ref         `json:"qualification,omitempty"`
	ItemTerm        []tmf630.OrderTerm   `json:"itemTerm,omitempty"`
	ItemPrice       []tmf630.OrderPrice  `json:"itemPrice,omitempty"`
	Type            string               `json:"@type"`
}

// productOrderAttrs are the attributes a product order list may filter on.
var productOrderAttrs = tmf630.Attributes(ProductOrder{})

// ordering serves the product orders of n's COM, holding each party to
// quota.
type ordering struct {
	n     *tmf630.Node
	quota Quota
}

// Routes serves product ordering when n runs COM, each party held to
// quota.
func Routes(n *tmf630.Node, quota Quota, mux *http.ServeMux) {
	if n.COM == nil {
		return
	}
	s := ordering{n, quota}
	tmf630.ShelfWire(n, com.ShelfKind, com.ShelvedWithPlan, func(o com.ShelvedOrder) ProductOrder {
		return s.plannedOrder(o.PO, o.Plan)
	})
	base := tmf630.ProductOrdering
	mux.HandleFunc("GET "+base+"/productOrder", s.listProductOrders)
	mux.HandleFunc("GET "+base+"/productOrder/{id}", s.getProductOrder)
	mux.HandleFunc("POST "+base+"/productOrder", s.postProductOrder)
	mux.HandleFunc("PATCH "+base+"/productOrder/{id}", s.patchProductOrder)
	mux.Handle("DELETE "+base+"/productOrder/{id}", tmf630.Refusal(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD, PATCH")
		tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed, "a product order is not deleted: cancel it with POST "+base+"/cancelProductOrder"))
	}))
	mux.HandleFunc("GET "+base+"/cancelProductOrder", s.listCancellations)
	mux.HandleFunc("GET "+base+"/cancelProductOrder/{id}", s.getCancellation)
	mux.HandleFunc("POST "+base+"/cancelProductOrder", s.postCancellation)
}

func (s ordering) listProductOrders(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.n, w, r, productOrderAttrs, com.ShelfKind,
		func() []ProductOrder { return tmf630.MapAll(s.n.COM.Orders(), s.productOrder) },
		func(po *ProductOrder) uint64 {
			return com.ShelfOrd(&tmf.ProductOrder{ID: po.ID, Category: po.Category})
		})
}

func (s ordering) getProductOrder(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, "productOrder", s.readProductOrder)
}

// ReadProductOrder maps the product order with id of n's COM, or gives
// nil; on the engine's goroutine.
func ReadProductOrder(n *tmf630.Node, id string) *ProductOrder {
	po := n.COM.Order(id)
	return tmf630.Ptr(po, po != nil, ordering{n: n}.productOrder)
}

func (s ordering) readProductOrder(id string) *ProductOrder { return ReadProductOrder(s.n, id) }

// productOrderByID reads one product order, or a 404.
func (s ordering) productOrderByID(r *http.Request, id string) (*ProductOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.n, r, "productOrder", id, s.readProductOrder)
}

func (s ordering) postProductOrder(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	in, e := DecodeProductOrder(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := tmf630.ActsFor(r, "relatedParty", tmf630.CustomerOfRefs(in.RelatedParty)); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if in.change != nil {
		s.postChange(w, r, in)
		return
	}
	if e := s.checkOfferings(in); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if in.RequestedCompletionDate != "" {
		t, _ := time.Parse(time.RFC3339, in.RequestedCompletionDate) // checked by DecodeProductOrder
		in.requested = max(t.Sub(s.n.Epoch), 0)
	}
	// The quote the order names is checked when the engine takes the
	// order, in the same command: unless it has left memory (a retry of
	// the order it placed), then as the shelf keeps it, before.
	msg := com.OrderRequest{Order: in.order(), Key: tmf630.KeyOf(r, "")}
	around := engine.Around{Read: tmf630.ReadPlaced(s.readProductOrder)}
	var absent atomic.Bool // set on the engine's goroutine
	if len(in.Quote) > 0 {
		around.Check = func() error {
			l := s.lookQuote(r, in)
			if !l.ok {
				absent.Store(true)
				return errQuoteAbsent
			}
			if e := s.judgeQuote(r, in, l); e != nil {
				return e
			}
			return nil
		}
	}
	reply, e := s.n.CommandWith(r.Context(), engine.COM, msg, around)
	if absent.Load() {
		if e = s.checkProductOrder(r, in); e == nil {
			around.Check = nil
			reply, e = s.n.CommandWith(r.Context(), engine.COM, msg, around)
		}
	}
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	placed := reply.(tmf630.Placed[ProductOrder])
	if id, scoped := tmf630.Caller(r); scoped && !placed.Duplicate {
		s.quota.InFlight.placed(id.Tenant, placed.ID)
	}
	tmf630.AnswerPlaced(w, r, placed, s.productOrderByID, func(v *ProductOrder) string { return v.Href })
}

// postChange carries out a change order: a modify or delete item on an
// installed product. COM changes the product's site: an active one with a
// modify or disconnect order (201, that order), one not yet active in its
// own order (200, the order changed in place), or refuses (409, saying
// why: another change in flight, a speed the offering does not have).
func (s ordering) postChange(w http.ResponseWriter, r *http.Request, in *productOrderIn) {
	ch := in.change
	var p *tmf.Product
	if e := s.n.Query(r.Context(), func() {
		if inMemory := s.n.COM.Products.Get(ch.Product); inMemory != nil {
			c := *inMemory
			p = &c
		}
	}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if p == nil { // it left memory with its order
		var e *tmf630.Error
		if p, _, e = tmf630.Unshelved(s.n, com.ProductShelfKind, ch.Product, com.ShelvedProduct); e != nil {
			tmf630.WriteError(w, e)
			return
		}
	}
	var order, site, status, party string
	if p != nil {
		order, site, status = p.ProductOrder, p.Place.ID, p.Status
		for _, rp := range p.RelatedParty {
			if strings.EqualFold(rp.Role, "customer") {
				party = rp.ID
			}
		}
	}
	key := changeKey(r, in)
	terminated := tmf630.NewError(http.StatusConflict, "product "+ch.Product+" is terminated: it no longer changes")
	switch {
	case order == "" || !tmf630.Sees(r, party):
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "productOrderItem[0].product.id: no product "+strconv.Quote(ch.Product)))
		return
	case status == "terminated" && key == "":
		tmf630.WriteError(w, terminated)
		return
	}
	// A terminated product's change with a key goes to COM all the same:
	// the disconnect that terminated it may be this key's, answered again
	// as it was first (a client's retry); any other is refused.
	var msg any = com.Change{Order: order, Site: site, Speed: ch.Speed, Tier: ch.Tier, Key: key,
		ExternalID: in.ExternalID, Description: in.Description}
	if ch.Delete {
		msg = com.Remove{Order: order, Site: site, Reason: in.Description, Key: key, ExternalID: in.ExternalID}
	}
	reply, e := s.n.Command(r.Context(), engine.COM, msg)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	done := reply.(com.Changed)
	switch {
	case status == "terminated" && !done.Replayed:
		tmf630.WriteError(w, terminated)
		return
	case done.Refused != "":
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, done.Refused))
		return
	}
	po, e := s.productOrderByID(r, done.Order)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	switch {
	case done.New && done.Replayed:
		tmf630.Replayed(w, po.Href, po)
	case done.New:
		tmf630.Created(w, po.Href, po)
	default:
		if done.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		tmf630.WriteJSON(w, http.StatusOK, po)
	}
}

// changeKey is what makes a change order idempotent: its Idempotency-Key
// header, else its externalId, in the space of the caller's party (tmf630.KeyOf);
// "" for neither. (A new order's externalId is COM's to key, in the space
// of the quote's customer.)
func changeKey(r *http.Request, in *productOrderIn) string {
	if k := tmf630.KeyOf(r, ""); k != "" || in.ExternalID == "" {
		return k
	}
	k := "externalId " + in.ExternalID
	if id, scoped := tmf630.Caller(r); scoped {
		k = "party " + id.Tenant + " " + k
	}
	return k
}

// checkProductOrder checks what the order names against what exists: the
// offerings in the catalog, the quote and its sites in COM, or on the
// shelf once the quote has left memory with its order. An order that names
// nothing wrong is placed, and COM's own validation (contract, credit,
// feasibility) may still reject it, as TMF622's rejected state says.
func (s ordering) checkProductOrder(r *http.Request, in *productOrderIn) *tmf630.Error {
	if e := s.checkOfferings(in); e != nil || len(in.Quote) == 0 {
		return e
	}
	var l quoteLook
	if e := s.n.Query(r.Context(), func() { l = s.lookQuote(r, in) }); e != nil {
		return e
	}
	if !l.ok {
		// A quote leaves memory with its order: a retry of that order
		// names it, and COM answers it with the order it placed.
		var e *tmf630.Error
		if l.quote, l.ok, e = tmf630.Unshelved(s.n, com.QuoteShelfKind, in.Quote[0].ID, com.ShelvedQuote); e != nil {
			return e
		}
	}
	return s.judgeQuote(r, in, l)
}

// checkOfferings checks that the offerings the order names are in the
// catalog.
func (s ordering) checkOfferings(in *productOrderIn) *tmf630.Error {
	for i, it := range in.ProductOrderItem {
		if it.ProductOffering != nil {
			if _, err := s.n.Catalog.Offering(it.ProductOffering.ID); err != nil {
				return tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "productOffering.id")+": "+err.Error())
			}
		}
	}
	return nil
}

// errQuoteAbsent says the quote an order names is not in COM's memory.
var errQuoteAbsent = errors.New("the quote is not in memory")

// quoteLook is what a product order's check reads of the quote it names,
// on the engine's goroutine: the quote (ok: found in memory), and for a
// caller bound to a party, its orders in flight and whether this order is
// a retry of one of them.
type quoteLook struct {
	quote     com.QuoteView
	ok, again bool
	inFlight  int
}

func (s ordering) lookQuote(r *http.Request, in *productOrderIn) quoteLook {
	var l quoteLook
	_, scoped := tmf630.Caller(r)
	if l.quote, l.ok = s.n.COM.Quote(in.Quote[0].ID); l.ok && scoped {
		l.inFlight = s.quota.InFlight.count(s.n.COM, l.quote.Customer.ID)
		l.again = l.inFlight >= s.quota.max() && s.hasOrder(l.quote.Customer.ID, in.ExternalID)
	}
	return l
}

// judgeQuote checks the order against the quote it names, as l read it:
// the caller may see it, its party is within its quota of orders in
// flight, and the order's items are the quote's.
func (s ordering) judgeQuote(r *http.Request, in *productOrderIn, l quoteLook) *tmf630.Error {
	if !l.ok || !tmf630.Sees(r, l.quote.Customer.ID) {
		return tmf630.NewError(http.StatusBadRequest, "quote[0].id: no quote "+strconv.Quote(in.Quote[0].ID))
	}
	_, scoped := tmf630.Caller(r)
	if quota := s.quota.max(); scoped && !l.again && l.inFlight >= quota {
		e := tmf630.NewError(http.StatusTooManyRequests, fmt.Sprintf("party %s has %d product orders in flight, the most allowed: place more once some end", l.quote.Customer.ID, l.inFlight))
		e.RetryAfter = 60
		return e
	}
	if a := in.BillingAccount; a != nil && a.ID != l.quote.Customer.Account {
		return tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("billingAccount.id: %q is not the account of quote %s (%s): an order is billed as it was quoted",
			a.ID, l.quote.ID, l.quote.Customer.Account))
	}
	ordered := map[string]int{}
	for i, it := range in.ProductOrderItem {
		if it.QuoteItem == nil {
			continue
		}
		if !hasSite(l.quote.Request.Sites, it.QuoteItem.ID) {
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("productOrderItem", i, "quoteItem.id")+": "+
				strconv.Quote(it.QuoteItem.ID)+" is not an item of quote "+l.quote.ID)
		}
		if k, twice := ordered[it.QuoteItem.ID]; twice {
			return tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("%s: %q is ordered by productOrderItem[%d] already: a quote item is ordered once",
				tmf630.Field("productOrderItem", i, "quoteItem.id"), it.QuoteItem.ID, k))
		}
		ordered[it.QuoteItem.ID] = i
	}
	return nil
}

func hasSite(sites []com.Site, code string) bool {
	for _, s := range sites {
		if s.Code == code {
			return true
		}
	}
	return false
}

func (s ordering) patchProductOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	patch, e := DecodeProductOrderPatch(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if _, e := s.productOrderByID(r, id); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	reply, e := s.n.Command(r.Context(), engine.COM, com.Describe{Order: id, Description: *patch.Description})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if err, _ := reply.(error); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, err.Error()))
		return
	}
	po, e := s.productOrderByID(r, id)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, po)
}

// productOrder maps an internal product order in COM's memory, with its
// rollout plan, to the wire. Run it on the engine's goroutine: it reads
// COM's state.
func (s ordering) productOrder(po *tmf.ProductOrder) ProductOrder {
	return s.plannedOrder(po, s.n.COM.Plan(po.ID))
}

// plannedOrder maps a product order and its rollout plan to the wire.
func (s ordering) plannedOrder(po *tmf.ProductOrder, plan []tmf.PlannedWave) ProductOrder {
	out := ProductOrder{ID: po.ID, Href: tmf630.ProductOrdering + "/productOrder/" + po.ID, ExternalID: po.ExternalID,
		Description: po.Description, Category: po.Category, State: po.State, OrderDate: s.n.Date(po.OrderDate),
		RelatedParty: tmf630.Refs(po.RelatedParty, "Organization"), Agreement: tmf630.Refs(po.Agreement, "Agreement"),
		ProductOrderItem: make([]ProductOrderItem, len(po.Items)), Type: "ProductOrder"}
	if lc.IsFinal(lc.ProductOrder, po.State) {
		out.CompletionDate = s.n.Date(po.CompletionDate)
	}
	if po.RequestedCompletionDate > 0 {
		out.RequestedCompletionDate = s.n.Date(po.RequestedCompletionDate)
	}
	quoteID := ""
	if len(po.Quote) > 0 {
		quoteID = po.Quote[0].ID
		out.Quote = tmf630.Refs(po.Quote, "Quote")
		for i := range out.Quote {
			out.Quote[i].Href = tmf630.QuoteManagement + "/quote/" + out.Quote[i].ID
		}
	}
	if po.BillingAccount != nil {
		out.BillingAccount = &tmf630.Ref{ID: po.BillingAccount.ID, Name: po.BillingAccount.Name, ReferredType: "BillingAccount"}
	}
	total, currency := 0.0, ""
	for i, it := range po.Items {
		item := ProductOrderItem{ID: it.ID, Action: string(it.Action), State: it.State, StateReason: it.StateReason,
			Quantity: 1, Qualification: tmf630.Refs(it.Qualification, "ProductOfferingQualification"), Type: "ProductOrderItem"}
		if it.ProductOffering.ID != "" {
			item.ProductOffering = &tmf630.Ref{ID: it.ProductOffering.ID, Href: tmf630.ProductCatalog + "/productOffering/" + it.ProductOffering.ID,
				Name: it.ProductOffering.Name}
			if o, err := s.n.Catalog.Offering(it.ProductOffering.ID); err == nil {
				item.ProductOffering.Name, currency = o.Name, o.Currency
			}
		}
		if it.Place.ID != "" || len(it.Characteristics) > 0 || it.ProductInstance != nil {
			item.Product = &tmf630.ItemProduct{ProductCharacteristic: tmf630.WireCharacteristics(it.Characteristics)}
			if it.Place.ID != "" {
				item.Product.Place = []tmf630.Place{tmf630.PlaceOf(it.Place)}
			}
			if it.ProductInstance != nil {
				item.Product.ID = it.ProductInstance.ID
				item.Product.Href = tmf630.ProductInventory + "/product/" + it.ProductInstance.ID
			}
		}
		if it.QuoteItem != nil {
			item.QuoteItem = &tmf630.QuoteItemRef{ID: it.QuoteItem.ID, QuoteID: quoteID}
			if quoteID != "" {
				item.QuoteItem.QuoteHref = tmf630.QuoteManagement + "/quote/" + quoteID
			}
		}
		if it.ItemTerm > 0 {
			item.ItemTerm = []tmf630.OrderTerm{{Name: "commitment", Duration: &tmf630.Quantity{Amount: float64(it.ItemTerm), Units: "month"}}}
		}
		if it.MonthlyPrice > 0 {
			item.ItemPrice = []tmf630.OrderPrice{tmf630.Monthly("monthly charge", currency, it.MonthlyPrice)}
			total += it.MonthlyPrice
		}
		out.ProductOrderItem[i] = item
	}
	if total > 0 {
		out.OrderTotalPrice = []tmf630.OrderPrice{tmf630.Monthly("monthly charge, all sites", currency, total)}
	}
	out.Note, out.ExpectedCompletionDate = s.planNotes(po.Approval, plan)
	return out
}

// planNotes renders an order's approval and rollout plan as TMF622 notes,
// with the plan's expected completion (its last wave target), "" for none:
//
//	approval  "approved with quote QT-001"
//	wave:Pilot "Pilot: service order SO-PILOT (SO-001) completed; sites MELB;
//	            target 2024-06-16T23:00:00Z; released 2024-06-03T01:00:00Z;
//	            ended 2024-06-07T23:00:00Z"
func (s ordering) planNotes(a *tmf.OrderApproval, plan []tmf.PlannedWave) ([]Note, string) {
	var notes []Note
	if a != nil {
		notes = append(notes, Note{ID: "approval", Author: "Approval Workflow", Date: s.n.Date(a.At),
			Text: "approved with quote " + a.Quote, Type: "Note"})
	}
	expected := time.Duration(0)
	for _, w := range plan {
		var b strings.Builder
		b.WriteString(w.Name + ": service order " + w.ServiceOrder)
		if w.ServiceOrderID != "" {
			b.WriteString(" (" + w.ServiceOrderID + ")")
		}
		b.WriteString(" " + w.State + "; sites " + strings.Join(w.Sites, ", "))
		if w.Target > 0 {
			b.WriteString("; target " + s.n.Date(w.Target))
			expected = max(expected, w.Target)
		}
		date := ""
		if w.ReleasedAt > 0 {
			date = s.n.Date(w.ReleasedAt)
			b.WriteString("; released " + date)
		}
		if w.CompletedAt > 0 {
			date = s.n.Date(w.CompletedAt)
			b.WriteString("; ended " + date)
		}
		notes = append(notes, Note{ID: "wave:" + w.Name, Author: "COM", Date: date, Text: b.String(), Type: "Note"})
	}
	if expected == 0 {
		return notes, ""
	}
	return notes, s.n.Date(expected)
}
