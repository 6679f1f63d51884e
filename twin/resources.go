package twin

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

func exhausted(msg string) *port.Error {
	return &port.Error{Class: port.Exhausted, Code: "capacityExhausted", Message: msg}
}

// bearerTechnology is the access technology each bearer type serves.
func bearerTechnology(resourceType string) string {
	if resourceType == "OLTPort" {
		return "GPON"
	}
	return "P2P-Ethernet"
}

// reserve picks and holds one resource for req, into r.
func (t *Twin) reserve(req *port.Request, r *tmf.Resource) *port.Error {
	a, ar, err := t.lookup(req.Place)
	if err != nil {
		return err
	}
	*r = tmf.Resource{ResourceType: req.ResourceType, State: "reserved", Place: req.Place}
	// A resource is held by the slot it takes (slots.mine): its id says
	// where it is when it is given back (held.go).
	switch req.ResourceType {
	case "OLTPort", "P2PHandoff":
		if want := bearerTechnology(req.ResourceType); a.Technology != want {
			return &port.Error{Class: port.Invalid, Code: "wrongTechnology",
				Message: fmt.Sprintf("address %q is served by %s: no %s there", a.Address, a.Technology, req.ResourceType)}
		}
		c, why := capacityOf(a, ar)
		held := t.holds[holder(req)] == c
		if !held && c.available() <= 0 {
			return exhausted("resource exhaustion — " + why)
		}
		if req.ResourceType == "OLTPort" {
			err = t.takeOLTPort(ar, r, req.Key, t.ledgerCapacity(req, a, ar))
		} else {
			err = t.takeHandoff(ar.exchange, r, req.Key, t.ledgerCapacity(req, a, ar))
		}
		if err != nil {
			return err
		}
		if held {
			c.held--
			delete(t.holds, holder(req))
		}
		c.free--
	case "VLAN":
		if err = t.takeVLAN(t.vlans[ar.cfg.VLANPool], r, req.Key); err != nil {
			return err
		}
	case "IPv4Subnet":
		if err = t.takeSubnet(t.ips[ar.cfg.IPPool], r, req.Key); err != nil {
			return err
		}
	case "QoSPolicy":
		name, err := t.qosTemplate(req.Characteristics)
		if err != nil {
			return err
		}
		r.ID = t.answers.join(name, "-", req.Item)
		r.Value = name
		x := ar.exchange
		if x.qosChars == nil {
			x.qosChars = tmf.Characteristics{{Name: "bng", Value: x.cfg.BNG}, {Name: "cir", Value: "true"}}
		}
		r.Characteristics = x.qosChars // shared by the exchange's policies, read-only
		return nil                     // a policy instance holds no capacity
	case "TWAMPProbe":
		r.Value = t.probeName(req.Customer, req.Site)
		r.ID = r.Value
		return nil
	case "CPE":
		model := req.Characteristics.Get("model")
		region := ar.exchange.cfg.Region
		p := t.stock[model+"@"+region]
		if p == nil {
			return exhausted(fmt.Sprintf("no %s in stock in %s", model, region))
		}
		i, ok := t.take(&p.slots, req.Key, port.Capacity{})
		if !ok {
			return exhausted(fmt.Sprintf("no %s left in stock in %s", model, region))
		}
		serial := p.serials[i]
		r.ID = serial
		r.Value = t.answers.join(model, " S/N: ", serial)
		r.Characteristics = t.answers.chars(tmf.Characteristic{Name: "model", Value: model}, tmf.Characteristic{Name: "serialNumber", Value: serial})
	default:
		return &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("%s cannot reserve a %q", req.System, req.ResourceType)}
	}
	return nil
}

// release is how to give a resource back: its slot, and the capacity count
// it was taken from, if any.
type release struct {
	slots    *slots
	i        int
	capacity *capacity
}

func (r release) give() {
	r.slots.give(r.i)
	if r.capacity != nil {
		r.capacity.free++
	}
}

// takeVLAN holds the first free VLAN of p for r, for the call with key.
func (t *Twin) takeVLAN(p *numberPool, r *tmf.Resource, key string) *port.Error {
	i, ok := t.take(&p.slots, key, port.Capacity{})
	if !ok {
		return exhausted(fmt.Sprintf("VLAN pool %s is exhausted", p.id))
	}
	vlan := t.answers.itoa(p.lo + i)
	r.ID = t.answers.join(p.id, "-VLAN-", vlan)
	r.Value = t.answers.join("VLAN ", vlan)
	r.Characteristics = t.answers.chars(tmf.Characteristic{Name: "pool", Value: p.id}, tmf.Characteristic{Name: "vlanId", Value: vlan})
	return nil
}

// takeSubnet holds the first free subnet of p for r, for the call with
// key.
func (t *Twin) takeSubnet(p *subnetPool, r *tmf.Resource, key string) *port.Error {
	i, ok := t.take(&p.slots, key, port.Capacity{})
	if !ok {
		return exhausted(fmt.Sprintf("IP pool %s is exhausted", p.id))
	}
	r.Value = t.answers.prefix(p.subnet(i), p.size)
	r.ID = t.answers.join(p.id, "-", r.Value)
	if p.chars == nil {
		p.chars = tmf.Characteristics{{Name: "pool", Value: p.id}}
	}
	r.Characteristics = p.chars // shared by the pool's subnets, read-only
	return nil
}

