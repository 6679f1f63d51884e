package twin

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/yamlfile"

	"go.yaml.in/yaml/v3"
)

// Network is a network file: the twin's requested configuration.
type Network struct {
	Name         string         `yaml:"name"`
	Exchanges    []Exchange     `yaml:"exchanges"`
	ServingAreas []ServingArea  `yaml:"servingAreas"`
	OLTs         []OLT          `yaml:"olts"`
	VLANPools    []VLANPool     `yaml:"vlanPools"`
	IPPools      []IPPool       `yaml:"ipPools"`
	QoSTemplates []QoSTemplate  `yaml:"qosTemplates"`
	Probes       ProbeConfig    `yaml:"probes"`
	CPE          []CPEStock     `yaml:"cpe"`
	Addresses    []Address      `yaml:"addresses"`
	Credit       []CreditAcct   `yaml:"credit"`
	Durations    map[string]Dur `yaml:"durations"`

	// lines are where the file had each item of its lists ("olts[2]")
	// and each duration ("durations.cpe.ship"), for Validate to say where
	// a fault is; nil for a network not read from a file.
	lines map[string]int
}

// Exchange is a building with a BNG and P2P Ethernet handoff capacity.
type Exchange struct {
	ID     string `yaml:"id"`
	Region string `yaml:"region"`
	BNG    string `yaml:"bng"`
	// P2PPorts is the number of P2P handoff ports; P2POccupied lists the
	// ones in use ("1-4,7").
	P2PPorts    int    `yaml:"p2pPorts"`
	P2POccupied string `yaml:"p2pOccupied"`
}

// ServingArea is the area an OLT group (or, for P2P, an exchange) serves.
type ServingArea struct {
	ID       string `yaml:"id"`
	Exchange string `yaml:"exchange"`
	VLANPool string `yaml:"vlanPool"`
	IPPool   string `yaml:"ipPool"`
}

// OLT is an optical line terminal with line cards.
type OLT struct {
	ID        string     `yaml:"id"`
	Area      string     `yaml:"area"`
	LineCards []LineCard `yaml:"lineCards"`
}

// LineCard is one card of an OLT; Occupied lists ports in use ("1-7").
type LineCard struct {
	Slot     int    `yaml:"slot"`
	Ports    int    `yaml:"ports"`
	Occupied string `yaml:"occupied"`
}

// VLANPool is a VLAN range; Kind separates enterprise from residential.
type VLANPool struct {
	ID       string `yaml:"id"`
	Kind     string `yaml:"kind"`
	Range    string `yaml:"range"`    // 2100-2199
	Occupied string `yaml:"occupied"` // 2100-2107
}

// IPPool is an IPv4 block cut into subnets of one size.
type IPPool struct {
	ID        string   `yaml:"id"`
	Prefix    string   `yaml:"prefix"` // 10.88.12.0/22
	Size      int      `yaml:"size"`   // 29
	Allocated []string `yaml:"allocated"`
}

// QoSTemplate is a BNG policy template for a speed and tier.
type QoSTemplate struct {
	Name      string `yaml:"name"`
	SpeedMbps int    `yaml:"speedMbps"`
	Tier      string `yaml:"tier"`
}

// ProbeConfig names TWAMP probes and sets the baseline measurements they
// report per region ("*" for any).
type ProbeConfig struct {
	Name     string                 `yaml:"name"` // Probe-{customer.code}-{site}
	Baseline map[string]Measurement `yaml:"baseline"`
}

// Measurement is what a probe reports.
type Measurement struct {
	LatencyMs    float64 `yaml:"latencyMs"`
	LossPct      float64 `yaml:"lossPct"`
	Availability float64 `yaml:"availability"`
}

// CPEStock is routers of one model in a region's warehouse.
type CPEStock struct {
	Model   string   `yaml:"model"`
	Region  string   `yaml:"region"`
	Serials []string `yaml:"serials"`
}

// Address is an entry of the address book.
type Address struct {
	Address    string `yaml:"address"`
	Area       string `yaml:"area"`
	Technology string `yaml:"technology"` // GPON or P2P-Ethernet
}

