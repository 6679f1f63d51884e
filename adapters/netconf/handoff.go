package netconf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Handoff is a point-to-point Ethernet handoff: a physical port of an
// exchange's switch (p2p-<n>, ietf-interfaces), given to one site. The
// port's description says whose it is: a reserve writes the order item
// into it with the port disabled, a commit enables it, a release clears
// the description and disables it again. A port with no description is
// free.
type Handoff struct {
	Item     string
	Exchange string
	Port     int
}

// Interface is the port's interface name.
func (h Handoff) Interface() string { return "p2p-" + strconv.Itoa(h.Port) }

// ResourceID is the handoff's id, as the twin names it: EX-SYD-01-P2P-3.
func (h Handoff) ResourceID() string { return fmt.Sprintf("%s-P2P-%d", h.Exchange, h.Port) }

// Characteristics of a P2P handoff resource.
const (
	CharExchange = "exchange"
)

// handoffOf reads the handoff a request is about: the port from the
// reserved resource's characteristics, else from the request's.
func handoffOf(req *port.Request) (Handoff, *port.Error) {
	at := req.Characteristics
	if req.Resource != nil {
		at = req.Resource.Characteristics
	}
	h := Handoff{Item: req.Item, Exchange: at.Get(CharExchange)}
	var errs []string
	if h.Exchange == "" {
		errs = append(errs, "the exchange ("+CharExchange+")")
	}
	h.Port = positive(at, CharPort, &errs)
	if len(errs) > 0 {
		return h, &port.Error{Class: port.Invalid, Code: "badRequest",
			Message: fmt.Sprintf("%s of a P2P handoff for %s needs %s", req.Op, req.Item, strings.Join(errs, ", "))}
	}
	return h, nil
}

// RenderHandoff renders the edit of op for h.
func RenderHandoff(op port.Op, h Handoff) (*Edit, error) {
	switch op {
	case port.Reserve, port.Commit, port.Release:
	default:
		return nil, fmt.Errorf("the access adapter does no %q", op)
	}
	var cfg, filter bytes.Buffer
	if err := templates.ExecuteTemplate(&cfg, "handoff-"+string(op)+".xml.tmpl", h); err != nil {
		return nil, fmt.Errorf("render %s for %s: %w", op, h.ResourceID(), err)
	}
	if err := templates.ExecuteTemplate(&filter, "handoff-readback.xml.tmpl", h); err != nil {
		return nil, fmt.Errorf("render read-back filter for %s: %w", h.ResourceID(), err)
	}
	return &Edit{Device: h.Exchange, Op: op, Config: bytes.TrimSpace(cfg.Bytes()), Filter: bytes.TrimSpace(filter.Bytes()), Handoff: &h}, nil
}

// described is the tree of an interface whose description is item's.
func described(name, item string) []*netconf.Node {
	return []*netconf.Node{{Name: nameIn(ifNS, "interfaces"), Children: []*netconf.Node{
		{Name: nameIn(ifNS, "interface"), Children: []*netconf.Node{
			{Name: nameIn(ifNS, "name"), Text: name}, {Name: nameIn(ifNS, "description"), Text: item}}},
	}}}
}

// handoffResource is the P2P handoff a call answers with.
func handoffResource(req *port.Request, h Handoff) *tmf.Resource {
	p := strconv.Itoa(h.Port)
	r := &tmf.Resource{ID: h.ResourceID(), Category: "physical", ResourceType: "P2PHandoff",
		Value: h.Exchange + " P2P Port " + p, Place: req.Place,
		Characteristics: tmf.Characteristics{{Name: CharExchange, Value: h.Exchange}, {Name: CharPort, Value: p}}}
	r.State = stateAfter(req.Op)
	return r
}

// stateAfter is a port's state after op.
func stateAfter(op port.Op) string {
	switch op {
	case port.Reserve:
		return "reserved"
	case port.Commit:
		return "available"
	case port.Release:
		return "released"
	}
	return ""
}
