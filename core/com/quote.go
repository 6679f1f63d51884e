package com

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/hint"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/roster"
	"github.com/ordertwin/ordertwin/core/store"
)

// Customer is the enterprise customer and its account.
type Customer struct {
	ID      string // CUST-ENT-1102
	Name    string
	Account string // ACC-ENT-3384
}

// Site is one site of a quote.
type Site struct {
	Code    string // MELB
	Name    string // Melbourne HQ
	Address string
	Wave    string
	// Tier, Speed and Monthly are the site's own SLA tier, speed and
	// negotiated monthly price, where they differ from the quote's ("" or
	// 0: the quote's).
	Tier    string
	Speed   string
	Monthly float64
	// Offering is the site's own product offering, where it differs from
	// the quote's; RateCard its rate card, a card of that offering (both
	// "": the quote's).
	Offering string
	RateCard string
}

// SiteOffering is site i's product offering: its own, or the quote's.
func (q *QuoteRequest) SiteOffering(i int) string {
	if o := q.Sites[i].Offering; o != "" {
		return o
	}
	return q.Offering
}

// SiteRateCard is site i's rate card: its own, or the quote's.
func (q *QuoteRequest) SiteRateCard(i int) string {
	if r := q.Sites[i].RateCard; r != "" {
		return r
	}
	return q.RateCard
}

// SiteTier, SiteSpeed and SiteMonthly are site i's tier, speed and
// monthly price: its own, or the quote's.
func (q *QuoteRequest) SiteTier(i int) string {
	if t := q.Sites[i].Tier; t != "" {
		return t
	}
	return q.Tier
}

// SiteSpeed is site i's speed (see SiteTier).
func (q *QuoteRequest) SiteSpeed(i int) string {
	if s := q.Sites[i].Speed; s != "" {
		return s
	}
	return q.Speed
}

// SiteMonthly is site i's monthly price (see SiteTier).
func (q *QuoteRequest) SiteMonthly(i int) float64 {
	if m := q.Sites[i].Monthly; m != 0 {
		return m
	}
	return q.Monthly
}

// PerSite tells whether any site has its own tier, speed, price,
// offering or rate card.
func (q *QuoteRequest) PerSite() bool {
	return slices.ContainsFunc(q.Sites, Site.own)
}

// own tells whether the site has anything of its own, not the quote's.
func (s Site) own() bool {
	return s.Tier != "" || s.Speed != "" || s.Monthly != 0 || s.Offering != "" || s.RateCard != ""
}

// WavePlan is one wave of the rollout plan.
type WavePlan struct {
	Name string
	// ServiceOrder names the wave's service order (SO-PILOT).
	ServiceOrder string
	// Target is the wave's target completion, from T+0.
	Target time.Duration
	// After are the wave's gates: what it waits for of other waves. A
	// wave without gates waits for the wave before it to be completed
	// and SLA validated (the first wave for nothing).
	After []Gate
	// Manual: the wave waits, besides its gates, for a person's release
	// (ReleaseWave).
	Manual bool
}

// Gate is what a wave waits for of another wave.
type Gate struct {
	Wave string
	// On is GateCompleted, GateSLAValidated or GateSites.
	On string
	// Share is GateSites' share of the wave's sites in service (0.8).
	Share float64
}

// What a gate waits for of a wave: its service order completed (even
// held on its SLA check), completed and SLA validated, or a share of its
// sites in service.
const (
	GateCompleted    = "completed"
	GateSLAValidated = "slaValidated"
	GateSites        = "sites"
)