// CreditAcct is an account of the credit system. An account with a
// Parent is part of its parent's hierarchy: a credit check of it is
// judged against every account up to the top one, whose limit the whole
// hierarchy shares (credit at the parent account), and what it approves
// counts against each of them. A child's Limit of 0 means none of its
// own.
//
// An account with a Customer is that customer's: a credit check for
// another customer on it is not approved (one party cannot spend
// another's credit). Without, any customer may be checked on it.
type CreditAcct struct {
	Account  string  `yaml:"account"`
	Customer string  `yaml:"customer"`
	Parent   string  `yaml:"parent"`
	Limit    float64 `yaml:"limit"`
	Exposure float64 `yaml:"exposure"`
	Standing string  `yaml:"standing"` // good, watch, blocked
}

// Dur is a duration with optional per-region overrides:
// "1h" or {default: 1h, BNE: 355h}.
type Dur struct {
	Default time.Duration
	Region  map[string]time.Duration
}

// UnmarshalYAML reads a scalar or a mapping.
func (d *Dur) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: duration %q: %w", n.Line, n.Value, err)
		}
		d.Default = v
		return nil
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return err
	}
	d.Region = map[string]time.Duration{}
	for k, s := range m {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", n.Line, k, err)
		}
		if k == "default" {
			d.Default = v
		} else {
			d.Region[k] = v
		}
	}
	return nil
}

// For returns the duration in region.
func (d Dur) For(region string) time.Duration {
	if v, ok := d.Region[region]; ok {
		return v
	}
	return d.Default
}

// DurationKeys are the operations the duration model must cover.
var DurationKeys = []string{
	"qualification.qualify", "qualification.revalidate", "credit.check",
	"workflow.technical", "workflow.commercial", "workflow.customer",
	"som.plan", "rom.start",
	"access.reserve", "access.commit.OLTPort", "access.commit.P2PHandoff",
	"vlan.reserve", "bng.commit.VLAN", "ipam.reserve", "ipam.commit",
	"bng.reserve", "bng.commit.QoSPolicy", "nms.reserve", "nms.commit",
	"logistics.reserve", "cpe.stage", "cpe.ship", "cpe.boot", "billing.activate",
}

// LoadNetwork reads and validates a network file.
func LoadNetwork(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	n, err := ParseNetwork(data)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", path, err)
	}
	return n, nil
}

