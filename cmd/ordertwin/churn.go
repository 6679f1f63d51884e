package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
)

// churn recycles a soak's sites (bench --soak --churn K): the network is
// built for K customers' sites, K slots; order n is placed for a customer
// of its own on the sites of slot n mod K, once the order before it on
// those sites has completed and every one of its sites has been
// disconnected. What is in service, the network and the twin then stay
// the size of K customers however many orders the soak places: the steady
// state of a live service, which connects as many sites as it
// disconnects.
type churn struct {
	slots, sites int
	e            *engine.Engine
	log          *slog.Logger

	mu sync.Mutex
	// freed holds, by order number, what the next order on its slot waits
	// for.
	freed map[int]*slotFreed
	// left counts, by connect order number, its sites not yet disconnected.
	left map[int]int
	// queue is the final product orders observed and not yet acted on;
	// ready says there are some.
	queue []store.Record
	ready chan struct{}

	// waited counts the orders placed late because the order before them
	// on their sites had not freed them yet; lost the slots given up (an
	// order or a disconnect that did not complete: its sites are not
	// reused); skipped the orders not placed for that; disconnected the
	// sites disconnected.
	waited, lost, skipped, disconnected atomic.Int64
}

// slotFreed is closed once a slot's sites are free for its next order;
// lost then says they never will be.
type slotFreed struct {
	done  chan struct{}
	freed bool // done is closed
	taken bool // the slot's next order holds it
	lost  bool
}

func newChurn(slots, sites int, e *engine.Engine, log *slog.Logger) *churn {
	return &churn{slots: slots, sites: sites, e: e, log: log, freed: map[int]*slotFreed{}, left: map[int]int{},
		ready: make(chan struct{}, 1)}
}

// placement is order n's quote and order on its slot's sites, placed at
// virtual time at: a customer of its own (its product instances are its
// own), the slot's billing account (the network's credit accounts are the
// slots'), changes of different sites in flight together (its sites are
// disconnected together).
func (c *churn) placement(pop *scenarios.Population, n int, at time.Duration) (scenarios.Placement, error) {
	p, err := pop.Placement(n%c.slots, at)
	if err != nil {
		return p, err
	}
	cust := fmt.Sprintf("CUST-ENT-%07d", n)
	p.Quote.ID, p.OrderID = fmt.Sprintf("QT-%07d", n), orderOf(n)
	p.Quote.Customer.ID, p.Quote.Customer.Name = cust, "Customer "+cust
	p.Quote.ChangesPerSite = true
	return p, nil
}

// orderOf is the id of the soak's order n.
func orderOf(n int) string { return fmt.Sprintf("PO-%07d", n) }

// take registers order n on its slot, and returns what it must wait for
// before it is placed (nil: nothing). Call it in order of n.
func (c *churn) take(n int) *slotFreed {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.freed[n] = &slotFreed{done: make(chan struct{})}
	before := c.freed[n-c.slots]
	if before != nil {
		before.taken = true
		if before.freed {
			delete(c.freed, n-c.slots)
		}
	}
	return before
}

// wait waits until order n's slot is free; false when it never will be
// (the order is skipped) or ctx ended.
func (c *churn) wait(ctx context.Context, n int, before *slotFreed) bool {
	if before == nil {
		return true
	}
	select {
	case <-before.done:
	default:
		c.waited.Add(1)
		select {
		case <-before.done:
		case <-ctx.Done():
			c.free(n, false) // not lost: the soak stops
			return false
		}
	}
	if before.lost {
		c.skipped.Add(1)
		c.free(n, false) // its slot stays lost: so do those after it
		return false
	}
	return true
}

// lose gives order n's sites up: an order or a disconnect of it did not
// complete.
func (c *churn) lose(n int) {
	c.lost.Add(1)
	c.free(n, false)
}

// free says order n's sites are free (or, with ok false, never will be),
// once.
func (c *churn) free(n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.freed[n]
	if f == nil || f.freed {
		return
	}
	f.freed, f.lost = true, !ok
	close(f.done)
	if f.taken {
		delete(c.freed, n)
	}
}

// observe queues the final product orders of a step (the engine's
// observer: it must not wait).
func (c *churn) observe(r store.Record) {
	if lc.Kind(r.Kind) != lc.ProductOrder || !lc.IsFinal(lc.ProductOrder, r.To) {
		return
	}
	c.mu.Lock()
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// run acts on the final product orders observed until ctx ends: a connect
// order completed has its sites disconnected; the last disconnect of an
// order completed frees its slot.
func (c *churn) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.ready:
		}
		c.mu.Lock()
		queue := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, r := range queue {
			c.finished(ctx, r)
		}
	}
}

// finished acts on product order r, final.
func (c *churn) finished(ctx context.Context, r store.Record) {
	base, _, disconnect := strings.Cut(r.Entity, "-D")
	n, err := strconv.Atoi(strings.TrimPrefix(base, "PO-"))
	if err != nil {
		return // not the soak's
	}
	switch {
	case !disconnect && r.To == lc.Rejected:
		c.free(n, true) // it took nothing
	case !disconnect && r.To != lc.Completed:
		c.lose(n)
	case !disconnect:
		c.mu.Lock()
		c.left[n] = c.sites
		c.mu.Unlock()
		for s := range c.sites {
			go c.disconnect(ctx, n, fmt.Sprintf("S%02d", s+1))
		}
	default:
		c.mu.Lock()
		left, ok := c.left[n]
		if ok && r.To == lc.Completed {
			left--
			c.left[n] = left
		}
		if ok && (left == 0 || r.To != lc.Completed) {
			delete(c.left, n)
		}
		c.mu.Unlock()
		switch {
		case !ok:
		case r.To != lc.Completed:
			c.lose(n)
		case left == 0:
			c.free(n, true)
		}
		if r.To == lc.Completed {
			c.disconnected.Add(1)
		}
	}
}

// disconnect asks for site of order n to be disconnected, as the product
// order API's delete item does.
func (c *churn) disconnect(ctx context.Context, n int, site string) {
	id := orderOf(n)
	_, err := c.e.Command(ctx, engine.COM, com.Remove{Order: id, Site: site, Reason: "churn: the site is disconnected", Key: id + "/" + site + "/churn"})
	if err == nil || ctx.Err() != nil {
		return
	}
	c.log.Warn("soak: site not disconnected: its sites are not reused", "order", id, "site", site, "err", err.Error())
	c.mu.Lock()
	_, ok := c.left[n]
	delete(c.left, n)
	c.mu.Unlock()
	if ok {
		c.lose(n)
	}
}