// ParseGate reads a gate on wave as a quote (or a scenario) gives it: on
// GateCompleted or GateSLAValidated (the default, ""), or sites, a share
// of the wave's sites in service such as "80%".
func ParseGate(wave, on, sites string) (Gate, error) {
	if wave == "" {
		return Gate{}, errors.New("wave: missing: name the wave this one waits for")
	}
	if sites != "" {
		if on != "" && on != GateSites {
			return Gate{}, fmt.Errorf("on: %q and sites: %q: a gate waits for one thing", on, sites)
		}
		number := strings.TrimSuffix(sites, "%")
		pct, err := strconv.ParseFloat(number, 64)
		// A decimal number only: ParseFloat takes NaN, Inf and hex too.
		decimal := number != "" && strings.Trim(number, "0123456789.") == ""
		if err != nil || !decimal || !strings.HasSuffix(sites, "%") || !(pct > 0 && pct <= 100) {
			return Gate{}, fmt.Errorf("sites: %q: want a share of the wave's sites such as 80%%, over 0 and at most 100%%", sites)
		}
		return Gate{Wave: wave, On: GateSites, Share: pct / 100}, nil
	}
	switch on {
	case "":
		return Gate{Wave: wave, On: GateSLAValidated}, nil
	case GateCompleted, GateSLAValidated:
		return Gate{Wave: wave, On: on}, nil
	}
	return Gate{}, fmt.Errorf("on: %q: want %s, %s, or sites: with a share%s", on, GateCompleted, GateSLAValidated,
		hint.DidYouMean(on, []string{GateCompleted, GateSLAValidated}))
}

// Gated tells whether the plan has gates or manual releases of its own
// (version 2); without, each wave waits for the one before it.
func (q *QuoteRequest) Gated() bool {
	for _, w := range q.Waves {
		if len(w.After) > 0 || w.Manual {
			return true
		}
	}
	return false
}

// QuoteRequest asks COM to prepare a quote and take it through approval.
type QuoteRequest struct {
	ID string
	// Key makes the request idempotent, as OrderRequest.Key.
	Key      string
	Customer Customer
	Offering string
	Tier     string
	Speed    string
	Term     int // months
	RateCard string
	Monthly  float64 // negotiated price per site per month
	Waves    []WavePlan
	Sites    []Site
	// ChangesPerSite lets changes of different sites of the order be in
	// flight at once, one a site (scenario version 2); without, one change
	// is in flight per order.
	ChangesPerSite bool
	// TargetsFromOrder says the waves' targets count from when the order
	// is placed (the quote API's, which a client sends before it knows
	// when), not from T+0 (a scenario file's, which places its orders
	// itself).
	TargetsFromOrder bool
	// Client is what the quote's client gave for itself: COM keeps it
	// with the quote (through snapshots and the shelf) and acts on none of
	// it; no digest covers it.
	Client QuoteClient
}

// QuoteClient are the members of a TMF648 quote its client gives for its
// own use, kept as given: its description, its own id for the quote, its
// version, whether it waits for the answer ("true", "false"; "" when it
// did not say: a snapshot keeps no false apart from nothing), the dates
// it asks for (RFC 3339), its notes.
type QuoteClient struct {
	Description, ExternalID, Version                  string
	InstantSync                                       string
	RequestedCompletionDate, ExpectedFulfillmentStart string
	Notes                                             []QuoteNote
}

// QuoteNote is a client's note on a quote (TMF648 Note).
type QuoteNote struct {
	ID, Author, Date, Text string
}

// Stages of the approval workflow, in order.
var Stages = []string{"technical", "commercial", "customer"}

type quote struct {
	roster.Slot
	req      QuoteRequest
	id       string
	state    string
	offering *catalog.Offering
	tier     *catalog.SLATier
	card     *catalog.RateCard
	quals    []*port.QualificationResult
	qualErr  []string
	waiting  int
	stage    int
	approval []Approval
	tcv      float64
	monthly  float64
	reason   string
	order    *order
	// tierVars are the variables of its tier, shared (COM.tierVarsOf).
	tierVars *tierVars
	// offered are the offering and rate card of each site of its own
	// (nil when none has: each site is of the quote's).
	offered []siteOffering
	// digest is the hash of the quote's content (Digest) that approvals
	// are signed over, when they are (Config.signs).
	digest string
	// keyDigest is the Digest of the request, when an idempotency key
	// placed it: the key again must come with the same content.
	keyDigest string
	// calls counts the quote's calls waiting for their answer.
	calls int
	// created is when the quote was submitted.
	created time.Duration
}

// Approval is the outcome of one approval stage.
type Approval struct {
	Stage  string
	State  string
	At     time.Duration
	Reason string
	// By is who decided, when a person did (Review.By).
	By string
	// Signed is the decision as a signed event (core/approval), when
	// decisions are signed; Approver is the public key that signed it.
	Signed   string
	Approver string
}

