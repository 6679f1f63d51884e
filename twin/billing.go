package twin

import (
	"slices"
	"time"
)

// BillingRecord is a site's billing as the billing system activated it.
type BillingRecord struct {
	Item    string
	Site    string
	Monthly float64
	From    time.Duration
	// Stop marked the end of a site's billing (a disconnect) in the
	// snapshots of earlier builds, which kept every record: read when one
	// is restored, never kept.
	Stop bool
}

// billing is the billing system's book: the subscriptions billed now, in
// order of activation. A disconnected site's leave it, so that a server
// that connects as many sites as it disconnects keeps a book of the same
// size (it kept every activation and every stop: 10 MB of a snapshot after
// 30,000 orders of a churn soak).
type billing struct {
	active []BillingRecord
	// at finds a site's records in active; gone counts the records
	// left in active as holes (Site ""), squeezed out when they are half.
	at   map[string][]int
	gone int
}

// bill applies a record: an activation is added, a stop ends every
// subscription of its site.
func (b *billing) bill(r BillingRecord) {
	if b.at == nil {
		b.at = map[string][]int{}
	}
	if !r.Stop {
		b.at[r.Site] = append(b.at[r.Site], len(b.active))
		b.active = append(b.active, r)
		return
	}
	for _, i := range b.at[r.Site] {
		b.active[i] = BillingRecord{}
		b.gone++
	}
	delete(b.at, r.Site)
	if b.gone > len(b.active)/2 {
		b.squeeze()
	}
}

// squeeze takes the holes out of active.
func (b *billing) squeeze() {
	b.active = slices.DeleteFunc(b.active, func(r BillingRecord) bool { return r.Site == "" })
	b.gone = 0
	clear(b.at)
	for i, r := range b.active {
		b.at[r.Site] = append(b.at[r.Site], i)
	}
}

// records returns the subscriptions billed now, in order of activation.
func (b *billing) records() []BillingRecord {
	if b.gone > 0 {
		b.squeeze()
	}
	return slices.Clone(b.active)
}

// Billing returns the subscriptions the billing system bills now, in order
// of activation: a disconnected site's are gone.
func (t *Twin) Billing() []BillingRecord { return t.billing.records() }
