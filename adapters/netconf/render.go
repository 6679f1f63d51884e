package netconf

import (
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

//go:embed templates/*.xml.tmpl
var templateFiles embed.FS

// templates are the edits per operation, and the read-back filter.
var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFiles, "templates/*.xml.tmpl"))

// Service is what the templates are rendered from: one enterprise ONT on
// one PON port and its VLAN service, named after the port so that the same
// request renders the same edit every time.
type Service struct {
	// Item is the resource order item the configuration is for: it is
	// written into the v-ANI's description, so that a repeated reserve
	// can tell its own ONT from someone else's.
	Item string
	OLT  string
	// Slot is the line card, Port the PON port on it (from 1).
	Slot, Port int
	// ONUID is the ONU-ID on the PON (one enterprise ONT per port: 1).
	ONUID int
	// Serial is the ONT's serial number (vendor id and 8 hex digits).
	Serial string
	VLAN   int
	// Profile names the traffic descriptor profile (BW-500-500-GOLD-ENT);
	// Assured and Maximum are its bandwidths in bits per second.
	Profile          string
	Assured, Maximum uint64
	// Uplink is the OLT's network-side interface the VLAN leaves by.
	Uplink string
}

func (s Service) port() string             { return fmt.Sprintf("LC%d-P%d", s.Slot, s.Port) }
func (s Service) ChannelPartition() string { return "cpart-" + s.port() }
func (s Service) ChannelPair() string      { return "cpair-" + s.port() }
func (s Service) VANI() string             { return "vani-" + s.port() }
func (s Service) VENET() string            { return "venet-" + s.port() }
func (s Service) TCONT() string            { return "tcont-" + s.port() }
func (s Service) GEM() string              { return "gem-" + s.port() }
func (s Service) Forwarder() string        { return fmt.Sprintf("fwd-%s-%d", s.port(), s.VLAN) }
func (s Service) UserSubInterface() string { return fmt.Sprintf("%s.%d", s.VENET(), s.VLAN) }
func (s Service) NetworkSubInterface() string {
	return fmt.Sprintf("%s.%d", s.Uplink, s.VLAN)
}

// SubInterface is a VLAN sub-interface and the interface it sits on.
type SubInterface struct{ Name, Lower string }

// SubInterfaces are the user-side and network-side VLAN sub-interfaces the
// forwarder joins: none before the service has its VLAN.
func (s Service) SubInterfaces() []SubInterface {
	if s.VLAN == 0 {
		return nil
	}
	return []SubInterface{{s.UserSubInterface(), s.VENET()}, {s.NetworkSubInterface(), s.Uplink}}
}

// ResourceID is the OLT port's id, as the twin names it: OLT-SOUTH-03-LC2-P8.
func (s Service) ResourceID() string { return fmt.Sprintf("%s-LC%d-P%d", s.OLT, s.Slot, s.Port) }

// Edit is what one operation sends to an OLT: the <config> of its
// edit-config on the candidate, and the filter its read-back uses.
type Edit struct {
	// Device is the OLT (or, for a handoff, the exchange) the edit is for.
	Device string
	Op     port.Op
	Config []byte
	Filter []byte
	// Service is what an OLT port's edit was rendered from; Handoff what
	// a P2P handoff's was, nil for an OLT port's.
	Service Service
	Handoff *Handoff
}

// Render renders the edit of op for s.
func Render(op port.Op, s Service) (*Edit, error) {
	var name string
	switch op {
	case port.Reserve, port.Commit, port.Release:
		name = string(op) + ".xml.tmpl"
	default:
		return nil, fmt.Errorf("the access adapter does no %q", op)
	}
	var cfg, filter bytes.Buffer
	if err := templates.ExecuteTemplate(&cfg, name, s); err != nil {
		return nil, fmt.Errorf("render %s for %s: %w", op, s.ResourceID(), err)
	}
	if err := templates.ExecuteTemplate(&filter, "readback.xml.tmpl", s); err != nil {
		return nil, fmt.Errorf("render read-back filter for %s: %w", s.ResourceID(), err)
	}
	return &Edit{Device: s.OLT, Op: op, Config: bytes.TrimSpace(cfg.Bytes()), Filter: bytes.TrimSpace(filter.Bytes()), Service: s}, nil
}

// Characteristics the adapter reads from a request: the port from the
// reserve's characteristics or the reserved resource's, the service from
// the commit's.
const (
	CharOLT       = "olt"
	CharLineCard  = "lineCard"
	CharPort      = "port"
	CharSerial    = "ontSerial"
	CharVLAN      = "vlanId"
	CharProfile   = "bandwidthProfile"
	CharSpeed     = "speed"
	defaultUplink = "uplink-1"
)

var (
	serialPattern  = regexp.MustCompile(`^[A-Z]{4}[0-9A-F]{8}$`)
	profilePattern = regexp.MustCompile(`^BW-(\d+)-(\d+)-`)
)

