package com_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// worked loads the worked example; change edits it before the run.
func worked(t *testing.T, change func(sc *scenarios.Scenario)) *scenarios.Report {
	t.Helper()
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	sc.Expect = nil
	if change != nil {
		change(sc)
	}
	r, err := sc.Run(context.Background(), scenarios.Options{})
	require.NoError(t, err)
	return r
}

func quote(sc *scenarios.Scenario) *com.QuoteRequest { return &sc.Spec.Orders[0].Quote }

// Seed, Step 1: SLA & pricing: $1,800 vs $2,200 list, TCV = 36 × 5 × 1,800.
func TestPricing(t *testing.T) {
	r := worked(t, nil)
	assert.Equal(t, 324000.0, r.Quote.TCV)
	assert.Equal(t, 9000.0, r.Quote.Monthly)
	assert.Equal(t, 2200.0, r.Quote.ListPrice)
	require.Len(t, r.Quote.Approvals, 3)
	for i, stage := range []string{"technical", "commercial", "customer"} {
		assert.Equal(t, stage, r.Quote.Approvals[i].Stage)
		assert.Equal(t, "approved", r.Quote.Approvals[i].State)
	}
}

// The commercial review refuses a discount beyond the offering's authority:
// the quote and the order waiting on it are rejected.
func TestDiscountAuthority(t *testing.T) {
	r := worked(t, func(sc *scenarios.Scenario) {
		quote(sc).RateCard = "RC-ENT-2024-STD"
		quote(sc).Monthly = 2200 * 0.7
		sc.Spec.Catalog.Offerings["PO-EFCG-01"].RateCards[1].Monthly = 1500
	})
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Contains(t, r.Quote.Reason, "commercial review: discount 30.0% exceeds the 25.0% authority")
	assert.Equal(t, "rejected", r.Outcome)
	assert.Equal(t, "rejected", r.Quote.Approvals[1].State)
	assert.Equal(t, "pending", r.Quote.Approvals[2].State)
	assert.Empty(t, r.ServiceOrders)
}

// Seed, Step 2: credit check against the account's limit.
func TestCreditRefused(t *testing.T) {
	r := worked(t, func(sc *scenarios.Scenario) { sc.Spec.Network.Credit[0].Limit = 300000 })
	assert.Equal(t, "accepted", r.Quote.State)
	assert.Equal(t, "rejected", r.Outcome)
	for _, it := range r.ProductOrders[0].Items {
		assert.Equal(t, "rejected", it.State)
		assert.Equal(t, "credit check: order value 324000 exceeds the remaining limit 300000", it.StateReason)
	}
	assert.Empty(t, r.ServiceOrders, "nothing reaches SOM")
	assert.Empty(t, r.Resources, "nothing is allocated")
}

// The worked example's what-if, first half: Brisbane Office 2 fails
// feasibility revalidation (no OLT capacity); its item is held with the
// reason, the other four sites go on, Wave 2 runs with Brisbane Office 1
// only, billing runs per site, and the held site keeps the order in
// progress.
func TestRevalidationHoldsOneSite(t *testing.T) {
	r := worked(t, func(sc *scenarios.Scenario) {
		n := sc.Spec.Network
		for i := range n.OLTs {
			if n.OLTs[i].ID == "OLT-BNE-07" {
				n.OLTs[i].LineCards[0].Occupied = "1-15" // one port left for two sites
			}
		}
	})
	assert.Equal(t, "inProgress", r.Outcome)
	items := r.ProductOrders[0].Items
	assert.Equal(t, "held", items[4].State)
	assert.Equal(t, "resource exhaustion — no OLT capacity at serving exchange", items[4].StateReason)
	for _, it := range items[:4] {
		assert.Equal(t, "completed", it.State, it.Site)
	}
	require.Len(t, r.ServiceOrders, 3)
	assert.Equal(t, []string{"BNE1"}, r.ServiceOrders[2].Sites)
	assert.Equal(t, "completed", r.ServiceOrders[2].State)
	assert.Equal(t, 7200.0, r.Billing.Monthly, "4 sites at $1,800 while the fifth is pending")
	assert.Equal(t, 4, r.Counts.ResourceOrders)
}

