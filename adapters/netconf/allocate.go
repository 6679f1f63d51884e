package netconf

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
)

// Area is what the adapter knows of a serving area, to allocate in it:
// its OLTs, in the order their ports are taken, and the exchange whose
// switch gives its P2P Ethernet handoffs.
type Area struct {
	OLTs     []string
	Exchange string
}

// errFull is a device with no free port: the next device of the area is
// tried, and when none has one the reserve is exhausted.
var errFull = errors.New("no free port")

// Port names on the devices: an OLT's PON ports by their channel pairs
// (cpair-LC<slot>-P<port>), its ONTs by their v-ANIs; an exchange's
// handoffs by their interfaces (p2p-<n>). Only a name the edit writes the
// same is a port: the edit names a port by its numbers, and of
// cpair-LC01-P1, p2p-007 or a number past an int's range it would
// configure another interface than the one read free (p2p-7, perhaps
// another item's).
var (
	channelPairName = regexp.MustCompile(`^cpair-LC(\d+)-P(\d+)$`)
	handoffName     = regexp.MustCompile(`^p2p-(\d+)$`)
)

// interfacesFilter reads a device's interfaces.
const interfacesFilter = `<interfaces xmlns="` + ifNS + `"/>`

// allocates says whether req is a reserve the adapter allocates itself:
// one that names no port, for a resource type it configures, with the
// areas to allocate in configured. (An item may name its OLT's area or
// its exchange among its characteristics: the port is what it lacks.)
func (a *Access) allocates(req *port.Request) bool {
	if req.Op != port.Reserve || req.Resource != nil || len(a.cfg.Areas) == 0 || req.Characteristics.Get(CharPort) != "" {
		return false
	}
	rt := resourceType(req)
	return rt == "OLTPort" || rt == "P2PHandoff"
}

// areaOf is the serving area of req's site.
func (a *Access) areaOf(req *port.Request) (Area, *port.Error) {
	name, ok := a.cfg.Addresses[req.Place.Address]
	if !ok {
		return Area{}, &port.Error{Class: port.Invalid, Code: "unknownSite",
			Message: fmt.Sprintf("the access adapter knows no serving area for %q (settings.addresses)", req.Place.Address)}
	}
	area, ok := a.cfg.Areas[name]
	if !ok {
		return Area{}, &port.Error{Class: port.Invalid, Code: "unknownArea",
			Message: fmt.Sprintf("the access adapter knows no area %s (settings.areas), named for %q", name, req.Place.Address)}
	}
	return area, nil
}

// allocations are the transactions of an allocating reserve, in order:
// one per OLT of the site's area for a PON port, the area's exchange for a
// handoff. Each reads the device's running configuration with its
// candidate locked and takes the first free port: the network is its own
// inventory, and the lock keeps two allocations from taking one port.
func (a *Access) allocations(req *port.Request) ([]transaction, *port.Error) {
	area, perr := a.areaOf(req)
	if perr != nil {
		return nil, perr
	}
	if resourceType(req) == "P2PHandoff" {
		x := cmp.Or(req.Characteristics.Get(CharExchange), area.Exchange)
		if x == "" {
			return nil, exhaustedAt("no P2P handoff capacity at exchange: the area has no exchange")
		}
		if _, ok := a.cfg.Devices[x]; !ok {
			return nil, &port.Error{Class: port.Invalid, Code: "unknownOLT", Message: fmt.Sprintf("no NETCONF endpoint for exchange %s", x)}
		}
		return []transaction{{device: x, edit: func(ctx context.Context, s *Session) (*Edit, error) {
			return a.pickHandoff(ctx, s, req, x)
		}}}, nil
	}
	var ts []transaction
	for _, o := range area.OLTs {
		ts = append(ts, transaction{device: o, edit: func(ctx context.Context, s *Session) (*Edit, error) {
			return a.pickPON(ctx, s, req, o)
		}})
	}
	return ts, nil
}

func exhaustedAt(msg string) *port.Error {
	return &port.Error{Class: port.Exhausted, Code: "capacityExhausted", Message: "resource exhaustion — " + msg}
}

// exhausted is the error of an allocation no device had a port for, in
// the twin's words.
func exhausted(req *port.Request) *port.Error {
	if resourceType(req) == "P2PHandoff" {
		return exhaustedAt("no P2P handoff capacity at exchange")
	}
	return exhaustedAt("no OLT capacity at serving exchange")
}

// interfaces reads the device's interfaces from its running configuration.
func interfaces(ctx context.Context, s *Session, device string) ([]*netconf.Node, error) {
	data, err := s.GetConfig(ctx, "running", []byte(interfacesFilter))
	if err != nil {
		return nil, fmt.Errorf("read the interfaces of %s: %w", device, err)
	}
	tree, err := netconf.ParseTree(data)
	if err != nil {
		return nil, &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("read the interfaces of %s: %v", device, err)}
	}
	var out []*netconf.Node
	for _, top := range tree {
		if top.Name.Local == "interfaces" {
			for _, i := range top.Children {
				if i.Name.Local == "interface" {
					out = append(out, i)
				}
			}
		}
	}
	return out, nil
}

