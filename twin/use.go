package twin

import (
	"cmp"
	"maps"
	"slices"
)

// Use is what the network has in use and free: ports per OLT and per
// exchange, VLANs and subnets per pool, routers per stock. Used counts
// what is occupied, the network file's pre-existing occupancy included;
// Held, the free capacity held for orders since their feasibility was
// revalidated.
type Use struct {
	OLTs      []OLTUse      `json:"olt"`
	Exchanges []ExchangeUse `json:"exchange"`
	VLANPools []PoolUse     `json:"vlanPool"`
	IPPools   []PoolUse     `json:"ipPool"`
	CPE       []PoolUse     `json:"cpe"`
}

// OLTUse is the ports of one OLT.
type OLTUse struct {
	ID       string `json:"id"`
	Area     string `json:"servingArea"`
	Exchange string `json:"exchange"`
	Ports    int    `json:"ports"`
	Used     int    `json:"used"`
	// Cards are its line cards, by slot.
	Cards []CardUse `json:"lineCard"`
}

// CardUse is the ports of one line card.
type CardUse struct {
	Slot  int `json:"slot"`
	Ports int `json:"ports"`
	Used  int `json:"used"`
}

// ExchangeUse is an exchange's P2P handoff ports and the OLT ports of the
// serving areas it serves.
type ExchangeUse struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	P2PPorts int    `json:"p2pPorts"`
	P2PUsed  int    `json:"p2pUsed"`
	OLTPorts int    `json:"oltPorts"`
	OLTUsed  int    `json:"oltUsed"`
	Held     int    `json:"held"`
}

// PoolUse is a pool of numbered things: VLAN ids, subnets, routers.
type PoolUse struct {
	ID   string `json:"id"`
	Kind string `json:"kind,omitempty"`
	Size int    `json:"size"`
	Used int    `json:"used"`
}

// Use reads what the network has in use now, each list sorted by id.
func (t *Twin) Use() Use {
	var u Use
	byExchange := map[string]*ExchangeUse{}
	for _, id := range slices.Sorted(maps.Keys(t.exchanges)) {
		x := t.exchanges[id]
		u.Exchanges = append(u.Exchanges, ExchangeUse{ID: id, Region: x.cfg.Region, P2PPorts: len(x.p2p.used),
			P2PUsed: x.p2p.inUse(), Held: x.capacity.held})
	}
	for i := range u.Exchanges {
		byExchange[u.Exchanges[i].ID] = &u.Exchanges[i]
	}
	for _, id := range slices.Sorted(maps.Keys(t.areas)) {
		a := t.areas[id]
		x := byExchange[a.cfg.Exchange]
		if x != nil {
			x.Held += a.capacity.held
		}
		for _, o := range a.olts {
			ou := OLTUse{ID: o.id, Area: id, Exchange: a.cfg.Exchange}
			for _, c := range o.cards {
				cu := CardUse{Slot: c.slot, Ports: len(c.ports.used), Used: c.ports.inUse()}
				ou.Cards = append(ou.Cards, cu)
				ou.Ports += cu.Ports
				ou.Used += cu.Used
			}
			if x != nil {
				x.OLTPorts += ou.Ports
				x.OLTUsed += ou.Used
			}
			u.OLTs = append(u.OLTs, ou)
		}
	}
	slices.SortFunc(u.OLTs, func(a, b OLTUse) int { return cmp.Compare(a.ID, b.ID) })
	for _, id := range slices.Sorted(maps.Keys(t.vlans)) {
		p := t.vlans[id]
		u.VLANPools = append(u.VLANPools, PoolUse{ID: id, Kind: p.kind, Size: len(p.used), Used: p.inUse()})
	}
	for _, id := range slices.Sorted(maps.Keys(t.ips)) {
		p := t.ips[id]
		u.IPPools = append(u.IPPools, PoolUse{ID: id, Size: len(p.used), Used: p.inUse()})
	}
	for _, id := range slices.Sorted(maps.Keys(t.stock)) {
		p := t.stock[id]
		u.CPE = append(u.CPE, PoolUse{ID: id, Size: len(p.used), Used: p.inUse()})
	}
	return u
}

// inUse counts the slots in use.
func (s *slots) inUse() int {
	n := 0
	for _, used := range s.used {
		if used {
			n++
		}
	}
	return n
}
