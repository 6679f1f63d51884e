package twin

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// planRequest is a request to network planning waiting for capacity.
type planRequest struct {
	res   *port.Result
	reply port.Replier
}

// plan takes a request for capacity at a site: it is answered when the
// capacity that serves the site (its area's OLT ports for GPON, its
// exchange's handoffs for P2P) grows, or at once if there is some free.
// On a ledger (the twins of several shards) what this twin counts free
// another may hold: the ledger refused the site's revalidation, so it
// waits for capacity built, as it would with none free here (answered at
// once, the site would be revalidated, refused and ask again, forever).
func (t *Twin) plan(req *port.Request, res *port.Result, reply port.Replier) *port.Error {
	a, ar, err := t.lookup(req.Place)
	if err != nil {
		return err
	}
	c, _ := capacityOf(a, ar)
	if t.ledger == nil && c.available() > 0 {
		return nil
	}
	res.Final = false
	final := *res
	final.Final = true
	t.planning[c] = append(t.planning[c], planRequest{res: &final, reply: reply})
	return nil
}

// expand builds capacity, as a scenario event says, and answers the
// planning requests it meets. Characteristics name what is built:
// {olt, slot, ports[, occupied]} adds a line card, {exchange, ports} adds
// P2P handoff ports.
func (t *Twin) expand(now time.Duration, req *port.Request) *port.Error {
	build, err := t.expansion(req)
	if err != nil {
		return err
	}
	c := build()
	for _, p := range t.planning[c] {
		p.reply.Reply(now, p.res)
	}
	delete(t.planning, c)
	return nil
}

// CheckExpansion says why the twin would refuse to build what cs names
// (as expand takes it: a scenario's addLineCard or addHandoffs), changing
// nothing: an OLT or exchange it does not have, a slot already taken.
func (t *Twin) CheckExpansion(cs tmf.Characteristics) error {
	if _, err := t.expansion(&port.Request{Characteristics: cs}); err != nil {
		return errors.New(err.Message)
	}
	return nil
}

// expansion checks what req asks to build and returns what builds it,
// which gives the capacity that grew.
func (t *Twin) expansion(req *port.Request) (func() *capacity, *port.Error) {
	cs := req.Characteristics
	if cs.Get("olt") == "" && cs.Get("exchange") == "" && req.Place.Address != "" {
		var err *port.Error
		if cs, err = t.serving(req.Place, cs); err != nil {
			return nil, err
		}
	}
	ports, err := strconv.Atoi(cs.Get("ports"))
	if err != nil || ports <= 0 {
		return nil, invalid("expansion needs a positive number of ports, not %q", cs.Get("ports"))
	}
	switch {
	case cs.Get("olt") != "":
		o, ar := t.findOLT(cs.Get("olt"))
		if o == nil {
			return nil, invalid("no OLT %q in the network", cs.Get("olt"))
		}
		slot, err := strconv.Atoi(cs.Get("slot"))
		if err != nil || slot <= 0 {
			return nil, invalid("line card slot %q is not a positive number", cs.Get("slot"))
		}
		for _, card := range o.cards {
			if card.slot == slot {
				return nil, invalid("%s already has a line card in slot %d", o.id, slot)
			}
		}
		used, err := parseRanges(cs.Get("occupied"), 1, ports)
		if err != nil {
			return nil, invalid("occupied: %v", err)
		}
		return func() *capacity {
			card := &card{slot: slot, ports: slots{used: make([]bool, ports)}}
			if t.ledger != nil {
				card.ports.name = cardPool(o.id, slot)
			}
			for _, p := range used {
				card.ports.used[p-1] = true
			}
			o.cards = append(o.cards, card)
			ar.capacity.free += ports - len(used)
			return &ar.capacity
		}, nil
	case cs.Get("exchange") != "":
		x := t.exchanges[cs.Get("exchange")]
		if x == nil {
			return nil, invalid("no exchange %q in the network", cs.Get("exchange"))
		}
		return func() *capacity {
			x.p2p.used = append(x.p2p.used, make([]bool, ports)...)
			x.capacity.free += ports
			return &x.capacity
		}, nil
	}
	return nil, invalid("an expansion names an olt (with slot and ports) or an exchange (with ports)")
}

// serving names the capacity that serves a site, for an expansion that
// names none (a person confirms that capacity was built there): a line
// card in the next slot of the area's last OLT for GPON, handoff ports at
// the exchange for P2P; 16 ports unless cs says how many.
func (t *Twin) serving(p tmf.Place, cs tmf.Characteristics) (tmf.Characteristics, *port.Error) {
	a, ar, err := t.lookup(p)
	if err != nil {
		return nil, err
	}
	ports := cs.Get("ports")
	if ports == "" {
		ports = "16"
	}
	if a.Technology != "GPON" {
		return tmf.Characteristics{{Name: "exchange", Value: ar.exchange.cfg.ID}, {Name: "ports", Value: ports}}, nil
	}
	if len(ar.olts) == 0 {
		return nil, invalid("no OLT serves %s", p.ID)
	}
	o := ar.olts[len(ar.olts)-1]
	slot := 0
	for _, c := range o.cards {
		slot = max(slot, c.slot)
	}
	return tmf.Characteristics{{Name: "olt", Value: o.id}, {Name: "slot", Value: strconv.Itoa(slot + 1)}, {Name: "ports", Value: ports}}, nil
}

func (t *Twin) findOLT(id string) (*olt, *area) {
	for _, ar := range t.areas {
		for _, o := range ar.olts {
			if o.id == id {
				return o, ar
			}
		}
	}
	return nil, nil
}

func invalid(format string, args ...any) *port.Error {
	return &port.Error{Class: port.Invalid, Code: "invalid", Message: fmt.Sprintf(format, args...)}
}

// Expansion is capacity a scenario event builds.
func Expansion(olt string, slot, ports int, occupied string) tmf.Characteristics {
	return tmf.Characteristics{{Name: "olt", Value: olt}, {Name: "slot", Value: strconv.Itoa(slot)},
		{Name: "ports", Value: strconv.Itoa(ports)}, {Name: "occupied", Value: occupied}}
}

// HandoffExpansion is P2P handoff ports a scenario event adds to an exchange.
func HandoffExpansion(exchange string, ports int) tmf.Characteristics {
	return tmf.Characteristics{{Name: "exchange", Value: exchange}, {Name: "ports", Value: strconv.Itoa(ports)}}
}
