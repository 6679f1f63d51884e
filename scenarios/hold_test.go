package scenarios

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/store"
)

// tightBrisbane is the worked example with two free ports in BNE-CBD
// (OLT-BNE-07 LC1 ports 1-14 of 16 in use): revalidation holds both, for
// BNE1 and BNE2.
func tightBrisbane(t *testing.T) Spec {
	t.Helper()
	sc := load(t, globaltech)
	spec := sc.Spec
	net := *spec.Network
	net.OLTs = append(net.OLTs[:0:0], net.OLTs...)
	for i, o := range net.OLTs {
		if o.ID == "OLT-BNE-07" {
			o.LineCards = append(o.LineCards[:0:0], o.LineCards...)
			o.LineCards[0].Occupied = "1-14"
			net.OLTs[i] = o
		}
	}
	spec.Network = &net
	spec.Events = nil
	return spec
}

// held is the capacity the twin holds for orders since revalidation, over
// every exchange.
func held(s *System) int {
	n := 0
	for _, x := range s.Twin.Use().Exchanges {
		n += x.Held
	}
	return n
}

// anotherCustomer quotes one Brisbane site for a customer of its own.
func anotherCustomer(spec Spec) com.QuoteRequest {
	q := spec.Orders[0].Quote
	q.ID, q.Key = "", "another"
	q.Customer = com.Customer{ID: "CUST-ENT-2001", Name: "Another Pty Ltd", Account: q.Customer.Account}
	q.Waves = q.Waves[:1]
	q.Sites = []com.Site{{Code: "BNE-A", Name: "Another Brisbane", Wave: q.Waves[0].Name, Address: "Level 3, 71 Eagle Street, Brisbane QLD 4000"}}
	return q
}

// Reference: TMF622 cancelProductOrder, and docs/architecture.md §5: "a
// failed or cancelled site gives back everything it held". The capacity a
// revalidation holds for a site is given back when the site is cancelled
// without being built: before its revalidation answers (the late answer
// is taken, not refused), after it, with the site's wave not yet sent or
// in SOM and ROM before its bearer was reserved, or mid-rollout. The hold
// count returns to zero, a restart from a snapshot on the way ends in the
// same state, and another customer's quote for the freed port is accepted
// (before, the hold stayed for ever: "no OLT capacity at serving
// exchange").
func TestCancelGivesBackHeldCapacity(t *testing.T) {
	for _, c := range []struct {
		name   string
		at     time.Duration
		site   string
		holds  int // the twin's holds when the cancellation comes
		states map[string]string
	}{
		// Approvals end at T+1h, the credit check at T+1h30m; the
		// revalidations answer at T+2h.
		{name: "revalidation out", at: 105 * time.Minute, holds: 5, states: map[string]string{"MELB": lc.Cancelled, "BNE1": lc.Cancelled}},
		{name: "one site while its revalidation is out", at: 105 * time.Minute, site: "BNE2", holds: 5, states: map[string]string{"MELB": lc.Completed, "BNE1": lc.Completed, "BNE2": lc.Cancelled}},
		{name: "revalidated, pilot in flight", at: 150 * time.Minute, holds: 5, states: map[string]string{"MELB": lc.Cancelled, "BNE2": lc.Cancelled}},
		{name: "mid-rollout", at: 21 * day, holds: 0, states: map[string]string{"MELB": lc.Completed, "BNE1": lc.Cancelled, "BNE2": lc.Cancelled}},
		{name: "one site before its wave", at: 10 * day, site: "BNE2", holds: 2, states: map[string]string{"BNE1": lc.Completed, "BNE2": lc.Cancelled}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := tightBrisbane(t)
			spec.Events = []Event{{At: c.at, Cancel: &com.Cancel{Site: c.site, Reason: "changed our mind"}}}

			s := runTo(t, spec, Options{Journal: store.NewMemory()}, c.at-time.Second)
			require.Equal(t, c.holds, held(s), "held before the cancellation")
			snap, err := s.Engine.Snapshot()
			require.NoError(t, err)
			restarted, err := New(spec, Options{Journal: store.NewMemory()})
			require.NoError(t, err)
			require.NoError(t, restarted.Engine.Restore(snap))

			whole, err := New(spec, Options{Journal: store.NewMemory()})
			require.NoError(t, err)
			for _, sys := range []*System{whole, restarted} {
				require.NoError(t, sys.Engine.Run(context.Background()))
				for site, want := range c.states {
					assert.Equal(t, want, itemState(sys, site), site)
				}
				assert.Zero(t, sys.Engine.Refusals(), "no answer refused (a late revalidation's included)")
				assert.Zero(t, held(sys), "every hold given back or used up")
			}
			end, err := whole.Engine.Snapshot()
			require.NoError(t, err)
			last, err := restarted.Engine.Snapshot()
			require.NoError(t, err)
			assert.Equal(t, end.Body, last.Body, "restarted from before the cancellation, the end state is the whole run's")

			q := anotherCustomer(spec)
			whole.Engine.Inject(whole.Engine.Now()+time.Hour, engine.COM, q)
			require.NoError(t, whole.Engine.Run(context.Background()))
			quotes := whole.COM.Quotes()
			got := quotes[len(quotes)-1]
			assert.Equal(t, q.Customer.ID, got.Customer.ID)
			assert.Equal(t, lc.Accepted, got.State, "another customer quotes the freed port: %s", got.Reason)
		})
	}
}