// MaxMonthly is the most a quote may charge a site a month: a bound that
// keeps every total a quote computes (its TCV, its sites' charges over the
// term) a finite number a report and the APIs can write.
const MaxMonthly = 1_000_000_000

// Check validates a quote request against the catalog, naming every fault.
func (c *COM) Check(q QuoteRequest) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	o, err := c.cfg.Catalog.Offering(q.Offering)
	if err != nil {
		return err
	}
	if _, err := c.cfg.Catalog.Tier(o, q.Tier); err != nil {
		bad("%v", err)
	}
	if !slices.Contains(o.Speeds, q.Speed) {
		bad("speed %q is not offered with %s%s (offered: %s)", q.Speed, o.ID, hint.DidYouMean(q.Speed, o.Speeds), strings.Join(o.Speeds, ", "))
	}
	if !slices.Contains(o.Terms, q.Term) {
		bad("term %d months is not offered with %s (offered: %s)", q.Term, o.ID, joinInts(o.Terms))
	}
	if card(o, q.RateCard) == nil {
		bad("rate card %q is not a rate card of %s", q.RateCard, o.ID)
	}
	if !(q.Monthly > 0) {
		bad("price %g: must be positive", q.Monthly)
	} else if q.Monthly > MaxMonthly {
		bad("price %g: over the most a site may be charged a month (%g)", q.Monthly, float64(MaxMonthly))
	}
	if q.Customer.ID == "" || q.Customer.Account == "" {
		bad("customer needs an id and an account")
	}
	if len(q.Sites) == 0 {
		bad("a quote needs at least one site")
	}
	waves, orders := map[string]bool{}, map[string]string{}
	names := make([]string, 0, len(q.Waves))
	for i, w := range q.Waves {
		names = append(names, w.Name)
		if strings.TrimSpace(w.Name) == "" {
			bad("the rollout plan's wave %d has no name: sites name their wave by it", i+1)
		}
		if waves[w.Name] {
			bad("wave %q declared twice", w.Name)
		}
		waves[w.Name] = true
		if other, dup := orders[w.ServiceOrder]; dup {
			bad("waves %q and %q share the service order name %q", other, w.Name, w.ServiceOrder)
		}
		orders[w.ServiceOrder] = w.Name
	}
	if len(q.Waves) == 0 {
		bad("the rollout plan needs at least one wave")
	}
	for k, w := range q.Waves {
		for _, g := range w.After {
			switch {
			case !waves[g.Wave]:
				bad("wave %s: gate on wave %q, which is not in the rollout plan%s", w.Name, g.Wave, hint.DidYouMean(g.Wave, names))
			case g.Wave == w.Name:
				bad("wave %s: gate on itself", w.Name)
			case !slices.ContainsFunc(q.Waves[:k], func(p WavePlan) bool { return p.Name == g.Wave }):
				// So the plan's order is the order the waves can go in,
				// and no gates wait for each other.
				bad("wave %s: gate on %s, which comes after it in the rollout plan: list the waves in the order they go", w.Name, g.Wave)
			case g.On != GateCompleted && g.On != GateSLAValidated && g.On != GateSites:
				bad("wave %s: gate on %s: %q: want %s, %s or %s", w.Name, g.Wave, g.On, GateCompleted, GateSLAValidated, GateSites)
			case g.On == GateSites && !(g.Share > 0 && g.Share <= 1): // NaN too
				bad("wave %s: gate on %s: a share of sites over 0 and at most 100%%", w.Name, g.Wave)
			}
		}
	}
	codes := map[string]bool{}
	for i, s := range q.Sites {
		if codes[s.Code] {
			bad("site %q declared twice", s.Code)
		}
		codes[s.Code] = true
		if !waves[s.Wave] {
			bad("site %s: wave %q is not in the rollout plan%s", s.Code, s.Wave, hint.DidYouMean(s.Wave, names))
		}
		if s.Address == "" {
			bad("site %s: no address", s.Code)
		}
		if s.Monthly < 0 || s.Monthly != s.Monthly {
			bad("site %s: price %g: must be positive", s.Code, s.Monthly)
		} else if s.Monthly > MaxMonthly {
			bad("site %s: price %g: over the most a site may be charged a month (%g)", s.Code, s.Monthly, float64(MaxMonthly))
		}
		c.checkSiteOffering(q, i, o, bad)
	}
	return errors.Join(errs...)
}