func (t *Twin) takeOLTPort(ar *area, r *tmf.Resource, key string, in port.Capacity) *port.Error {
	if t.ledger != nil && key != "" {
		// One call for the area's line cards, in order.
		var pools []*slots
		var cards []*card
		var olts []*olt
		for _, o := range ar.olts {
			for _, c := range o.cards {
				pools, cards, olts = append(pools, &c.ports), append(cards, c), append(olts, o)
			}
		}
		j, p, ok := t.takeFirst(pools, key, in)
		if !ok {
			return exhausted("resource exhaustion — no OLT capacity at serving exchange")
		}
		t.oltPort(olts[j], cards[j], p, r)
		return nil
	}
	for _, o := range ar.olts {
		for _, c := range o.cards {
			p, ok := c.ports.take()
			if !ok {
				continue
			}
			t.oltPort(o, c, p, r)
			return nil
		}
	}
	return exhausted("resource exhaustion — no OLT capacity at serving exchange")
}

// oltPort fills r with port p of olt o's line card c.
func (t *Twin) oltPort(o *olt, c *card, p int, r *tmf.Resource) {
	slot, port := t.answers.itoa(c.slot), t.answers.itoa(p+1)
	r.ID = t.answers.join(o.id, "-LC", slot, "-P", port)
	r.Value = t.answers.join(o.id, " LC", slot, " Port ", port)
	r.Characteristics = t.answers.chars(tmf.Characteristic{Name: "olt", Value: o.id},
		tmf.Characteristic{Name: "lineCard", Value: slot}, tmf.Characteristic{Name: "port", Value: port})
}

func (t *Twin) takeHandoff(x *exchange, r *tmf.Resource, key string, in port.Capacity) *port.Error {
	p, ok := t.take(&x.p2p, key, in)
	if !ok {
		return exhausted("resource exhaustion — no P2P handoff capacity at exchange")
	}
	port := t.answers.itoa(p + 1)
	r.ID = t.answers.join(x.cfg.ID, "-P2P-", port)
	r.Value = t.answers.join(x.cfg.ID, " P2P Port ", port)
	r.Characteristics = t.answers.chars(tmf.Characteristic{Name: "exchange", Value: x.cfg.ID}, tmf.Characteristic{Name: "port", Value: port})
	return nil
}

// qosTemplate picks the BNG template for the speed ("500M-sym") and tier.
func (t *Twin) qosTemplate(cs tmf.Characteristics) (string, *port.Error) {
	speed, tier := tmf.SpeedMbps(cs.Get("speed")), cs.Get("slaTier")
	for _, q := range t.net.QoSTemplates {
		if q.SpeedMbps == speed && q.Tier == tier {
			return q.Name, nil
		}
	}
	return "", &port.Error{Class: port.Hard, Code: "noQoSTemplate", Message: fmt.Sprintf("no QoS template for %d Mbps %s", speed, tier)}
}

// probeName names a site's probe after the network's pattern.
func (t *Twin) probeName(customer, site string) string {
	// As strings.Replace(s, old, new, 1) twice, with no string in between.
	var buf, out [128]byte
	name := buf[:0]
	before, after, found := strings.Cut(t.net.Probes.Name, "{customer.code}")
	name = append(name, before...)
	if found {
		name = append(append(name, customerCode(customer)...), after...)
	}
	b := out[:0]
	nameBefore, nameAfter, found := bytes.Cut(name, []byte("{site}"))
	b = append(b, nameBefore...)
	if found {
		b = append(append(b, site...), nameAfter...)
	}
	return t.answers.strs.Bytes(b)
}

// customerCode turns CUST-ENT-1102 into ENT-1102.
func customerCode(id string) string { return strings.TrimPrefix(id, "CUST-") }

// commit activates a reserved resource. CPE go through staging, shipping
// and ZTP boot, with milestones; a TWAMP probe goes active only once the
// site's CE router is up, since TWAMP needs the router to answer. The
// committed resource is filled into r.
func (t *Twin) commit(now time.Duration, req *port.Request, res *port.Result, r *tmf.Resource, reply port.Replier) (time.Duration, *port.Error) {
	if req.Resource == nil {
		return 0, &port.Error{Class: port.Invalid, Code: "noResource", Message: "commit without a reserved resource"}
	}
	*r = *req.Resource
	r.State = "available"
	res.Resource = r
	addr := req.Place.Address
	switch req.Resource.ResourceType {
	case "IPv4Subnet":
		r.Characteristics = t.ipProfile(req)
	case "CPE":
		return t.shipCPE(now, req, res, reply)
	case "TWAMPProbe":
		ready := now + t.duration("nms.commit", req.Place)
		if len(r.Characteristics) == 0 {
			r.Characteristics = t.measure(req.Place) // shared, full: whoever appends copies
		} else {
			r.Characteristics = append(slices.Clip(r.Characteristics), t.measure(req.Place)...)
		}
		if up, ok := t.routerUp[addr]; ok {
			return max(ready, up) - now, nil
		}
		res.Final = false
		final := t.answers.copyOf(res)
		final.Final = true
		p := &pendingProbe{item: itemOf(req), key: req.Key, res: final, ready: ready, repliers: []port.Replier{reply}}
		if req.Key != "" {
			t.waiting[req.Key] = p
		}
		t.probes[addr] = append(t.probes[addr], p)
		return 0, nil
	}
	key, ok := commitKey[string(req.System)+"/"+req.Resource.ResourceType]
	if !ok {
		key = commitKey[string(req.System)+"/"]
	}
	return t.duration(key, req.Place), nil
}