// itemState is the state of the order item of site in the system's only
// rollout.
func itemState(s *System, site string) string {
	for _, po := range s.COM.Orders() {
		for _, it := range po.Items {
			if it.Place.ID == site {
				return it.State
			}
		}
	}
	return ""
}

// Every scenario of the library ends holding no capacity: each site held
// at revalidation either used its hold up (its bearer reserved) or gave
// it back as it ended without being built (rejected, cancelled before or
// after revalidation, failed, removed before it went live). Before, those
// that cancel or fail sites (pilot-fails, remove-site, the retailer's
// shortage, the co-op's selectors) kept a unit held for each such site
// for ever.
func TestScenariosEndHoldingNothing(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			sc := load(t, file)
			s, err := New(sc.Spec, Options{Journal: store.NewMemory()})
			require.NoError(t, err)
			require.NoError(t, s.Engine.Run(context.Background()))
			for _, po := range s.COM.Orders() {
				for _, it := range po.Items {
					require.True(t, lc.IsFinal(lc.ProductOrderItem, it.State), "%s %s is %s", po.ID, it.ID, it.State)
				}
			}
			assert.Zero(t, held(s))
			assert.Zero(t, s.Engine.Refusals())
		})
	}
}

// A site held for capacity and given up by a person (compensate) ends
// failed holding nothing, and so does the order's every other site.
func TestSiteGivenUpHoldsNothing(t *testing.T) {
	s := newActed(t, acted{file: "brisbane-capacity.yaml", at: 26 * day,
		act: operator.Action{Key: "k1", Kind: operator.Compensate, Item: "TASK-001", By: "olivia", Note: "no line card this year"}},
		Options{Journal: store.NewMemory()})
	require.NoError(t, s.Engine.Run(context.Background()))
	require.Len(t, s.COM.Actions(), 1)
	assert.Equal(t, lc.Failed, itemState(s, "BNE2"))
	assert.Equal(t, lc.Partial, s.COM.Orders()[0].State)
	assert.Zero(t, held(s))
	assert.Zero(t, s.Engine.Refusals())
}

// A site held for capacity, cancelled while its revalidation after the
// build is out, gives back what that revalidation held when it answers.
func TestCancelWhileRevalidatingAfterTheBuild(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	sc.Spec.Events = append(sc.Spec.Events, Event{At: 10 * time.Minute, After: "TASK-001 fulfilled", Cancel: &com.Cancel{Site: "BNE2"}})
	s, err := New(sc.Spec, Options{Journal: store.NewMemory()})
	require.NoError(t, err)
	require.NoError(t, s.Engine.Run(context.Background()))
	assert.Equal(t, lc.Cancelled, itemState(s, "BNE2"))
	assert.Zero(t, held(s))
	assert.Zero(t, s.Engine.Refusals())
}