// checkSiteOffering checks site i's offering, tier, speed and rate card:
// its own, or the quote's that it takes, against its offering (o, the
// quote's, unless the site names its own). A site of another offering
// names that offering's rate card, and the quote's term is one of its
// terms.
func (c *COM) checkSiteOffering(q QuoteRequest, i int, o *catalog.Offering, bad func(format string, args ...any)) {
	s := q.Sites[i]
	own := s.Offering != "" && s.Offering != o.ID
	if own {
		quoted := o
		var err error
		if o, err = c.cfg.Catalog.Offering(s.Offering); err != nil {
			bad("site %s: %v", s.Code, err)
			return
		}
		if o.Currency != quoted.Currency {
			bad("site %s: %s is priced in %s, the quote's %s in %s: a quote has one currency", s.Code, o.ID, o.Currency, quoted.ID, quoted.Currency)
		}
		if !slices.Contains(o.Terms, q.Term) {
			bad("site %s: term %d months is not offered with %s (offered: %s)", s.Code, q.Term, o.ID, joinInts(o.Terms))
		}
		if s.RateCard == "" {
			bad("site %s: rateCard: missing: a site of offering %s is priced on a rate card of it (the quote's, %s, is %s's)", s.Code, o.ID, q.RateCard, q.Offering)
		}
	}
	if tier := q.SiteTier(i); s.Tier != "" || own {
		if _, err := c.cfg.Catalog.Tier(o, tier); err != nil {
			bad("site %s: %v", s.Code, err)
		}
	}
	if speed := q.SiteSpeed(i); (s.Speed != "" || own) && !slices.Contains(o.Speeds, speed) {
		bad("site %s: speed %q is not offered with %s%s (offered: %s)", s.Code, speed, o.ID, hint.DidYouMean(speed, o.Speeds), strings.Join(o.Speeds, ", "))
	}
	if s.RateCard != "" && card(o, s.RateCard) == nil {
		bad("site %s: rate card %q is not a rate card of %s%s", s.Code, s.RateCard, o.ID, hint.DidYouMean(s.RateCard, cardIDs(o)))
	}
}

// cardIDs are the ids of o's rate cards.
func cardIDs(o *catalog.Offering) []string {
	ids := make([]string, len(o.RateCards))
	for i, r := range o.RateCards {
		ids[i] = r.ID
	}
	return ids
}

func joinInts(list []int) string {
	text := make([]string, len(list))
	for i, n := range list {
		text[i] = strconv.Itoa(n)
	}
	return strings.Join(text, ", ")
}

func card(o *catalog.Offering, id string) *catalog.RateCard {
	for i := range o.RateCards {
		if o.RateCards[i].ID == id {
			return &o.RateCards[i]
		}
	}
	return nil
}

// ErrKeyReused is why a request is refused whose idempotency key placed
// an entity of other content: a retry sends what it sent, and a new
// request needs a new key.
var ErrKeyReused = errors.New("an idempotency key is for one request: a new request needs a new key")

// quoteKeyDigest is the content digest of the request that placed quote id
// with a key (quote.keyDigest), in memory or on the shelf; "" when not
// known (placed by a build that kept none).
func (c *COM) quoteKeyDigest(id string, out *engine.Out) string {
	if q := c.quoteBy[id]; q != nil {
		return q.keyDigest
	}
	v, _ := c.shelvedQuote(id, out)
	return v.KeyDigest
}