// Contract validation: an order whose items do not match the quote is
// rejected with the reason.
func TestContractValidation(t *testing.T) {
	r := worked(t, func(sc *scenarios.Scenario) {
		sc.Spec.Epoch = sc.Spec.Epoch.AddDate(7, 0, 0) // rate card expired
	})
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Contains(t, r.Quote.Reason, "rate card RC-ENT-2024-NEG is not valid on 2031-06-03")
}

// Check names every fault of a quote request at once.
func TestCheck(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	c := com.New(com.Config{Catalog: sc.Spec.Catalog})
	q := *quote(sc)
	q.Speed, q.Term, q.Monthly = "10G-sym", 7, 0
	q.Waves = append(q.Waves, com.WavePlan{Name: "Extra", ServiceOrder: "SO-PILOT"}, com.WavePlan{Name: " ", ServiceOrder: "SO-BLANK"})
	err = c.Check(q)
	require.Error(t, err)
	for _, want := range []string{`speed "10G-sym" is not offered`, "term 7 months is not offered", "price 0: must be positive",
		`waves "Pilot" and "Extra" share the service order name "SO-PILOT"`, "the rollout plan's wave 5 has no name"} {
		assert.ErrorContains(t, err, want)
	}

	// A price whose totals would not be numbers is refused: the quote's TCV
	// of 1e308 a month over 36 months would be +Inf, which no report or
	// API can write.
	q = *quote(sc)
	q.Monthly = 1e308
	q.Sites = slices.Clone(q.Sites)
	q.Sites[1].Monthly = math.Inf(1)
	err = c.Check(q)
	assert.ErrorContains(t, err, "price 1e+308: over the most a site may be charged a month (1e+09)")
	assert.ErrorContains(t, err, "site SYD1: price +Inf: over the most a site may be charged a month")
}

// Check names the faults of version 2 quotes too: a site's tier, speed
// and price, and the gates of the plan.
func TestCheckPerSiteAndGates(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	c := com.New(com.Config{Catalog: sc.Spec.Catalog})
	q := *quote(sc)
	q.Sites = append([]com.Site(nil), q.Sites...)
	q.Waves = append([]com.WavePlan(nil), q.Waves...)
	q.Sites[0].Tier, q.Sites[1].Speed, q.Sites[2].Monthly = "Bronze", "10G-sym", -1
	q.Waves[1].After = []com.Gate{{Wave: "Pilto", On: com.GateCompleted}}
	q.Waves[2].After = []com.Gate{{Wave: "Pilot", On: "done"}, {Wave: "Wave 1", On: com.GateSites, Share: 1.5}, {Wave: "Wave 2", On: com.GateCompleted}}
	err = c.Check(q)
	require.Error(t, err)
	for _, want := range []string{`site MELB: SLA tier "Bronze" is not offered`, `site SYD1: speed "10G-sym" is not offered`,
		"site SYD2: price -1: must be positive", `wave Wave 1: gate on wave "Pilto", which is not in the rollout plan`,
		`wave Wave 2: gate on Pilot: "done": want completed, slaValidated or sites`,
		"wave Wave 2: gate on Wave 1: a share of sites over 0 and at most 100%", "wave Wave 2: gate on itself"} {
		assert.ErrorContains(t, err, want)
	}
}