// noPorts is the error of a device the settings place ports on that has
// none of the kind the adapter takes: not an OLT (or a switch) of the
// models the templates are for, or one that names its interfaces
// otherwise ("Pointing it at a real OLT"). It is invalid, not exhausted:
// the device or the settings must be fixed, and no capacity added will
// help. It names what the device has, the first few of its interfaces.
func noPorts(device, want string, ifs []*netconf.Node) *port.Error {
	msg := fmt.Sprintf("%s has no %s: its running configuration has no interfaces (ietf-interfaces)", device, want)
	if len(ifs) > 0 {
		const shown = 8
		var names []string
		for _, i := range ifs[:min(len(ifs), shown)] {
			names = append(names, strconv.Quote(text(i, "name")))
		}
		more := ""
		if len(ifs) > shown {
			more = fmt.Sprintf(" and %d more", len(ifs)-shown)
		}
		msg = fmt.Sprintf("%s has no %s: its %d interfaces are named %s%s", device, want, len(ifs), strings.Join(names, ", "), more)
	}
	return &port.Error{Class: port.Invalid, Code: "noPorts", Message: msg}
}

func text(n *netconf.Node, child string) string {
	if c := n.Child(child); c != nil {
		return c.Text
	}
	return ""
}

// pickPON renders the reserve of req for the first PON port of olt with
// no v-ANI, by line card and port; a port whose v-ANI req's item made
// before (a reserve sent again) is taken again, and the edit's create
// then finds it the item's own.
func (a *Access) pickPON(ctx context.Context, s *Session, req *port.Request, olt string) (*Edit, error) {
	ifs, err := interfaces(ctx, s, olt)
	if err != nil {
		return nil, err
	}
	type pon struct{ slot, port int }
	var ports []pon
	vanis := map[string]string{} // v-ANI name: description
	for _, i := range ifs {
		name := text(i, "name")
		if m := channelPairName.FindStringSubmatch(name); m != nil {
			slot, _ := strconv.Atoi(m[1])
			p, _ := strconv.Atoi(m[2])
			if (Service{Slot: slot, Port: p}).ChannelPair() == name {
				ports = append(ports, pon{slot, p})
			}
		}
		vanis[name] = text(i, "description")
	}
	if len(ports) == 0 {
		return nil, noPorts(olt, "TR-385 PON interfaces (channel pairs cpair-LC<slot>-P<port>)", ifs)
	}
	slices.SortFunc(ports, func(x, y pon) int { return cmp.Or(cmp.Compare(x.slot, y.slot), cmp.Compare(x.port, y.port)) })
	var free *pon
	mine := a.Mark(req.Item)
	for i, p := range ports {
		s := Service{Slot: p.slot, Port: p.port}
		desc, used := vanis[s.VANI()]
		if used && desc == mine {
			free = &ports[i]
			break
		}
		if !used && free == nil {
			free = &ports[i]
		}
	}
	if free == nil {
		return nil, errFull
	}
	svc := Service{Item: mine, OLT: olt, Slot: free.slot, Port: free.port, ONUID: 1, Uplink: cmp.Or(a.cfg.Uplink, defaultUplink)}
	e, perr := rendered(Render(port.Reserve, svc))
	if perr != nil {
		return nil, perr // a nil *port.Error is not a nil error
	}
	return e, nil
}

// pickHandoff renders the reserve of req for the first port of the
// exchange's switch with no description (or with req's item's, a reserve
// sent again).
func (a *Access) pickHandoff(ctx context.Context, s *Session, req *port.Request, exchange string) (*Edit, error) {
	ifs, err := interfaces(ctx, s, exchange)
	if err != nil {
		return nil, err
	}
	type handoff struct {
		port int
		desc string
	}
	var ports []handoff
	for _, i := range ifs {
		if m := handoffName.FindStringSubmatch(text(i, "name")); m != nil {
			p, _ := strconv.Atoi(m[1])
			if (Handoff{Port: p}).Interface() == m[0] {
				ports = append(ports, handoff{p, text(i, "description")})
			}
		}
	}
	if len(ports) == 0 {
		return nil, noPorts(exchange, "P2P handoff interfaces (p2p-<n>)", ifs)
	}
	slices.SortFunc(ports, func(x, y handoff) int { return cmp.Compare(x.port, y.port) })
	pick, mine := 0, a.Mark(req.Item)
	for _, p := range ports {
		if p.desc == mine {
			pick = p.port
			break
		}
		if p.desc == "" && pick == 0 {
			pick = p.port
		}
	}
	if pick == 0 {
		return nil, errFull
	}
	e, perr := rendered(RenderHandoff(port.Reserve, Handoff{Item: mine, Exchange: exchange, Port: pick}))
	if perr != nil {
		return nil, perr // a nil *port.Error is not a nil error
	}
	return e, nil
}

// handoffFree checks, with the exchange's candidate locked, that the
// handoff a reserve names is free or already the item's.
func handoffFree(ctx context.Context, s *Session, e *Edit) error {
	ifs, err := interfaces(ctx, s, e.Device)
	if err != nil {
		return err
	}
	h := e.Handoff
	for _, i := range ifs {
		if text(i, "name") != h.Interface() {
			continue
		}
		if d := text(i, "description"); d != "" && d != h.Item {
			return &port.Error{Class: port.Hard, Code: netconf.InUse, Message: fmt.Sprintf("%s %s is in use (%s)", e.Device, h.Interface(), d)}
		}
		return nil
	}
	return &port.Error{Class: port.Invalid, Code: "unknownPort", Message: fmt.Sprintf("%s has no handoff %s", e.Device, h.Interface())}
}