// submitQuote qualifies every site, then prices and submits the quote.
func (c *COM) submitQuote(now time.Duration, req QuoteRequest, out *engine.Out) {
	key := "quote " + req.Key // apart from the orders' keys
	if req.Key != "" {
		if prev := c.placed(QuoteShelfKind, key, out); prev != "" {
			if placed := c.quoteKeyDigest(prev, out); placed != "" && placed != Digest(req) {
				out.Error(fmt.Errorf("COM: the request's key (%s) placed quote %s, whose content is not this request's: %w", req.Key, prev, ErrKeyReused))
				return
			}
			out.Reply(Placed{ID: prev, Duplicate: true})
			return
		}
	}
	// An invalid quote is refused before it is numbered (the API checks
	// it first and answers 400).
	if err := c.Check(req); err != nil {
		out.Error(fmt.Errorf("COM: invalid quote: %w", err))
		return
	}
	if req.ID != "" && c.quoteBy[req.ID] != nil {
		out.Error(fmt.Errorf("COM: quote %s exists already", req.ID))
		return
	}
	// COM owns the request from here: a site added later must not land in
	// the caller's array.
	req.Sites, req.Waves = slices.Clone(req.Sites), slices.Clone(req.Waves)
	q := &quote{req: req, id: req.ID, state: lc.Initial(lc.Quote), created: now}
	if c.cfg.signs() {
		q.digest = Digest(req) // before anything is kept: a quote it cannot take leaves no trace
	}
	if q.id == "" {
		q.id = c.ownID("QT")
	}
	c.quotes.Add(0, q)
	c.quoteBy[q.id] = q
	if req.Key != "" {
		c.byKey[key] = q.id
		q.keyDigest = Digest(req)
	}
	out.Reply(Placed{ID: q.id})
	out.Created(lc.Quote, q.id, "", q.state, "CPQ")
	if c.cfg.signs() {
		out.Record(store.Record{Kind: approval.DigestKind, Entity: q.id, Reason: q.digest, System: "CPQ"})
	}
	q.offering, _ = c.cfg.Catalog.Offering(req.Offering)
	q.tier = c.cfg.Catalog.Tiers[req.Tier]
	q.card = card(q.offering, req.RateCard)
	q.siteOfferings(c.cfg.Catalog)
	q.tierVars = c.tierVarsOf(q.tier)
	q.quals = make([]*port.QualificationResult, len(req.Sites))
	q.qualErr = make([]string, len(req.Sites))
	q.waiting = len(req.Sites)
	for i, s := range req.Sites {
		key := c.strs.Join(q.id, "/", s.Code, "/qualify") // the item is the key's start
		c.call(out, port.Request{Key: key, System: port.Qualification, Op: port.Qualify,
			Item: key[:len(q.id)+1+len(s.Code)], Customer: req.Customer.ID, Site: s.Code, Place: place(s)}, then{Do: quoteQualified, ID: q.id, Item: i})
	}
}

// quoteQualified takes the qualification of the quote's site i; the last
// prices the quote.
func (c *COM) quoteQualified(q *quote, i int, res *port.Result, out *engine.Out) {
	if res.Err != nil {
		q.qualErr[i] = res.Err.Message
	} else {
		q.quals[i] = res.Qualification
	}
	if q.waiting--; q.waiting == 0 {
		c.priceAndSubmit(q, out)
	}
}

// priceAndSubmit prices the quote and starts the approval workflow.
func (c *COM) priceAndSubmit(q *quote, out *engine.Out) {
	q.monthly = q.req.Monthly * float64(len(q.req.Sites))
	if q.req.PerSite() {
		q.monthly = 0
		for i := range q.req.Sites {
			q.monthly += q.req.SiteMonthly(i)
		}
	}
	q.tcv = q.monthly * float64(q.req.Term)
	if !out.Fire(c.machines, lc.Quote, q.id, "", &q.state, lc.Submit, "", "CPQ → Approval Workflow") {
		return
	}
	q.approval = make([]Approval, len(Stages))
	for i, s := range Stages {
		q.approval[i] = Approval{Stage: s, State: lc.Initial(lc.Approval)}
	}
	c.nextStage(q, out)
}

// nextStage runs the checks of the current stage and asks the workflow for
// its review.
func (c *COM) nextStage(q *quote, out *engine.Out) {
	stage := Stages[q.stage]
	if why := c.stageCheck(q, stage); why != "" {
		c.decide(q, false, why, out)
		return
	}
	decided := then{Do: reviewed, ID: q.id}
	if c.cfg.ManualReview {
		c.pending[c.reviewKey(q.id, stage)] = decided // a Review decides
		return
	}
	c.call(out, port.Request{Key: c.reviewKey(q.id, stage), System: port.Workflow, Op: port.Review, Item: q.id,
		Customer: q.req.Customer.ID, Stage: stage, Amount: q.tcv}, decided)
}

// reviewKey is the key of the review of a quote's stage.
func (c *COM) reviewKey(quote, stage string) string { return c.strs.Join(quote, "/", stage) }