// A site of another offering is checked against it: its tier and speed
// (its own or the quote's it takes), the quote's term, a rate card of it,
// and one currency for the quote.
func TestCheckSiteOfAnotherOffering(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	cat := *sc.Spec.Catalog
	cat.Offerings = maps.Clone(cat.Offerings)
	nzd := *cat.Offerings["PO-EFCP-01"]
	nzd.ID, nzd.Currency = "PO-EFCP-NZ", "NZD"
	cat.Offerings[nzd.ID] = &nzd
	c := com.New(com.Config{Catalog: &cat})
	q := *quote(sc)
	q.Sites = append([]com.Site(nil), q.Sites...)
	q.Term = 24
	q.Sites[0].Offering = "PO-EFCP-01"                                         // Gold 500M, 24 months and no card: four faults
	q.Sites[1].Offering, q.Sites[1].RateCard = "PO-EFCP-01", "RC-ENT-2024-NEG" // the quote's card, not EFCP's
	q.Sites[2].Offering, q.Sites[2].RateCard, q.Sites[2].Tier, q.Sites[2].Speed = nzd.ID, "RC-PLAT-2025-NEG", "Platinum", "1G-sym"
	err = c.Check(q)
	require.Error(t, err)
	for _, want := range []string{
		"site MELB: term 24 months is not offered with PO-EFCP-01 (offered: 36, 60)",
		"site MELB: rateCard: missing: a site of offering PO-EFCP-01 is priced on a rate card of it",
		`site MELB: SLA tier "Gold" is not offered with PO-EFCP-01`,
		`site MELB: speed "500M-sym" is not offered with PO-EFCP-01`,
		`site SYD1: rate card "RC-ENT-2024-NEG" is not a rate card of PO-EFCP-01`,
		"site SYD2: PO-EFCP-NZ is priced in NZD, the quote's PO-EFCG-01 in AUD: a quote has one currency",
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.NotContains(t, err.Error(), "site BNE1", "a site of the quote's offering is the quote's")
}

// A site fails only once all its service order items are final, with the
// first failure as its reason. The failure policy gives the site up and
// releases what it held; a pilot with no site in service keeps the later
// waves behind their gate.
func TestSiteFailsWhenItsItemsAreFinal(t *testing.T) {
	r := worked(t, func(sc *scenarios.Scenario) {
		n := sc.Spec.Network
		for i := range n.QoSTemplates {
			if n.QoSTemplates[i].Name == "BW-500-500-GOLD-ENT" {
				n.QoSTemplates[i].Tier = "Bronze" // the pilot's QoS policy cannot be chosen
			}
		}
	})
	items := r.ProductOrders[0].Items
	assert.Equal(t, "failed", items[0].State)
	assert.Contains(t, items[0].StateReason, "no QoS template for 500 Mbps Gold")
	assert.Equal(t, "failed", r.ServiceOrders[0].State)
	// The later waves' gate can no longer open; with no decision by the
	// gate policy's deadline they are cancelled, and the order fails
	// (blocked.go).
	assert.Equal(t, "failed", r.Outcome, "the failed pilot ends the order once no one decides on its gate")
	for _, it := range items[1:] {
		assert.Equal(t, "cancelled", it.State, "%s never started", it.ID)
	}
	assert.Len(t, r.ServiceOrders, 1)
	for _, res := range r.Resources {
		assert.Equal(t, "released", res.State, "%s %s", res.Type, res.Value)
	}
}

// A service order event COM cannot apply (an item that is not the order's;
// a state the wave has already passed) is refused whole: the rollout runs
// exactly as without it, and the journal holds one refusal record more for
// each (docs/architecture.md §8: no input stops the engine; a refused input changes
// nothing).
func TestRefusedEventChangesNothing(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	journal := func(poison ...*tmf.OrderEvent) []store.Record {
		mem := store.NewMemory()
		sys, err := scenarios.New(sc.Spec, scenarios.Options{Journal: mem})
		require.NoError(t, err)
		for _, ev := range poison {
			sys.Engine.Inject(ev.At, engine.COM, ev)
		}
		require.NoError(t, sys.Run(context.Background()))
		return mem.Records()
	}
	clean := journal()
	const pilot = "PO-2024-01203/SO-PILOT"
	day := 24 * time.Hour
	poisoned := journal(
		&tmf.OrderEvent{At: 5 * day, Type: tmf.ServiceOrderItemStateChange, OrderID: "SO-001", ExternalID: pilot, State: "failed",
			Item: &tmf.ItemEvent{ID: "SOI-999", State: "failed", StateReason: "forged"}},
		&tmf.OrderEvent{At: 40 * day, Type: tmf.ServiceOrderStateChange, OrderID: "SO-001", ExternalID: pilot, State: "inProgress"},
	)
	var refused, rest []store.Record
	for _, r := range poisoned {
		if r.Kind == engine.Refused {
			refused = append(refused, r)
			continue
		}
		rest = append(rest, r)
	}
	assert.Equal(t, clean, rest, "the refused events changed nothing")
	require.Len(t, refused, 2)
	assert.Contains(t, refused[0].Reason, `service order item "SOI-999", not an item of SO-001`)
	assert.Contains(t, refused[1].Reason, `wave PO-2024-01203/Pilot: event "start" is not allowed in state "completed"`)
}

// A snapshot of an earlier build, which kept every jeopardy in one list,
// restores with each alert given to its order and numbered by its place:
// the same jeopardies and worklist, the snapshot taken again the same.
func TestRestoreTheJeopardiesOfAnEarlierBuild(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/pilot-sla-breach.yaml")
	require.NoError(t, err)
	s, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Engine.Run(context.Background()))
	require.NotEmpty(t, s.COM.Jeopardies())
	want, err := s.COM.Snapshot()
	require.NoError(t, err)
	earlier, err := com.EarlierSnapshot(s.COM)
	require.NoError(t, err)
	require.NotEqual(t, want, earlier)

	fresh, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	require.NoError(t, fresh.COM.Restore(earlier))
	assert.Equal(t, s.COM.Jeopardies(), fresh.COM.Jeopardies())
	assert.Equal(t, s.COM.Worklist(), fresh.COM.Worklist())
	again, err := fresh.COM.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, want, again, "restored, then saved as this build saves")
}

