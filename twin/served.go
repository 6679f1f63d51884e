package twin

import (
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The twin's protocol front-ends (twin/netbox) are asked for a pool by
// its name, not for an address: Take and Give are the twin's own
// allocation and release, reached that way. A front-end serialises its
// calls: the twin is driven by one goroutine at a time.

// Network is the network the twin was built from, as loaded: read-only.
func (t *Twin) Network() *Network { return t.net }

// Take picks and holds the first free VLAN of VLAN pool pool (resource
// type VLAN) or the first free subnet of IP pool pool (IPv4Subnet),
// exactly as a reserve for an address served from that pool does, and
// returns the resource that reserve answers with, without its place.
func (t *Twin) Take(resourceType, pool string) (*tmf.Resource, *port.Error) {
	r := &tmf.Resource{ResourceType: resourceType, State: "reserved"}
	var err *port.Error
	switch resourceType {
	case "VLAN":
		p, ok := t.vlans[pool]
		if !ok {
			return nil, &port.Error{Class: port.Invalid, Code: "unknownPool", Message: fmt.Sprintf("no VLAN pool %q", pool)}
		}
		err = t.takeVLAN(p, r, "")
	case "IPv4Subnet":
		p, ok := t.ips[pool]
		if !ok {
			return nil, &port.Error{Class: port.Invalid, Code: "unknownPool", Message: fmt.Sprintf("no IP pool %q", pool)}
		}
		err = t.takeSubnet(p, r, "")
	default:
		return nil, &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("no pool of %q", resourceType)}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Give gives a held resource back by its id, as a release does; false if
// the twin holds nothing by that id.
func (t *Twin) Give(id string) bool { return t.giveBack(id, "") }

// giveBack gives a held resource back by its id, for the release with
// key; false if the twin holds nothing by that id.
func (t *Twin) giveBack(id, key string) bool {
	rel, ok := t.held(id)
	if !ok {
		return false
	}
	t.give(rel, key)
	delete(t.delivered, id) // a router given back is staged and shipped anew
	return true
}

// Judge applies the twin's fault rules to a call a front-end serves, as a
// call in process is judged: each rule that matches it draws from its own
// seeded stream and counts its hits (FaultHits); the answer is the
// failure of the first rule that hits it with a failing kind (transient,
// down, hard, exhausted), or nil. The kinds that change an answer rather
// than fail it (latency, a measurement) are the front-end's to apply, or
// not judged.
func (t *Twin) Judge(now time.Duration, req *port.Request) *port.Error {
	for _, f := range t.firing(now, req) {
		if e := f.failure(req.System); e != nil {
			return e
		}
	}
	return nil
}