// stageCheck is what the core itself checks before a stage goes to review:
// no site in service already or being made, and capacity at every site
// (technical), the rate card and discount authority (commercial). It
// returns why the stage fails, or "".
func (c *COM) stageCheck(q *quote, stage string) string {
	switch stage {
	case "technical":
		// A site in service has no capacity of its own left: that it is
		// in service says what to do instead (sites.go).
		if why := c.takenByQuote(q); why != "" {
			return why
		}
		for i, s := range q.req.Sites {
			switch {
			case q.qualErr[i] != "":
				return fmt.Sprintf("site %s: %s", s.Code, q.qualErr[i])
			case q.quals[i].FreeCapacity <= 0:
				return fmt.Sprintf("site %s: no %s capacity at %s", s.Code, q.quals[i].Technology, q.quals[i].Area)
			}
		}
	case "commercial":
		// The rate card is checked against the quote's date: a review
		// that ends past midnight judges the quote as it was made.
		today := c.cfg.Epoch.Add(q.created).Format(time.DateOnly)
		if why := cardCheck(q.card, q.req.Term, today); why != "" {
			return why
		}
		if q.req.Monthly < q.card.Monthly {
			return fmt.Sprintf("price %.2f is below rate card %s (%.2f)", q.req.Monthly, q.card.ID, q.card.Monthly)
		}
		if why := discountCheck(q.offering, q.req.Monthly); why != "" {
			return why
		}
		// A site of its own tier, speed, price or offering is priced
		// against its card's price of its tier and speed; a card of
		// its own is checked as the quote's is.
		for i, s := range q.req.Sites {
			if !s.own() {
				continue
			}
			o, rc := q.offeringOf(i), q.cardOf(i)
			tier, speed, price := q.req.SiteTier(i), q.req.SiteSpeed(i), q.req.SiteMonthly(i)
			if rc != q.card {
				if why := cardCheck(rc, q.req.Term, today); why != "" {
					return "site " + s.Code + ": " + why
				}
			}
			if floor := rc.PriceOf(tier, speed); price < floor-1e-9 {
				return fmt.Sprintf("site %s: price %.2f is below rate card %s for %s %s (%.2f)", s.Code, price, rc.ID, tier, speed, floor)
			}
			if o != q.offering {
				if why := discountCheck(o, price); why != "" {
					return "site " + s.Code + ": " + why
				}
			}
		}
	}
	return ""
}

// cardCheck is why rate card rc does not cover a term of term months on
// day today: not approved, not valid that day, or not for that term; ""
// when it does.
func cardCheck(rc *catalog.RateCard, term int, today string) string {
	switch {
	case !rc.Approved:
		return fmt.Sprintf("rate card %s is not approved", rc.ID)
	case !rc.Current(today):
		return fmt.Sprintf("rate card %s is not valid on %s (valid %s to %s)", rc.ID, today, rc.From, rc.To)
	case !slices.Contains(rc.Terms, term):
		return fmt.Sprintf("rate card %s does not cover a %d-month term", rc.ID, term)
	}
	return ""
}

// discountCheck is why a price is a discount from o's list price beyond
// its authority, or "".
func discountCheck(o *catalog.Offering, price float64) string {
	if d := 1 - price/o.ListPrice; d > o.DiscountAuthority+1e-9 {
		return fmt.Sprintf("discount %.1f%% exceeds the %.1f%% authority", 100*d, 100*o.DiscountAuthority)
	}
	return ""
}

// siteOfferings finds the offering and rate card of each site of its
// own (q.offered), in cat; the quote was checked, so each is there.
func (q *quote) siteOfferings(cat *catalog.Catalog) {
	q.offered = nil
	for i, s := range q.req.Sites {
		if s.Offering == "" && s.RateCard == "" {
			continue
		}
		if q.offered == nil {
			q.offered = make([]siteOffering, len(q.req.Sites))
		}
		o := q.offering
		if s.Offering != "" {
			o = cat.Offerings[s.Offering]
		}
		q.offered[i] = siteOffering{o, card(o, q.req.SiteRateCard(i))}
	}
}

// siteOffering is a site's own offering and rate card.
type siteOffering struct {
	offering *catalog.Offering
	card     *catalog.RateCard
}