// cutClock stops a run before its first instant after at.
type cutClock struct{ at time.Duration }

var errCut = errors.New("cut")

func (c *cutClock) WaitUntil(_ context.Context, next time.Duration) error {
	if next > c.at {
		return errCut
	}
	return nil
}

// A snapshot of an earlier build, which kept the items of a wave not yet
// released whole in its service order, restores with them as this build
// keeps them: the snapshot taken again is this build's, byte for byte.
func TestRestoreTheWavesOfAnEarlierBuild(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	s, err := scenarios.New(sc.Spec, scenarios.Options{Clock: &cutClock{3 * 24 * time.Hour}})
	require.NoError(t, err)
	require.ErrorIs(t, s.Engine.Run(context.Background()), errCut)
	want, err := s.COM.Snapshot()
	require.NoError(t, err)
	earlier, moved, err := com.EarlierWaveSnapshot(s.COM)
	require.NoError(t, err)
	require.Positive(t, moved, "the cut leaves waves to release")

	fresh, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	require.NoError(t, fresh.COM.Restore(earlier))
	again, err := fresh.COM.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, want, again, "restored, then saved as this build saves")
}

// A quote from the API gives its waves' targets from the order
// (TargetsFromOrder): an order placed ten days in is due ten days later
// than one placed at T+0, where a scenario file's targets are from T+0.
func TestWaveTargetsFromTheOrder(t *testing.T) {
	targets := func(fromOrder bool) map[string]time.Duration {
		sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
		require.NoError(t, err)
		sc.Spec.Orders[0].At = 10 * 24 * time.Hour
		sc.Spec.Orders[0].Quote.TargetsFromOrder = fromOrder
		s, err := scenarios.New(sc.Spec, scenarios.Options{})
		require.NoError(t, err)
		require.NoError(t, s.Engine.Run(context.Background()))
		out := map[string]time.Duration{}
		for _, w := range s.COM.Waves() {
			out[w.Name] = w.Target
		}
		return out
	}
	day := 24 * time.Hour
	assert.Equal(t, map[string]time.Duration{"Pilot": 14 * day, "Wave 1": 30 * day, "Wave 2": 45 * day}, targets(false))
	assert.Equal(t, map[string]time.Duration{"Pilot": 24 * day, "Wave 1": 40 * day, "Wave 2": 55 * day}, targets(true))
}

