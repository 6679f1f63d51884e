package twin

import (
	"slices"
	"strconv"

	"github.com/ordertwin/ordertwin/core/port"
)

// MemoryLedger is a ledger in memory (port.Ledger) for the twins of
// several shards in one process (a test, a what-if): it answers as the
// PostgreSQL one does, a slot held by one key, each answer kept by the
// key and what it asked. It is not safe for concurrent use.
type MemoryLedger struct {
	held    map[string]map[int]string // pool → slot → key
	counted map[string]int            // capacity → slots taken in it
	holds   map[string]map[string]bool
	answers map[string]int
	taken   map[string]string
	in      map[string]string // pool and slot → the capacity it counts in
}

// NewMemoryLedger returns an empty ledger.
func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{held: map[string]map[int]string{}, counted: map[string]int{}, holds: map[string]map[string]bool{},
		answers: map[string]int{}, taken: map[string]string{}, in: map[string]string{}}
}

// Take implements port.Ledger.
func (m *MemoryLedger) Take(key string, pools []port.Pool, c port.Capacity) (string, int, bool) {
	asked := c.Name
	if asked == "" {
		asked = pools[0].Name
	}
	if a, ok := m.answers[key+" "+asked]; ok {
		return m.taken[key+" "+asked], a, a >= 0
	}
	slot, taken := -1, ""
	held := c.Name != "" && m.holds[c.Name][c.Holder]
	if c.Name == "" || held || c.Units-m.counted[c.Name]-len(m.holds[c.Name]) > 0 {
	pools:
		for _, p := range pools {
			for i := range p.Slots {
				if _, used := m.held[p.Name][i]; !used && !slices.Contains(p.Occupied, i) {
					slot, taken = i, p.Name
					break pools
				}
			}
		}
	}
	if slot >= 0 {
		if m.held[taken] == nil {
			m.held[taken] = map[int]string{}
		}
		m.held[taken][slot] = key
		if c.Name != "" {
			m.in[taken+" "+strconv.Itoa(slot)] = c.Name
			m.counted[c.Name]++
			delete(m.holds[c.Name], c.Holder)
		}
	}
	m.answers[key+" "+asked], m.taken[key+" "+asked] = slot, taken
	return taken, slot, slot >= 0
}

// Give implements port.Ledger.
func (m *MemoryLedger) Give(key, pool string, slot int) {
	if _, ok := m.answers[key+" give "+pool]; ok {
		return
	}
	m.answers[key+" give "+pool] = slot
	if _, ok := m.held[pool][slot]; !ok {
		return
	}
	delete(m.held[pool], slot)
	if c, ok := m.in[pool+" "+strconv.Itoa(slot)]; ok {
		delete(m.in, pool+" "+strconv.Itoa(slot))
		m.counted[c]--
	}
}

// Hold implements port.Ledger.
func (m *MemoryLedger) Hold(key string, c port.Capacity) bool {
	if a, ok := m.answers[key+" hold "+c.Name]; ok {
		return a > 0
	}
	ok := m.holds[c.Name][c.Holder] || c.Units-m.counted[c.Name]-len(m.holds[c.Name]) > 0
	if ok {
		if m.holds[c.Name] == nil {
			m.holds[c.Name] = map[string]bool{}
		}
		m.holds[c.Name][c.Holder] = true
		m.answers[key+" hold "+c.Name] = 1
	} else {
		m.answers[key+" hold "+c.Name] = -1
	}
	return ok
}

// Unhold implements port.Ledger.
func (m *MemoryLedger) Unhold(key string, c port.Capacity) {
	if _, ok := m.answers[key+" unhold "+c.Name]; ok {
		return
	}
	m.answers[key+" unhold "+c.Name] = 1
	delete(m.holds[c.Name], c.Holder)
}