// shipCPE stages, ships and boots a CE router, with milestones; a router
// already at its site (a retry after a failed boot) only boots again.
func (t *Twin) shipCPE(now time.Duration, req *port.Request, res *port.Result, reply port.Replier) (time.Duration, *port.Error) {
	addr, serial := req.Place.Address, req.Resource.ID
	boot := t.duration("cpe.boot", req.Place)
	var ship time.Duration
	if !t.delivered[serial] {
		stage := t.duration("cpe.stage", req.Place)
		ship = stage + t.duration("cpe.ship", req.Place)
		reply.Reply(now, t.answers.progress(res, "staged"))
		reply.Reply(now+stage, t.answers.progress(res, "inTransit"))
		if f := kindOf(t.hitting, LostCPE); f != nil {
			// Written off: it neither comes back to stock nor up at the site.
			t.writeOff(serial)
			res.Milestone = "lost"
			return ship, &port.Error{Class: port.Lost, Code: "lost", Message: "CPE " + serial + " lost in transit (fault " + f.rule.Name + ")"}
		}
		reply.Reply(now+ship, t.answers.progress(res, "delivered"))
		if f := kindOf(t.hitting, DamagedCPE); f != nil {
			t.writeOff(serial)
			res.Milestone = "damaged"
			return ship, &port.Error{Class: port.Lost, Code: "damaged", Message: "CPE " + serial + " arrived damaged (fault " + f.rule.Name + ")"}
		}
		t.delivered[serial] = true
	}
	if f := kindOf(t.hitting, ZTPBootFailure); f != nil {
		return ship + boot, &port.Error{Class: port.Transient, Code: "ztpBootFailed",
			Message: "ZTP boot failed: no day-1 configuration downloaded (fault " + f.rule.Name + ")"}
	}
	res.Milestone = "installed"
	t.routerUp[addr] = now + ship + boot
	t.routerCameUp = addr
	return ship + boot, nil
}

// activateProbes answers the probes waiting for the CE router at addr.
func (t *Twin) activateProbes(addr string) {
	up := t.routerUp[addr]
	for _, p := range t.probes[addr] {
		delete(t.waiting, p.key)
		t.answer(p.item, p.key, p.res, max(p.ready, up), p.repliers...)
	}
	delete(t.probes, addr)
}

// measure is the baseline a probe reports in the region of place.
func (t *Twin) measure(place tmf.Place) tmf.Characteristics {
	if t.breach != nil {
		return t.answers.measurement(*t.breach)
	}
	return t.answers.measurement(t.net.Probes.BaselineIn(t.region(place)))
}

// ipProfile is what the IP profile's configuration adds to a committed
// subnet (the worked example's ROI-003: "DHCP relay and RADIUS profiles
// updated with enterprise binding; static gateway assignment configured
// for the CE router interface"): the gateway (the subnet's first usable
// address), the CE router's address (the second), how many addresses are
// usable, the BNG relaying DHCP for the site's VLAN and the RADIUS profile
// that binds the subnet to the customer's site. A subnet whose value is
// not a prefix keeps what it had.
func (t *Twin) ipProfile(req *port.Request) tmf.Characteristics {
	cs := req.Resource.Characteristics
	p, err := netip.ParsePrefix(req.Resource.Value)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return cs
	}
	gw := p.Masked().Addr().Next()
	var buf [24]byte
	out := make(tmf.Characteristics, 0, len(cs)+5) // the pool's are shared: a copy
	out = append(out, cs...)
	out = append(out,
		tmf.Characteristic{Name: "gateway", Value: t.answers.strs.Bytes(gw.AppendTo(buf[:0]))},
		tmf.Characteristic{Name: "ceAddress", Value: t.answers.strs.Bytes(netip.PrefixFrom(gw.Next(), p.Bits()).AppendTo(buf[:0]))},
		tmf.Characteristic{Name: "usableAddresses", Value: t.answers.itoa(1<<(32-p.Bits()) - 2)},
		tmf.Characteristic{Name: "radiusProfile", Value: t.answers.join(customerCode(req.Customer), "-", req.Site)})
	if a := t.resolve(req.Place); a != nil && a.area != nil && a.area.exchange != nil {
		out = append(out, tmf.Characteristic{Name: "dhcpRelay", Value: a.area.exchange.cfg.BNG})
	}
	return out
}