// A snapshot of an earlier build, which kept no index of the sites in
// service and named an item's product only when it decomposed the item,
// restores with the index worked out from the products and orders in
// memory, when no order ever left it: at every instant of the worked
// example's first week and on to its end, the same product ids taken (in
// service, and being made by the items in flight, those validated and
// not yet decomposed too), the snapshot taken again this build's, byte
// for byte.
func TestRestoreTheSitesOfAnEarlierBuild(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	whole, err := scenarios.New(sc.Spec, scenarios.Options{Journal: store.NewMemory()})
	require.NoError(t, err)
	require.NoError(t, whole.Engine.Run(context.Background()))
	var at []time.Duration
	for _, r := range whole.Journal.(*store.Memory).Records() {
		if n := len(at); r.At < 7*24*time.Hour && (n == 0 || at[n-1] != r.At) {
			at = append(at, r.At)
		}
	}
	at = append(at, whole.Engine.Now())
	unnamed, inService, making := 0, 0, 0
	for _, cut := range at {
		s, err := scenarios.New(sc.Spec, scenarios.Options{Clock: &cutClock{cut}})
		require.NoError(t, err)
		if err := s.Engine.Run(context.Background()); err != nil {
			require.ErrorIs(t, err, errCut)
		}
		want, err := s.COM.Snapshot()
		require.NoError(t, err)
		earlier, n, err := com.EarlierSitesSnapshot(s.COM)
		require.NoError(t, err)
		unnamed += n

		fresh, err := scenarios.New(sc.Spec, scenarios.Options{})
		require.NoError(t, err)
		require.NoError(t, fresh.COM.Restore(earlier), "at %s", cut)
		taken := com.Taken(s.COM)
		assert.Equal(t, taken, com.Taken(fresh.COM), "at %s", cut)
		for _, by := range taken {
			if strings.HasSuffix(by, " making") {
				making++
			} else {
				inService++
			}
		}
		again, err := fresh.COM.Snapshot()
		require.NoError(t, err)
		assert.Equal(t, want, again, "at %s: restored, then saved as this build saves", cut)
	}
	assert.Positive(t, unnamed, "a cut between an order's validation and its decomposition")
	assert.Positive(t, inService, "a cut with sites in service")
	assert.Positive(t, making, "a cut with sites being made")
}

