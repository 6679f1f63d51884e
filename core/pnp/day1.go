package pnp

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// A CE router's Day-1 configuration (IOS-XE CLI): what the ZTP adapter
// hands a router that calls home, and what the resource inventory shows of
// a router that is installed.

//go:embed templates/day1.cfg.tmpl
var day1Template string

var day1 = template.Must(template.New("day1").Option("missingkey=error").Parse(day1Template))

// tierDSCP is the DSCP a tier's traffic is marked with.
var tierDSCP = map[string]string{"Platinum": "ef", "Gold": "af41", "Silver": "af21", "Bronze": "default"}

var profilePattern = regexp.MustCompile(`^BW-(\d+)-(\d+)-[A-Za-z0-9-]+$`)

// Day1Spec is what a Day-1 configuration is made of, as the order has it:
// the router (model and serial number), the site's VLAN, /29 and QoS
// policy, its SLA tier, and whose it is.
type Day1Spec struct {
	// Key, when set, is the idempotency key of the call that configures
	// the router: the configuration then carries it (Day1.Marker).
	Key                  string
	Item, Customer, Site string
	Model, Serial        string
	VLAN                 string // 1 to 4094
	Subnet               string // an IPv4 network of /24 to /29
	Profile              string // BW-<down>-<up>-<name>, rates in Mbps
	Tier                 string // Platinum, Gold, Silver or Bronze
}

// Day1 is what a router's Day-1 configuration is rendered from: all of it
// from the order, nothing assumed.
type Day1 struct {
	// Key is the idempotency key of the call that configures the router
	// (see Day1Spec); empty in a configuration shown, not sent.
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

// Hostname is the CE router's name at a customer's site.
func Hostname(customer, site string) string {
	return "CE-" + strings.TrimPrefix(customer, "CUST-") + "-" + site
}

// NewDay1 checks s and makes its Day-1 configuration; problems name, in
// words, each thing missing or wrong ("the VLAN (1 to 4094, not "0")").
func NewDay1(s Day1Spec) (d Day1, problems []string) {
	d = Day1{Key: s.Key, Item: s.Item, Customer: s.Customer, Site: s.Site,
		Hostname: Hostname(s.Customer, s.Site), Model: s.Model, Serial: s.Serial, Profile: s.Profile, Tier: s.Tier}
	if m, ok := Platforms[s.Model]; ok {
		d.WAN = m.WAN
	} else if s.Model != "" {
		problems = append(problems, fmt.Sprintf("a router model the adapter knows (%s, not %q)", PlatformNames(), s.Model))
	}
	d.UDI = UDIOf(s.Model, s.Serial).String()
	if v, err := strconv.Atoi(s.VLAN); err != nil || v < 1 || v > 4094 {
		problems = append(problems, fmt.Sprintf("the VLAN (1 to 4094, not %q)", s.VLAN))
	} else {
		d.VLAN = v
	}
	if p, err := netip.ParsePrefix(s.Subnet); err != nil || !p.Addr().Is4() || p.Bits() < 24 || p.Bits() > 29 || p != p.Masked() {
		problems = append(problems, fmt.Sprintf("the site's subnet (an IPv4 network of /24 to /29, not %q)", s.Subnet))
	} else {
		d.Subnet, d.Gateway = p, p.Addr().Next()
		d.Address = d.Gateway.Next()
	}
	if m := profilePattern.FindStringSubmatch(s.Profile); m == nil {
		problems = append(problems, fmt.Sprintf("the QoS policy (BW-<down>-<up>-<name> in Mbps, not %q)", s.Profile))
	} else {
		down, _ := strconv.ParseUint(m[1], 10, 32)
		up, _ := strconv.ParseUint(m[2], 10, 32)
		d.Down, d.Up = down*1_000_000, up*1_000_000
		if down == 0 || up == 0 {
			problems = append(problems, fmt.Sprintf("the QoS policy's rates (not zero, not %q)", s.Profile))
		}
	}
	if dscp, ok := tierDSCP[s.Tier]; ok {
		d.DSCP = dscp
	} else {
		problems = append(problems, fmt.Sprintf("the SLA tier (Platinum, Gold, Silver or Bronze, not %q)", s.Tier))
	}
	return d, problems
}

// MarkerName is the EEM environment variable whose value is the key of
// the call that configured the router.
const MarkerName = "ztp_call"

// Marker is the configuration line that says which call configured the
// router.
func (d Day1) Marker() string { return "event manager environment " + MarkerName + " " + d.Key }

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
