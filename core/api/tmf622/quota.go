package tmf622

import (
	"slices"
	"sync"

	"github.com/ordertwin/ordertwin/core/com"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// DefaultOrderQuota is how many product orders a party may have in flight
// (not yet completed, failed, cancelled or partial) when Quota.Max does
// not say.
const DefaultOrderQuota = 1000

// Quota is how many product orders a party may have in flight when a
// caller bound to it places one (Max; 0: DefaultOrderQuota), and the
// orders each party has in flight: one more is a 429.
type Quota struct {
	Max      int
	InFlight *InFlight
}

func (q Quota) max() int {
	if q.Max > 0 {
		return q.Max
	}
	return DefaultOrderQuota
}

// InFlight keeps, per party, the product orders it may still have in
// flight: found by one look through every order the first time the party
// is asked about, then kept up by the orders placed through the API, each
// dropped once it has ended. So a check costs what the party has in
// flight, not what COM has ever held.
type InFlight struct {
	mu      sync.Mutex
	byParty map[string]map[string]bool // party → order ids
}

// count counts party's product orders that have not ended. An order's
// party is its customer (relatedParty, role customer), which the API
// checks against the caller when it is placed. It runs on the engine's
// goroutine.
func (f *InFlight) count(c *com.COM, party string) (n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids, known := f.byParty[party]
	if !known {
		ids = map[string]bool{}
		for _, po := range c.Orders() {
			if customerIs(po, party) {
				ids[po.ID] = true
			}
		}
		if f.byParty == nil {
			f.byParty = map[string]map[string]bool{}
		}
		f.byParty[party] = ids
	}
	for id := range ids {
		po := c.Order(id)
		if po == nil || lc.IsFinal(lc.ProductOrder, po.State) {
			delete(ids, id)
			continue
		}
		n++
	}
	return n
}

// hasOrder tells whether party has a product order with externalID (a
// retry of it, which the quota does not hold back). It runs on the
// engine's goroutine, only for a party at its quota.
func (s ordering) hasOrder(party, externalID string) bool {
	if externalID == "" {
		return false
	}
	if _, ok := s.n.COM.OrderByExternalID(party, externalID); ok {
		return true
	}
	if s.n.Shelf == nil {
		return false
	}
	_, ok, err := s.n.Shelf.Owner(com.ShelfKind, com.ExternalIDItem(party, externalID))
	return ok && err == nil
}

func customerIs(po *tmf.ProductOrder, party string) bool {
	return slices.ContainsFunc(po.RelatedParty, func(r tmf.Ref) bool { return r.Role == "customer" && r.ID == party })
}

// placed adds order id, just placed for party.
func (f *InFlight) placed(party, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ids := f.byParty[party]; ids != nil {
		ids[id] = true
	}
}