// offeringOf is the offering of the quote's site i: the quote's, unless
// the site has its own; cardOf its rate card.
func (q *quote) offeringOf(i int) *catalog.Offering {
	if i >= 0 && i < len(q.offered) && q.offered[i].offering != nil {
		return q.offered[i].offering
	}
	return q.offering
}

func (q *quote) cardOf(i int) *catalog.RateCard {
	if i >= 0 && i < len(q.offered) && q.offered[i].card != nil {
		return q.offered[i].card
	}
	return q.card
}

// stageKey is the parsed secret key of stage (secret, from StageKeys),
// parsed once: the twin's reviewer of a stage signs every quote's decision
// with it.
func (c *COM) stageKey(stage, secret string) (*approval.Key, error) {
	if k, ok := c.keys[stage]; ok {
		return k, nil
	}
	k, err := approval.ParseKey(secret)
	if err != nil {
		return nil, fmt.Errorf("the %s stage's key: %w", stage, err)
	}
	if c.keys == nil {
		c.keys = map[string]*approval.Key{}
	}
	c.keys[stage] = k
	return k, nil
}

// signedDecision is the decision on q's current stage, ok or not for
// reason, made at now, that the stage's key (secret) signs: signs is false
// when it is not signed (no key, signed already, or approvals unsigned).
func (c *COM) signedDecision(q *quote, ok bool, reason string, now time.Duration) (d approval.Decision, secret string, signs bool) {
	a := &q.approval[q.stage]
	secret = c.cfg.StageKeys[a.Stage]
	if secret == "" || a.Signed != "" || !c.cfg.signs() {
		return d, "", false
	}
	return approval.Decision{Quote: q.id, Stage: a.Stage, Approved: ok, Digest: q.digest, Reason: reason, At: c.cfg.Epoch.Add(now)}, secret, true
}

// Anticipate begins signing the decision the workflow's answer res will
// make when it is due at at (engine.Anticipator): the same decision
// decide signs then, unless the quote has changed by then.
func (c *COM) Anticipate(at time.Duration, msg any) {
	res, ok := msg.(*port.Result)
	if !ok || !res.Final {
		return
	}
	k, ok := c.pending[res.Key]
	if !ok || k.Do != reviewed {
		return
	}
	q := c.quoteBy[k.ID]
	if q == nil || q.stage >= len(q.approval) {
		return
	}
	d, secret, signs := c.signedDecision(q, res.Approved && res.Err == nil, res.Reason, at)
	if !signs {
		return
	}
	if key, err := c.stageKey(d.Stage, secret); err == nil {
		c.ahead.Start(key, d)
	}
}

// decide records the current stage's outcome and moves on.
func (c *COM) decide(q *quote, ok bool, reason string, out *engine.Out) {
	a := &q.approval[q.stage]
	a.At = out.Now()
	event := lc.Approve
	a.Reason = reason // who approved, or why not
	if !ok {
		event = lc.Reject
	}
	if d, key, signs := c.signedDecision(q, ok, reason, out.Now()); signs {
		k, err := c.stageKey(a.Stage, key)
		if err != nil {
			out.Error(err)
			return
		}
		signed, err := c.ahead.Sign(k, d)
		if err != nil {
			out.Error(err)
			return
		}
		a.Signed, a.Approver = signed, k.Public()
	}
	if !out.Fire(c.machines, lc.Approval, c.strs.Join(q.id, "/", a.Stage), "", &a.State, event, a.Reason, "Approval Workflow") {
		return
	}
	if a.Signed != "" {
		out.Record(store.Record{Kind: approval.RecordKind, Entity: q.id + "/" + a.Stage, To: a.Approver, Event: a.State,
			Reason: a.Signed, System: "Approval Workflow"})
	}
	if !ok {
		c.rejectQuote(q, fmt.Sprintf("%s review: %s", a.Stage, reason), out)
		return
	}
	switch a.Stage {
	case "commercial":
		if !out.Fire(c.machines, lc.Quote, q.id, "", &q.state, lc.Approve, "", "Approval Workflow") {
			return
		}
	case "customer":
		if !out.Fire(c.machines, lc.Quote, q.id, "", &q.state, lc.Accept, "customer sign-off", "Approval Workflow") {
			return
		}
		if q.order != nil {
			c.validate(q.order, out)
		} else if c.cfg.Retention > 0 {
			// It waits for its order: it leaves memory meanwhile, a
			// retention later.
			out.Send(engine.COM, engine.RetireAfter(out.Now(), c.cfg.Retention), retireQuote{q.id})
		}
		return
	}
	q.stage++
	c.nextStage(q, out)
}

