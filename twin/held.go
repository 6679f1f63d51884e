package twin

import (
	"net/netip"
	"strconv"
	"strings"
)

// The twin keeps no table of the resources it reserved: a resource's id
// says where it is (a pool and a slot), and the slot says whether the twin
// holds it (slots.mine). So the twin's state grows with its network, not
// with the resources in service, and a restart restores the pools alone.

// placed is where a resource the twin may hold would be, by its id: the
// CE routers by serial number, the OLTs by id, each with its serving area.
type placed struct {
	serials map[string]release // a serial's stock slot
	olts    map[string]oltOf
}

// oltOf is an OLT and the serving area whose capacity its ports count in.
type oltOf struct {
	olt  *olt
	area *area
}

// index makes t.where from the network's pools: they do not change at
// run time (an expansion adds line cards to an OLT already known). The CE
// routers' serials, as many as the network stocks, are indexed at the first
// router given back (serialAt), not at every start.
func (t *Twin) index() {
	t.where = placed{olts: map[string]oltOf{}}
	for _, a := range t.areas {
		for _, o := range a.olts {
			t.where.olts[o.id] = oltOf{olt: o, area: a}
		}
	}
}

// held is the resource with id that the twin reserved and holds: its slot
// and the capacity count it was taken from. The id names its place (as the
// reserve made it): a CE router's serial number, <pool>-VLAN-<n>,
// <pool>-<prefix>, <OLT>-LC<slot>-P<port> or <exchange>-P2P-<port>; the
// slot must be one the twin took, and the id made anew from it must be
// id, so that no other spelling finds it.
func (t *Twin) held(id string) (release, bool) {
	for _, find := range []func(string) (release, string, bool){t.serialAt, t.vlanAt, t.handoffAt, t.portAt, t.subnetAt} {
		if rel, canonical, ok := find(id); ok && canonical == id && rel.slots.isMine(rel.i) {
			return rel, true
		}
	}
	return release{}, false
}

func (t *Twin) serialAt(id string) (release, string, bool) {
	if t.where.serials == nil {
		t.where.serials = map[string]release{}
		for _, p := range t.stock {
			for i, serial := range p.serials {
				t.where.serials[serial] = release{slots: &p.slots, i: i}
			}
		}
	}
	rel, ok := t.where.serials[id]
	return rel, id, ok
}

func (t *Twin) vlanAt(id string) (release, string, bool) {
	pool, n, ok := cutNumber(id, "-VLAN-")
	p := t.vlans[pool]
	if !ok || p == nil || n < p.lo || n-p.lo >= len(p.used) {
		return release{}, "", false
	}
	return release{slots: &p.slots, i: n - p.lo}, p.id + "-VLAN-" + strconv.Itoa(n), true
}

func (t *Twin) handoffAt(id string) (release, string, bool) {
	exchange, port, ok := cutNumber(id, "-P2P-")
	x := t.exchanges[exchange]
	if !ok || x == nil || port < 1 || port > len(x.p2p.used) {
		return release{}, "", false
	}
	return release{slots: &x.p2p, i: port - 1, capacity: &x.capacity}, x.cfg.ID + "-P2P-" + strconv.Itoa(port), true
}

func (t *Twin) portAt(id string) (release, string, bool) {
	rest, port, ok := cutNumber(id, "-P")
	if !ok {
		return release{}, "", false
	}
	oltID, slot, ok := cutNumber(rest, "-LC")
	o, known := t.where.olts[oltID]
	if !ok || !known {
		return release{}, "", false
	}
	for _, c := range o.olt.cards {
		if c.slot == slot && port >= 1 && port <= len(c.ports.used) {
			return release{slots: &c.ports, i: port - 1, capacity: &o.area.capacity},
				o.olt.id + "-LC" + strconv.Itoa(slot) + "-P" + strconv.Itoa(port), true
		}
	}
	return release{}, "", false
}

func (t *Twin) subnetAt(id string) (release, string, bool) {
	cut := strings.LastIndexByte(id, '-')
	if cut < 0 {
		return release{}, "", false
	}
	p := t.ips[id[:cut]]
	pfx, err := netip.ParsePrefix(id[cut+1:])
	if p == nil || err != nil || !pfx.Addr().Is4() || pfx.Bits() != p.size || addr4(pfx.Addr()) < p.base {
		return release{}, "", false
	}
	i := int((addr4(pfx.Addr()) - p.base) >> (32 - p.size))
	if i >= len(p.used) {
		return release{}, "", false
	}
	u := p.subnet(i)
	return release{slots: &p.slots, i: i}, p.id + "-" + netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}), p.size).String(), true
}

// writeOff lets the twin's CE router with serial go, lost or damaged: its
// slot stays in use (it never comes back to stock) and is no longer the
// twin's to give back.
func (t *Twin) writeOff(serial string) {
	if rel, ok := t.held(serial); ok {
		rel.slots.setMine(rel.i, false)
	}
}

// cutNumber splits s at the last sep into what comes before and the
// decimal number after it.
func cutNumber(s, sep string) (string, int, bool) {
	cut := strings.LastIndex(s, sep)
	if cut < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[cut+len(sep):])
	if err != nil || n < 0 || strconv.Itoa(n) != s[cut+len(sep):] {
		return "", 0, false
	}
	return s[:cut], n, true
}