// ParseNetwork reads and validates a network from YAML.
func ParseNetwork(data []byte) (*Network, error) {
	var n Network
	if err := yamlfile.Decode(data, &n); err != nil {
		return nil, err
	}
	n.lines = itemLines(data)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// itemLines indexes the line of each item of the file's top-level lists
// and of each duration.
func itemLines(data []byte) map[string]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	lines := map[string]int{}
	root := doc.Content[0].Content
	for k := 0; k+1 < len(root); k += 2 {
		key, v := root[k].Value, root[k+1]
		switch v.Kind {
		case yaml.SequenceNode:
			for i, item := range v.Content {
				lines[key+"["+strconv.Itoa(i)+"]"] = item.Line
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(v.Content); i += 2 {
				lines[key+"."+v.Content[i].Value] = v.Content[i].Line
			}
		}
		lines[key] = root[k].Line
	}
	return lines
}

// at is "line N: " for the item of list at i, or "" where the file's
// lines are not known.
func (n *Network) at(list string, i int) string { return n.line(list + "[" + strconv.Itoa(i) + "]") }

// line is "line N: " for a key itemLines indexed, or "".
func (n *Network) line(key string) string {
	if line, ok := n.lines[key]; ok {
		return fmt.Sprintf("line %d: ", line)
	}
	return ""
}

// Validate checks references and ranges, naming every fault (and its
// line, for a network read from a file).
func (n *Network) Validate() error {
	var errs []error
	here := "" // the line of the item checked, as at gives it
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(here+format, args...)) }
	ids := func(kind, list string, ids []string) map[string]bool {
		defer func() { here = "" }()
		m := map[string]bool{}
		for i, id := range ids {
			here = n.at(list, i)
			if id == "" {
				bad("%s without id", kind)
			} else if m[id] {
				bad("%s %s declared twice", kind, id)
			}
			m[id] = true
		}
		return m
	}
	exchanges := ids("exchange", "exchanges", mapSlice(n.Exchanges, func(e Exchange) string { return e.ID }))
	areas := ids("serving area", "servingAreas", mapSlice(n.ServingAreas, func(a ServingArea) string { return a.ID }))
	vlans := ids("VLAN pool", "vlanPools", mapSlice(n.VLANPools, func(p VLANPool) string { return p.ID }))
	ips := ids("IP pool", "ipPools", mapSlice(n.IPPools, func(p IPPool) string { return p.ID }))
	ids("OLT", "olts", mapSlice(n.OLTs, func(o OLT) string { return o.ID }))
	ids("address", "addresses", mapSlice(n.Addresses, func(a Address) string { return a.Address }))
	accounts := ids("credit account", "credit", mapSlice(n.Credit, func(c CreditAcct) string { return c.Account }))
	parents := map[string]string{}
	for _, c := range n.Credit {
		if c.Parent != "" {
			parents[c.Account] = c.Parent
		}
	}
	for i, c := range n.Credit {
		here = n.at("credit", i)
		if c.Parent != "" && !accounts[c.Parent] {
			bad("credit account %s: parent %q is not a credit account%s", c.Account, c.Parent, hint.DidYouMean(c.Parent, slices.Sorted(maps.Keys(accounts))))
		}
		if c.Limit < 0 || c.Exposure < 0 {
			bad("credit account %s: limit and exposure cannot be negative", c.Account)
		}
		if standings := []string{"good", "watch", "blocked"}; !slices.Contains(standings, c.Standing) {
			bad("credit account %s: standing %q is not %s%s", c.Account, c.Standing, strings.Join(standings, ", "), hint.DidYouMean(c.Standing, standings))
		}
		seen := map[string]bool{c.Account: true}
		for p := parents[c.Account]; p != ""; p = parents[p] {
			if seen[p] {
				bad("credit account %s: its parents go round in a circle (back to %s)", c.Account, p)
				break
			}
			seen[p] = true
		}
	}
	for i, e := range n.Exchanges {
		here = n.at("exchanges", i)
		if e.Region == "" {
			bad("exchange %s: no region", e.ID)
		}
		if e.P2PPorts < 0 {
			bad("exchange %s: p2pPorts %d is negative", e.ID, e.P2PPorts)
			continue
		}
		if _, err := parseRanges(e.P2POccupied, 1, e.P2PPorts); err != nil {
			bad("exchange %s: p2pOccupied: %v", e.ID, err)
		}
	}
	for i, a := range n.ServingAreas {
		here = n.at("servingAreas", i)
		if !exchanges[a.Exchange] {
			bad("serving area %s: exchange %q is not declared", a.ID, a.Exchange)
		}
		if !vlans[a.VLANPool] {
			bad("serving area %s: VLAN pool %q is not declared", a.ID, a.VLANPool)
		}
		if !ips[a.IPPool] {
			bad("serving area %s: IP pool %q is not declared", a.ID, a.IPPool)
		}
	}
	for i, o := range n.OLTs {
		here = n.at("olts", i)
		if !areas[o.Area] {
			bad("OLT %s: serving area %q is not declared", o.ID, o.Area)
		}
		slots := map[int]bool{}
		for _, lc := range o.LineCards {
			if slots[lc.Slot] {
				bad("OLT %s: two line cards in slot %d", o.ID, lc.Slot)
			}
			slots[lc.Slot] = true
			if lc.Ports < 0 {
				bad("OLT %s LC%d: ports %d is negative", o.ID, lc.Slot, lc.Ports)
				continue
			}
			if _, err := parseRanges(lc.Occupied, 1, lc.Ports); err != nil {
				bad("OLT %s LC%d: occupied: %v", o.ID, lc.Slot, err)
			}
		}
	}
	for i, p := range n.VLANPools {
		here = n.at("vlanPools", i)
		lo, hi, err := parseRange(p.Range)
		switch {
		case err != nil:
			bad("VLAN pool %s: range: %v", p.ID, err)
			continue
		case lo < 1 || hi > 4094:
			bad("VLAN pool %s: range %q must be within 1-4094", p.ID, p.Range)
			continue
		}
		if _, err := parseRanges(p.Occupied, lo, hi); err != nil {
			bad("VLAN pool %s: occupied: %v", p.ID, err)
		}
	}
	for i, p := range n.IPPools {
		here = n.at("ipPools", i)
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil || !pfx.Addr().Is4() || p.Size < pfx.Bits() || p.Size > 32 {
			bad("IP pool %s: prefix %q with size /%d is not a valid IPv4 block", p.ID, p.Prefix, p.Size)
			continue
		}
		if pfx.Masked() != pfx {
			bad("IP pool %s: prefix %q is not a /%d block's address (its host bits are set): did you mean %s?", p.ID, p.Prefix, pfx.Bits(), pfx.Masked())
		}
		for _, a := range p.Allocated {
			s, err := netip.ParsePrefix(a)
			switch {
			case err != nil || s.Bits() != p.Size || !pfx.Contains(s.Addr()):
				bad("IP pool %s: allocated %q is not a /%d inside %s", p.ID, a, p.Size, p.Prefix)
			case s.Masked() != s:
				// The pool took it for the subnet it falls in, unsaid.
				bad("IP pool %s: allocated %q is not a /%d subnet's address (its host bits are set): did you mean %s?", p.ID, a, p.Size, s.Masked())
			}
		}
	}
	for i, a := range n.Addresses {
		here = n.at("addresses", i)
		if !areas[a.Area] {
			bad("address %q: serving area %q is not declared", a.Address, a.Area)
		}
		if a.Technology != "GPON" && a.Technology != "P2P-Ethernet" {
			bad("address %q: technology %q is not GPON or P2P-Ethernet", a.Address, a.Technology)
		}
	}
	here = ""
	n.validateCPE(func(k int) { here = n.at("cpe", k) }, bad)
	here = ""
	here = n.line("durations")
	for _, k := range DurationKeys {
		if _, ok := n.Durations[k]; !ok {
			bad("durations: %q is missing", k)
		}
	}
	var regions []string
	for _, e := range n.Exchanges {
		if !contains(regions, e.Region) {
			regions = append(regions, e.Region)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(n.Durations)) {
		here = n.line("durations." + k)
		if !contains(DurationKeys, k) {
			bad("durations: unknown operation %q (known: %s)", k, strings.Join(DurationKeys, ", "))
		}
		d := n.Durations[k]
		if d.Default < 0 {
			bad("durations: %s: %s is negative: an operation takes no time or more", k, d.Default)
		}
		for _, r := range slices.Sorted(maps.Keys(d.Region)) {
			if d.Region[r] < 0 {
				bad("durations: %s: %s: %s is negative: an operation takes no time or more", k, r, d.Region[r])
			}
			if !contains(regions, r) {
				bad("durations: %s: %q is no exchange's region%s (regions: %s)", k, r, hint.DidYouMean(r, regions), strings.Join(regions, ", "))
			}
		}
	}
	for _, k := range []string{"som.plan", "rom.start", "credit.check", "workflow.technical", "workflow.commercial", "workflow.customer"} {
		here = n.line("durations." + k)
		if d, ok := n.Durations[k]; ok && len(d.Region) > 0 {
			bad("durations: %q does not depend on a region; give one duration", k)
		}
	}
	here = n.line("probes")
	if n.Probes.Name == "" {
		bad("probes: name pattern missing")
	} else {
		if n.lines["probes.name"] > 0 {
			here = n.line("probes.name")
		}
		for _, err := range probeNameFaults(n.Probes.Name) {
			bad("probes: name %q: %v", n.Probes.Name, err)
		}
		here = n.line("probes")
	}
	if _, all := n.Probes.Baseline["*"]; !all {
		for _, e := range n.Exchanges {
			if _, ok := n.Probes.Baseline[e.Region]; !ok {
				bad("probes: no baseline for region %s (add it, or a \"*\" baseline)", e.Region)
			}
		}
	}
	return errors.Join(errs...)
}