// ServiceOf reads the service a request is about. A request that lacks
// what its operation needs is a *port.Error of class invalid naming what
// is missing.
func ServiceOf(req *port.Request, uplink string) (Service, *port.Error) {
	if uplink == "" {
		uplink = defaultUplink
	}
	s := Service{Item: req.Item, ONUID: 1, Uplink: uplink}
	at := req.Characteristics
	if req.Resource != nil {
		at = req.Resource.Characteristics
	}
	var errs []string
	s.OLT = at.Get(CharOLT)
	if s.OLT == "" {
		errs = append(errs, "the OLT ("+CharOLT+")")
	}
	s.Slot = positive(at, CharLineCard, &errs)
	s.Port = positive(at, CharPort, &errs)
	if req.Op == port.Commit {
		errs = append(errs, s.commitOf(req)...)
	}
	if req.Op == port.Release && req.Resource != nil {
		// A committed port names its VLAN: its service goes too.
		if v, err := strconv.Atoi(req.Resource.Characteristics.Get(CharVLAN)); err == nil && v >= 1 && v <= 4094 {
			s.VLAN = v
		}
	}
	if len(errs) > 0 {
		return s, &port.Error{Class: port.Invalid, Code: "badRequest",
			Message: fmt.Sprintf("%s of an OLT port for %s needs %s", req.Op, req.Item, strings.Join(errs, ", "))}
	}
	return s, nil
}

// commitOf reads what a commit configures: from the request's Config
// (what ROM sends, docs/adapters.md "What ROM's requests carry"), else
// from its characteristics. A bearer's commit comes before its site's
// VLAN and QoS policy are allocated: without a VLAN it activates the ONT
// and its T-CONT at the bearer's speed, and the VLAN service comes later;
// without a serial the OLT admits the ONU by its ONU-ID. What is there
// must be well formed.
func (s *Service) commitOf(req *port.Request) []string {
	var errs []string
	cs, c := req.Characteristics, req.Config
	serial := c.ONTSerial
	if serial == "" {
		serial = cs.Get(CharSerial)
	}
	if serial != "" {
		s.Serial = strings.ToUpper(serial)
		if !serialPattern.MatchString(s.Serial) {
			errs = append(errs, fmt.Sprintf("the ONT serial (%s: four letters and eight hex digits, not %q)", CharSerial, serial))
		}
	}
	switch v := cs.Get(CharVLAN); {
	case c.VLAN != 0:
		if c.VLAN < 1 || c.VLAN > 4094 {
			errs = append(errs, fmt.Sprintf("the VLAN (1 to 4094, not %d)", c.VLAN))
		}
		s.VLAN = c.VLAN
	case v != "":
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 4094 {
			errs = append(errs, fmt.Sprintf("the VLAN (%s: 1 to 4094, not %q)", CharVLAN, v))
		} else {
			s.VLAN = n
		}
	}
	if c.Profile == "" && c.SpeedMbps > 0 {
		const mbps = 1_000_000
		n := uint64(c.SpeedMbps)
		s.Profile, s.Maximum, s.Assured = fmt.Sprintf("BW-%d-%d-BEARER", n, n), n*mbps, n*mbps
		return errs
	}
	if c.Profile != "" {
		cs = tmf.Characteristics{{Name: CharProfile, Value: c.Profile}}
	}
	if err := s.bandwidth(cs); err != "" {
		errs = append(errs, err)
	}
	return errs
}

// bandwidth reads the profile BW-<down>-<up>-... (Mbps), or a speed such
// as 500M-sym or 1G-sym, into the profile's bandwidths.
func (s *Service) bandwidth(cs tmf.Characteristics) string {
	const mbps = 1_000_000
	if p := cs.Get(CharProfile); p != "" {
		m := profilePattern.FindStringSubmatch(p)
		if m == nil {
			return fmt.Sprintf("a bandwidth profile named BW-<down>-<up>-... (%s, not %q)", CharProfile, p)
		}
		// A T-CONT carries the upstream: its bandwidth is the profile's up
		// rate, assured (an enterprise service's committed rate).
		up, err := strconv.ParseUint(m[2], 10, 32)
		if err != nil || up == 0 {
			return fmt.Sprintf("an upstream rate in the bandwidth profile (%s, not %q)", CharProfile, p)
		}
		s.Profile, s.Maximum, s.Assured = p, up*mbps, up*mbps
		return ""
	}
	speed := cs.Get(CharSpeed)
	v, _, _ := strings.Cut(speed, "-")
	mult := uint64(mbps)
	if n, ok := strings.CutSuffix(v, "G"); ok {
		v, mult = n, 1000*mbps
	} else {
		v = strings.TrimSuffix(v, "M")
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 {
		return fmt.Sprintf("a bandwidth (%s, or %s such as 500M-sym, not %q)", CharProfile, CharSpeed, speed)
	}
	s.Profile, s.Maximum, s.Assured = "BW-"+speed, n*mult, n*mult
	return ""
}

func positive(cs tmf.Characteristics, name string, errs *[]string) int {
	n, err := strconv.Atoi(cs.Get(name))
	if err != nil || n < 1 {
		*errs = append(*errs, fmt.Sprintf("%s (a number from 1, not %q)", name, cs.Get(name)))
		return 0
	}
	return n
}

func nameIn(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

// rendered is an edit, or the failure to render it as an invalid request:
// a template that cannot take what the request carries.
func rendered(e *Edit, err error) (*Edit, *port.Error) {
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: err.Error()}
	}
	return e, nil
}