func (c *COM) rejectQuote(q *quote, reason string, out *engine.Out) {
	q.reason = reason
	out.Fire(c.machines, lc.Quote, q.id, "", &q.state, lc.Reject, reason, "Approval Workflow")
	if q.order != nil {
		c.rejectOrder(q.order, "quote "+q.id+" rejected: "+reason, out)
		return // it leaves memory with its order
	}
	if c.cfg.Retention > 0 {
		out.Send(engine.COM, engine.RetireAfter(out.Now(), c.cfg.Retention), retireQuote{q.id})
	}
}

// siteVars are the catalog variables of a quote's site.
type siteVars struct {
	q *quote
	i int
	// over, when set, are the site's own tier and speed, where the quote
	// or a change made them differ from the quote's.
	over  *tierVars
	speed string
}

// Var implements catalog.Vars.
func (v siteVars) Var(name string) (string, bool) {
	q, s, ql := v.q, v.q.req.Sites[v.i], v.q.quals[v.i]
	if ql == nil {
		ql = &port.QualificationResult{}
	}
	switch name {
	case "site":
		return s.Code, true
	case "technology":
		return ql.Technology, true
	case "ipPool":
		return ql.IPPool, true
	case "oltArea":
		if ql.Technology == "GPON" {
			return ql.Area, true
		}
		return "", true
	case "p2pExchange":
		if ql.Technology != "GPON" {
			return ql.Exchange, true
		}
		return "", true
	}
	if v.over != nil {
		if name == "speed" {
			return v.speed, true
		}
		if val, ok := v.over.Var(name); ok {
			return val, true
		}
	}
	if o := q.offeringOf(v.i); o != q.offering { // a site of another offering
		switch name {
		case "offering.code":
			return o.Code, true
		case "cpe.model":
			return o.CPEModel, true
		}
	}
	return q.Var(name)
}

// Var implements catalog.Vars: the variables every site of the quote
// shares (commonNames), worked out from what the quote holds.
func (q *quote) Var(name string) (string, bool) {
	switch name {
	case "customer.code", "customer.number":
		return catalog.CustomerVar(q.req.Customer.ID, name)
	case "offering.code":
		return q.offering.Code, true
	case "speed":
		return q.req.Speed, true
	case "cpe.model":
		return q.offering.CPEModel, true
	}
	return q.tierVars.Var(name)
}

// commonNames are the names of the variables every site of a quote
// shares, sorted.
var commonNames = []string{"cpe.model", "customer.code", "customer.number", "offering.code", "speed",
	"tier", "tier.availability", "tier.latencyMs", "tier.lossPct", "tier.restore"}

// tierVars are a tier's catalog variables, formatted once a tier
// (COM.tierVarsOf) and shared by the quotes and sites of that tier.
type tierVars struct {
	name, availability, restore, latencyMs, lossPct string
}

// newTierVars formats t's variables.
func newTierVars(t *catalog.SLATier) *tierVars {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return &tierVars{name: t.Name, availability: f(t.Availability), restore: strconv.Itoa(int(t.Restore.Hours())) + "hr",
		latencyMs: f(t.LatencyMs), lossPct: f(t.LossPct)}
}

// Var implements catalog.Vars.
func (t *tierVars) Var(name string) (string, bool) {
	switch name {
	case "tier":
		return t.name, true
	case "tier.availability":
		return t.availability, true
	case "tier.restore":
		return t.restore, true
	case "tier.latencyMs":
		return t.latencyMs, true
	case "tier.lossPct":
		return t.lossPct, true
	}
	return "", false
}

// tierVarsOf are t's variables, formatted on first use.
func (c *COM) tierVarsOf(t *catalog.SLATier) *tierVars {
	v := c.tierVars[t]
	if v == nil {
		v = newTierVars(t)
		c.tierVars[t] = v
	}
	return v
}

// SignedAhead counts the approval decisions COM found signed, or begun,
// ahead (Anticipate).
func (c *COM) SignedAhead() uint64 { return c.ahead.Matched() }