// ProbeVariables are what a probe name pattern fills in: the customer's
// code (CUST-ENT-1102 gives ENT-1102) and the site's.
var ProbeVariables = []string{"{customer.code}", "{site}"}

// probeNameFaults are what is wrong with a probe name pattern: it names each site's probe
// with the site's code ({site}, required: without, every site's probe
// had one id and the inventory one probe), and no variable but
// ProbeVariables, each at most once (the twin fills in each once; an
// unknown one stayed in the name as written).
func probeNameFaults(pattern string) []error {
	var errs []error
	seen := map[string]bool{}
	for rest := pattern; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.Contains(rest, "}") {
				errs = append(errs, errors.New("a } without its {"))
			}
			break
		}
		if strings.Contains(rest[:open], "}") {
			errs = append(errs, errors.New("a } without its {"))
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			errs = append(errs, fmt.Errorf("%s has no closing }", rest[open:]))
			break
		}
		v := rest[open : open+end+1]
		rest = rest[open+end+1:]
		switch {
		case !slices.Contains(ProbeVariables, v):
			errs = append(errs, fmt.Errorf("unknown variable %s%s (variables: %s)", v, hint.DidYouMean(v, ProbeVariables), strings.Join(ProbeVariables, ", ")))
		case seen[v]:
			errs = append(errs, fmt.Errorf("%s appears twice: the twin fills in each variable once", v))
		}
		seen[v] = true
	}
	if !seen["{site}"] {
		errs = append(errs, errors.New("no {site}: every site's probe would have the same id (give the site's code, as in Probe-{customer.code}-{site})"))
	}
	return errs
}

