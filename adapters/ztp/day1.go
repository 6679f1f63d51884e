package ztp

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

//go:embed templates/day1.cfg.tmpl
var day1Template string

// day1 renders a CE router's Day-1 configuration (IOS-XE CLI).
var day1 = template.Must(template.New("day1").Option("missingkey=error").Parse(day1Template))

// Characteristics the adapter reads from a commit: the router from the
// reserved CPE resource (its model and serial number), the service from
// the commit's own characteristics.
const (
	CharModel   = "model"
	CharSerial  = "serialNumber"
	CharVLAN    = "vlanId"
	CharSubnet  = "ipv4Subnet"
	CharProfile = "bandwidthProfile"
	CharTier    = "slaTier"
)

// tierDSCP is the DSCP a tier's traffic is marked with.
var tierDSCP = map[string]string{"Platinum": "ef", "Gold": "af41", "Silver": "af21", "Bronze": "default"}

var profilePattern = regexp.MustCompile(`^BW-(\d+)-(\d+)-[A-Za-z0-9-]+$`)

// Day1 is what a router's Day-1 configuration is rendered from: all of it
// from the request, nothing assumed.
type Day1 struct {
	// Key is the call's idempotency key: the configuration carries it
	// (Marker), so that a call re-sent after a crash finds the router
	// configured by it and does not configure it again.
	Key                  string
	Item, Customer, Site string
	Hostname             string
	Model, Serial        string
	UDI                  string
	WAN                  string
	VLAN                 int
	// Subnet is the site's /29: the BNG's gateway takes its first host,
	// the CE router the second.
	Subnet           netip.Prefix
	Address, Gateway netip.Addr
	// Profile is the QoS policy (BW-<down>-<up>-...); Down and Up its
	// rates in bit/s; Tier the SLA tier and DSCP its marking.
	Profile    string
	Down, Up   uint64
	Tier, DSCP string
}

// markerName is the EEM environment variable whose value is the key of
// the call that configured the router.
const markerName = "ztp_call"

// Marker is the configuration line that says which call configured the
// router.
func (d Day1) Marker() string { return "event manager environment " + markerName + " " + d.Key }

// Mask is the subnet's mask in dotted quad.
func (d Day1) Mask() string {
	m := ^uint32(0) << (32 - d.Subnet.Bits())
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

// SubInterface is the WAN's VLAN sub-interface.
func (d Day1) SubInterface() string { return d.WAN + "." + strconv.Itoa(d.VLAN) }

// PolicyIn and PolicyOut are the policy-maps: police what comes in, shape
// what goes out; Class is the tier's class-map.
func (d Day1) PolicyIn() string  { return d.Profile + "-IN" }
func (d Day1) PolicyOut() string { return d.Profile + "-OUT" }
func (d Day1) Class() string     { return "ENT-" + strings.ToUpper(d.Tier) }

// Render is the configuration's text.
func (d Day1) Render() (string, error) {
	var b bytes.Buffer
	if err := day1.Execute(&b, d); err != nil {
		return "", fmt.Errorf("render the Day-1 configuration of %s: %w", d.Serial, err)
	}
	return b.String(), nil
}

// Day1Of reads the Day-1 configuration a commit asks for. A request that
// lacks any of it is a *port.Error of class invalid naming each thing
// missing.
func Day1Of(req *port.Request) (Day1, *port.Error) {
	d := Day1{Key: req.Key, Item: req.Item, Customer: req.Customer, Site: req.Site}
	var errs []string
	need := func(what, v string) string {
		if v == "" {
			errs = append(errs, what)
		}
		return v
	}
	need("the idempotency key", req.Key)
	need("the customer", req.Customer)
	need("the site", req.Site)
	d.Hostname = "CE-" + strings.TrimPrefix(req.Customer, "CUST-") + "-" + req.Site
	var rc tmf.Characteristics
	if req.Resource == nil {
		errs = append(errs, "the reserved CE router (resource)")
	} else {
		rc = req.Resource.Characteristics
	}
	d.Model = need("the router model ("+CharModel+")", first(rc.Get(CharModel), req.Characteristics.Get(CharModel)))
	if m, ok := pnp.Platforms[d.Model]; ok {
		d.WAN = m.WAN
	} else if d.Model != "" {
		errs = append(errs, fmt.Sprintf("a router model the adapter knows (%s: %s, not %q)", CharModel, pnp.PlatformNames(), d.Model))
	}
	serial := ""
	if req.Resource != nil {
		serial = first(rc.Get(CharSerial), req.Resource.ID)
	}
	d.Serial = need("the router's serial number ("+CharSerial+")", serial)
	d.UDI = pnp.UDIOf(d.Model, d.Serial).String()
	// ROM's typed Config first (docs/adapters.md, "What ROM's requests
	// carry"), else the characteristics.
	cs, c := req.Characteristics, req.Config
	vlan := cs.Get(CharVLAN)
	if c.VLAN != 0 {
		vlan = strconv.Itoa(c.VLAN)
	}
	if v, err := strconv.Atoi(vlan); err != nil || v < 1 || v > 4094 {
		errs = append(errs, fmt.Sprintf("the VLAN (%s: 1 to 4094, not %q)", CharVLAN, vlan))
	} else {
		d.VLAN = v
	}
	subnet := first(c.Subnet, cs.Get(CharSubnet))
	if p, err := netip.ParsePrefix(subnet); err != nil || !p.Addr().Is4() || p.Bits() < 24 || p.Bits() > 29 || p != p.Masked() {
		errs = append(errs, fmt.Sprintf("the site's subnet (%s: an IPv4 network of /24 to /29, not %q)", CharSubnet, subnet))
	} else {
		d.Subnet, d.Gateway = p, p.Addr().Next()
		d.Address = d.Gateway.Next()
	}
	d.Profile = first(c.Profile, cs.Get(CharProfile))
	if m := profilePattern.FindStringSubmatch(d.Profile); m == nil {
		errs = append(errs, fmt.Sprintf("the QoS policy (%s: BW-<down>-<up>-<name> in Mbps, not %q)", CharProfile, d.Profile))
	} else {
		down, _ := strconv.ParseUint(m[1], 10, 32)
		up, _ := strconv.ParseUint(m[2], 10, 32)
		d.Down, d.Up = down*1_000_000, up*1_000_000
		if down == 0 || up == 0 {
			errs = append(errs, fmt.Sprintf("the QoS policy's rates (%s: not zero, not %q)", CharProfile, d.Profile))
		}
	}
	d.Tier = first(c.Tier, cs.Get(CharTier))
	if dscp, ok := tierDSCP[d.Tier]; ok {
		d.DSCP = dscp
	} else {
		errs = append(errs, fmt.Sprintf("the SLA tier (%s: Platinum, Gold, Silver or Bronze, not %q)", CharTier, d.Tier))
	}
	if len(errs) > 0 {
		return d, &port.Error{Class: port.Invalid, Code: "badRequest",
			Message: fmt.Sprintf("the Day-1 configuration of a CE router for %s needs %s", req.Item, strings.Join(errs, ", "))}
	}
	return d, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