// A snapshot of an earlier build, which kept no index of the sites in
// service, taken once an order left memory for the store's shelf,
// restores with the products on the shelf that existed at its point and
// are not terminated: the same ids taken as the run had, the snapshot
// taken again this build's, byte for byte. A product the shelf holds
// from after the point is left out; with no shelf, the restore says why
// it cannot be done.
func TestRestoreTheSitesOfAnEarlierBuildFromTheShelf(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	s, err := scenarios.New(sc.Spec, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.Engine.Run(context.Background()))
	require.Empty(t, s.COM.Orders(), "the order left memory")
	want, err := s.COM.Snapshot()
	require.NoError(t, err)
	taken := com.Taken(s.COM)
	require.Len(t, taken, 5, "the five sites in service")
	earlier, _, err := com.EarlierSitesSnapshot(s.COM)
	require.NoError(t, err)
	shelf, ok := store.ShelfOf(s.Journal)
	require.True(t, ok)

	restored := func(shelf store.Shelf) (*scenarios.System, error) {
		fresh, err := scenarios.New(sc.Spec, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
		require.NoError(t, err)
		require.NoError(t, fresh.COM.Restore(earlier))
		return fresh, fresh.COM.RestoreShelf(shelf)
	}
	fresh, err := restored(shelf)
	require.NoError(t, err)
	assert.Equal(t, taken, com.Taken(fresh.COM))
	again, err := fresh.COM.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, want, again, "restored, then saved as this build saves")

	// The same products, shelved after the snapshot's point (created
	// later), are not taken; at it, they are.
	docs, err := shelf.ShelvedAll(com.ProductShelfKind)
	require.NoError(t, err)
	require.Len(t, docs, 5)
	made := uint64(0)
	for _, d := range docs {
		made = max(made, d.Ord)
	}
	for ord, want := range map[uint64]int{made: 5, made + 1: 0} {
		later := store.NewMemory()
		for _, d := range docs {
			d.Ord = ord
			require.NoError(t, later.Shelve([]store.Doc{d}))
		}
		fresh, err := restored(later)
		require.NoError(t, err)
		assert.Len(t, com.Taken(fresh.COM), want, "products created at %d, the snapshot's count %d", ord, made)
	}

	_, err = restored(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a build that kept no index of the sites in service, and product orders had left memory (1), but the store keeps no shelf")
}

// unlisted is a shelf that cannot list its items.
type unlisted struct{ *store.Memory }

func (unlisted) ShelvedItems(string, string, func(string) error) error {
	return errors.New("shelf: connection refused")
}

// A snapshot of an earlier build, taken once idempotency keys had left
// memory, kept no filter of them: every new key would be looked for on
// the shelf for ever. Restored, COM makes the filter again from the keys
// the shelf lists: the same filter the run kept.
func TestRefilterTheKeysOfAnEarlierBuild(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	spec := sc.Spec
	first := spec.Orders[0]
	spec.Orders = nil
	mem := store.NewMemory()
	s, err := scenarios.New(spec, scenarios.Options{Journal: mem, Retention: time.Hour})
	require.NoError(t, err)
	quote := first.Quote
	quote.ID, quote.Key = "QT-001", "crm-quote-7"
	s.Engine.Inject(0, engine.COM, quote)
	po := com.NewOrder(first.OrderID, quote, quote.ID)
	po.ExternalID = "CRM-7"
	s.Engine.Inject(first.At, engine.COM, com.OrderRequest{Order: po, Key: "crm-order-7"})
	require.NoError(t, s.Engine.RunUntil(context.Background(), 100*24*time.Hour))
	require.Empty(t, s.COM.Orders(), "the order left memory, with its keys")
	want, err := s.COM.Snapshot()
	require.NoError(t, err)
	earlier, err := com.EarlierKeysSnapshot(s.COM)
	require.NoError(t, err)

	restored := func(shelf store.Shelf) *com.COM {
		fresh, err := scenarios.New(spec, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
		require.NoError(t, err)
		require.NoError(t, fresh.COM.Restore(earlier))
		filtered, _ := com.KeyLeft(fresh.COM, "order crm-order-7")
		require.False(t, filtered, "the earlier build's snapshot keeps no filter")
		require.NoError(t, fresh.COM.RestoreShelf(shelf))
		return fresh.COM
	}
	c := restored(mem)
	for key, left := range map[string]bool{"order crm-order-7": true, "quote crm-quote-7": true,
		com.ExternalIDItem(quote.Customer.ID, "CRM-7"): true, "order crm-order-8": false, "quote crm-quote-8": false} {
		filtered, held := com.KeyLeft(c, key)
		assert.True(t, filtered)
		assert.Equal(t, left, held, key)
	}
	again, err := c.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, want, again, "the filter the run kept")

	c = restored(unlisted{mem})
	filtered, _ := com.KeyLeft(c, "order crm-order-8")
	assert.False(t, filtered, "a shelf that cannot list its keys leaves them unfiltered: each looked for, as before")
}