// validateCPE checks the routers in stock: each entry has a model and a
// region some exchange is in (a site is shipped from its own region's
// stock), and no serial is stocked twice: a router is one box, given to
// one site.
func (n *Network) validateCPE(item func(k int), bad func(format string, args ...any)) {
	regions := map[string]bool{}
	for _, e := range n.Exchanges {
		if e.Region != "" {
			regions[e.Region] = true
		}
	}
	where := map[string]string{} // serial → the stock it was first seen in
	for k, c := range n.CPE {
		item(k)
		what := fmt.Sprintf("cpe[%d]", k)
		if c.Model == "" {
			bad("%s: no model", what)
		} else {
			what = fmt.Sprintf("cpe %s in %s", c.Model, c.Region)
		}
		switch {
		case c.Region == "":
			bad("%s: no region", what)
		case !regions[c.Region]:
			bad("%s: region %q has no exchange, so no site is shipped from it%s", what, c.Region, hint.DidYouMean(c.Region, slices.Sorted(maps.Keys(regions))))
		}
		for _, serial := range c.Serials {
			switch first, seen := where[serial]; {
			case serial == "":
				bad("%s: an empty serial", what)
			case seen && first == what:
				bad("%s: serial %s listed twice", what, serial)
			case seen:
				bad("%s: serial %s is stocked already in %s: a router is one box, for one site", what, serial, first)
			default:
				where[serial] = what
			}
		}
	}
}

func mapSlice[T any](list []T, f func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = f(v)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseRange reads "lo-hi" or "n".
func parseRange(s string) (int, int, error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("bad number in %q", s)
	}
	if !found {
		return lo, lo, nil
	}
	hi, err := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err != nil:
		return 0, 0, fmt.Errorf("bad number in %q", s)
	case hi < lo:
		return 0, 0, fmt.Errorf("%q runs backwards: the lower number comes first (%d-%d)", s, hi, lo)
	}
	return lo, hi, nil
}

// CheckPorts checks that occupied ("1-4,7") lists ports of 1 to ports.
func CheckPorts(occupied string, ports int) error {
	_, err := parseRanges(occupied, 1, ports)
	return err
}

// parseRanges reads "1-4,7" into the numbers it lists, each within
// [min, max].
func parseRanges(s string, min, max int) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, err := parseRange(part)
		if err != nil {
			return nil, err
		}
		if lo < min || hi > max {
			return nil, fmt.Errorf("%q is outside %d-%d", part, min, max)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// OccupiedPorts lists the card's ports in use before any order (its
// occupied ranges), ascending.
func (lc LineCard) OccupiedPorts() []int {
	used, _ := parseRanges(lc.Occupied, 1, lc.Ports)
	return used
}

// OccupiedPorts lists the exchange's P2P ports in use before any order,
// ascending.
func (e Exchange) OccupiedPorts() []int {
	used, _ := parseRanges(e.P2POccupied, 1, e.P2PPorts)
	return used
}
