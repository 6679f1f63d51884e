package twin

import "github.com/ordertwin/ordertwin/core/port"

// UseLedger makes the twin take every slot it hands out in l.
func (t *Twin) UseLedger(l port.Ledger) {
	t.ledger = l
	t.pools(func(name string, s *slots) { s.name = name })
}

// take takes a slot of s for the call with key: the first free one, or
// with a ledger, the one the ledger gives key, counted in c (none when
// c.Name is empty). A slot free in the ledger is free here (the twin
// marks only its own and the network's occupancy), so a pool full here
// is not asked.
func (t *Twin) take(s *slots, key string, c port.Capacity) (int, bool) {
	if t.ledger == nil || key == "" {
		return s.take()
	}
	_, i, ok := t.takeFirst([]*slots{s}, key, c)
	return i, ok
}

// takeFirst takes for key, in the ledger, a slot of the first of pools
// that has one (those full here are not asked), counted in c; it returns
// the pool's index and the slot.
func (t *Twin) takeFirst(pools []*slots, key string, c port.Capacity) (pool, slot int, ok bool) {
	var asked []port.Pool
	var of []int
	for i, s := range pools {
		if s.hasFree() {
			asked = append(asked, port.Pool{Name: s.name, Slots: len(s.used), Occupied: s.occupied()})
			of = append(of, i)
		}
	}
	if len(asked) == 0 {
		return 0, 0, false
	}
	name, i, ok := t.ledger.Take(key, asked, c)
	if !ok {
		return 0, 0, false
	}
	for j, p := range asked {
		if p.Name == name && i >= 0 && i < p.Slots {
			s := pools[of[j]]
			s.used[i] = true
			s.setMine(i, true)
			return of[j], i, true
		}
	}
	return 0, 0, false // an answer for a pool not asked: none
}

// give gives the slot of rel back, for the release with key.
func (t *Twin) give(rel release, key string) {
	rel.give()
	if t.ledger != nil && key != "" {
		t.ledger.Give(key, rel.slots.name, rel.i)
	}
}

// hold asks the ledger, if the twin has one, for a unit of the capacity
// that serves a (ar's) for req's site: false when the ledger has none
// left.
func (t *Twin) hold(req *port.Request, a *Address, ar *area) bool {
	if t.ledger == nil || req.Key == "" {
		return true
	}
	return t.ledger.Hold(req.Key, t.ledgerCapacity(req, a, ar))
}

// ledgerCapacity is the capacity that serves a (in ar) as a ledger counts
// it, for req's site; none without a ledger.
func (t *Twin) ledgerCapacity(req *port.Request, a *Address, ar *area) port.Capacity {
	if t.ledger == nil {
		return port.Capacity{}
	}
	c := port.Capacity{Holder: holder(req)}
	if a.Technology == "GPON" {
		c.Name = "area " + ar.cfg.ID
		for _, o := range ar.olts {
			for _, card := range o.cards {
				c.Units += card.ports.units()
			}
		}
		return c
	}
	c.Name = "exchange " + ar.exchange.cfg.ID
	c.Units = ar.exchange.p2p.units()
	return c
}

// hasFree tells whether a slot is free.
func (s *slots) hasFree() bool {
	for i := s.next; i < len(s.used); i++ {
		if !s.used[i] {
			return true
		}
	}
	return false
}

// occupied are the slots in use that are not the twin's: the network's
// occupancy and what was written off.
func (s *slots) occupied() []int {
	var out []int
	for i, used := range s.used {
		if used && !s.isMine(i) {
			out = append(out, i)
		}
	}
	return out
}

// units counts the slots that are not occupied: the twin's, and those
// free.
func (s *slots) units() int {
	n := 0
	for i, used := range s.used {
		if !used || s.isMine(i) {
			n++
		}
	}
	return n
}
