package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	mathbits "math/bits"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// Population describes many customers' orders of one offering and the
// network they need, generated instead of written out: a national rollout.
type Population struct {
	Customers        int              `yaml:"customers"`
	SitesPerCustomer int              `yaml:"sitesPerCustomer"`
	Offering         string           `yaml:"offering"`
	SLA              string           `yaml:"sla"`
	Speed            string           `yaml:"speed"`
	Term             int              `yaml:"term"`
	RateCard         string           `yaml:"rateCard"`
	Price            float64          `yaml:"price"`
	Waves            []PopulationWave `yaml:"waves"`
	// Arrival is the time between two customers' orders (ISO 8601); empty
	// places them all at T+0.
	Arrival string `yaml:"arrival"`
	// P2PEvery puts every n-th site on P2P Ethernet, the others on GPON;
	// 0 puts every site on GPON.
	P2PEvery int               `yaml:"p2pEvery"`
	Network  PopulationNetwork `yaml:"network"`
	// Orders says who places the customers' orders: the scenario, at
	// their arrival (scenario, the default), or clients over the APIs
	// (api: `ordertwin load` and `ordertwin chaos` quote for them).
	Orders string `yaml:"orders"`
	// gated is the waves' plan with their gates, in the order they can
	// go (File.gates), when any wave has one; nil: in the file's order,
	// each after the one before.
	gated []com.WavePlan
}

// Who places a population's orders (Population.Orders).
const (
	PlacedByScenario = "scenario"
	PlacedByAPI      = "api"
)

// PopulationWave is one wave of every customer's rollout plan: its next
// Sites sites.
type PopulationWave struct {
	Name   string `yaml:"name"`
	Sites  int    `yaml:"sites"`
	Target string `yaml:"target"`
	// Version 2: the wave's gates, and whether a person releases it, as
	// a quote's wave (WaveSpec).
	After   []GateSpec `yaml:"after"`
	Release string     `yaml:"release"`
}

// PopulationNetwork shapes the generated network.
type PopulationNetwork struct {
	Regions []string `yaml:"regions"`
	// SitesPerArea is how many sites each serving area (and its exchange)
	// takes (0: DefaultSitesPerArea); the network has as many areas as the
	// sites need.
	SitesPerArea int `yaml:"sitesPerArea"`
	// Exhausted areas (the first n) are built Short OLT ports short of their
	// GPON sites; at ExpansionAt network planning adds a line card to each
	// (in slot 100) that holds them all: 16 ports, or Short when more.
	Exhausted   int    `yaml:"exhausted"`
	Short       int    `yaml:"short"`
	ExpansionAt string `yaml:"expansionAt"`
}

// MaxPopulationSites bounds a population's sites, all customers' together:
// its orders and network are generated in memory when it loads (a
// million sites take some 20 GB in flight).
const MaxPopulationSites = 1_000_000

// areaVLANs is how many VLANs a generated area's pool holds (2000-3999).
const areaVLANs = 2000

// A generated area's IP pool is a block of 10.64.0.0-10.255.255.255
// (ipSpace addresses from ipBase), /29 a site (Size): a /20 each (512
// sites) while that many fit, else the smallest block that holds an
// area's sites.
const (
	ipBase  = 10<<24 | 64<<16
	ipSpace = 192 << 16
)

// ipBlock is the size of each of areas pools of per sites, as a power of
// two (12: a /20), and whether they all fit.
func ipBlock(per, areas int) (bits int, ok bool) {
	bits = 12
	if per > 1<<(bits-3) || areas<<bits > ipSpace {
		bits = 3 + mathbits.Len(uint(per-1))
	}
	return bits, areas<<bits <= ipSpace
}

// DefaultSitesPerArea is how many sites a serving area takes when the
// population does not say (PopulationNetwork.SitesPerArea).
const DefaultSitesPerArea = 200

// check checks the population's numbers and durations: each error names
// the field and, from l (the file's lines; nil for a population built in
// code), its line.
func (p *Population) check(l lines) []error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s"+format, append([]any{l.at(path)}, args...)...))
	}
	switch {
	case p.Customers < 1:
		bad("population.customers", "population.customers: %d: want 1 or more", p.Customers)
	case p.Customers > MaxPopulationSites:
		bad("population.customers", "population.customers: %d: want at most %d", p.Customers, MaxPopulationSites)
	}
	switch {
	case p.SitesPerCustomer < 1:
		bad("population.sitesPerCustomer", "population.sitesPerCustomer: %d: want 1 or more", p.SitesPerCustomer)
	case p.SitesPerCustomer > MaxPopulationSites:
		bad("population.sitesPerCustomer", "population.sitesPerCustomer: %d: want at most %d", p.SitesPerCustomer, MaxPopulationSites)
	}
	if len(errs) == 0 && p.Customers*p.SitesPerCustomer > MaxPopulationSites {
		bad("population.customers", "population: %d customers of %d sites each are %d sites: a population has at most %d (its network is generated in memory)",
			p.Customers, p.SitesPerCustomer, p.Customers*p.SitesPerCustomer, MaxPopulationSites)
	}
	total := 0
	for i, w := range p.Waves {
		path := fmt.Sprintf("population.waves[%d]", i)
		switch {
		case w.Sites < 1:
			bad(path+".sites", "%s (%s): sites: %d: a wave takes 1 or more sites", path, w.Name, w.Sites)
		case w.Sites > MaxPopulationSites:
			bad(path+".sites", "%s (%s): sites: %d: want at most %d", path, w.Name, w.Sites, MaxPopulationSites)
		default:
			total += w.Sites
		}
		target, err := tmf.ParseOffset(w.Target)
		switch {
		case err != nil:
			bad(path+".target", "%s (%s): target: %v", path, w.Name, err)
		case target <= 0:
			bad(path+".target", "%s (%s): target: %s is not after the customer's order (targets count from it): no wave is done by then",
				path, w.Name, w.Target)
		}
	}
	if total != p.SitesPerCustomer && p.SitesPerCustomer >= 1 {
		bad("population.waves", "population.waves: the waves take %d sites, not sitesPerCustomer %d", total, p.SitesPerCustomer)
	}
	if p.Arrival != "" {
		switch arrival, err := tmf.ParseOffset(p.Arrival); {
		case err != nil:
			bad("population.arrival", "population.arrival: %v", err)
		case arrival < 0:
			bad("population.arrival", "population.arrival: %s is negative: the time between two customers' orders is PT0S (all at T+0) or more", p.Arrival)
		}
	}
	if p.P2PEvery < 0 {
		bad("population.p2pEvery", "population.p2pEvery: %d: want 0 (every site on GPON) or more (every n-th site on P2P Ethernet)", p.P2PEvery)
	}
	n := p.Network
	if len(n.Regions) == 0 {
		bad("population.network.regions", "population.network.regions: name at least one")
	}
	for i, r := range n.Regions {
		if slices.Contains(n.Regions[:i], r) {
			bad("population.network.regions", "population.network.regions: %s is named twice", r)
		}
	}
	// Left out, an area takes the default; written, it must be a number
	// of sites (0 took the default, unsaid).
	if _, written := l["population.network.sitesPerArea"]; n.SitesPerArea < 0 || (written && n.SitesPerArea < 1) {
		bad("population.network.sitesPerArea", "population.network.sitesPerArea: %d: want 1 or more (left out: %d)", n.SitesPerArea, DefaultSitesPerArea)
	}
	if n.SitesPerArea > areaVLANs {
		bad("population.network.sitesPerArea", "population.network.sitesPerArea: %d: an area's VLAN pool holds %d VLANs (2000-3999), one a site: want at most %d",
			n.SitesPerArea, areaVLANs, areaVLANs)
	}
	if len(errs) == 0 {
		per := cmp.Or(n.SitesPerArea, DefaultSitesPerArea)
		sites := p.Customers * p.SitesPerCustomer
		areas := (sites + per - 1) / per
		if bits, ok := ipBlock(per, areas); !ok {
			bad("population.customers", "population: %d sites, %d an area, need %d serving areas, and their IP pools (a /%d each, a /29 a site) do not fit "+
				"in the generated network's 10.64.0.0-10.255.255.255 (%d such pools): make the population smaller, or sitesPerArea a power of two",
				sites, per, areas, 32-bits, ipSpace>>bits)
		}
	}
	if n.Exhausted < 0 {
		bad("population.network.exhausted", "population.network.exhausted: %d: want 0 (no area short) or more", n.Exhausted)
	}
	if n.Short < 0 {
		bad("population.network.short", "population.network.short: %d: want 0 or more GPON ports", n.Short)
	}
	if len(errs) == 0 && n.Exhausted > 0 {
		per := cmp.Or(n.SitesPerArea, DefaultSitesPerArea)
		sites := p.Customers * p.SitesPerCustomer
		if areas := (sites + per - 1) / per; n.Exhausted > areas {
			bad("population.network.exhausted", "population.network.exhausted: %d is more than the %d serving areas the population has (%d sites, %d an area)",
				n.Exhausted, areas, sites, per)
		}
	}
	if n.Exhausted > 0 {
		switch at, err := tmf.ParseOffset(n.ExpansionAt); {
		case err != nil:
			bad("population.network.expansionAt", "population.network.expansionAt: %v", err)
		case at < 0:
			bad("population.network.expansionAt", "population.network.expansionAt: %s is before T+0", n.ExpansionAt)
		}
	}
	return errs
}

// generate builds the orders, the network and its events; l is the
// file's lines, for the errors (nil for a population built in code).
func (p *Population) generate(cat *catalog.Catalog, durations map[string]twin.Dur, l lines) (*twin.Network, []Placement, []Event, error) {
	if errs := p.check(l); len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}
	per := cmp.Or(p.Network.SitesPerArea, DefaultSitesPerArea)
	var arrival, expansion time.Duration
	if p.Arrival != "" {
		arrival, _ = tmf.ParseOffset(p.Arrival) // checked
	}
	if p.Network.Exhausted > 0 {
		expansion, _ = tmf.ParseOffset(p.Network.ExpansionAt) // checked
	}
	sites := p.Customers * p.SitesPerCustomer
	areas := (sites + per - 1) / per
	block, _ := ipBlock(per, areas) // checked
	gpon := make([]int, areas)
	for s := range sites {
		if !p.p2p(s) {
			gpon[s/per]++
		}
	}
	net := &twin.Network{Name: fmt.Sprintf("national-%d-sites", sites), Durations: durations,
		Probes: twin.ProbeConfig{Name: "Probe-{customer.code}-{site}",
			Baseline: map[string]twin.Measurement{"*": {LatencyMs: 3.8, LossPct: 0.001, Availability: 99.99}}}}
	for _, t := range []struct {
		tier  string
		speed int
	}{{"Silver", 100}, {"Silver", 500}, {"Gold", 100}, {"Gold", 500}, {"Gold", 1000}, {"Platinum", 1000}} {
		net.QoSTemplates = append(net.QoSTemplates, twin.QoSTemplate{Name: fmt.Sprintf("BW-%d-%d-%s-ENT", t.speed, t.speed, t.tier),
			SpeedMbps: t.speed, Tier: t.tier})
	}
	model := cat.Offerings[p.Offering].CPEModel
	var events []Event
	for a := range areas {
		region := p.Network.Regions[a%len(p.Network.Regions)]
		ex, area := fmt.Sprintf("EX-%04d", a), fmt.Sprintf("AREA-%04d", a)
		net.Exchanges = append(net.Exchanges, twin.Exchange{ID: ex, Region: region, BNG: "BNG-" + ex, P2PPorts: per})
		net.ServingAreas = append(net.ServingAreas, twin.ServingArea{ID: area, Exchange: ex, VLANPool: "VLAN-" + area, IPPool: "IP-" + area})
		ports := gpon[a]
		if a < p.Network.Exhausted {
			ports = max(0, ports-p.Network.Short)
			// The card holds every port the area was built short: a
			// 16-port card, or a larger one when more are short (a
			// 16-port card left the rest of the sites held for ever).
			card := max(16, p.Network.Short)
			events = append(events, Event{At: expansion, Build: twin.Expansion("OLT-"+area, 100, card, ""),
				Note: fmt.Sprintf("line card LC100 (%d ports) added to OLT-%s", card, area)})
		}
		olt := twin.OLT{ID: "OLT-" + area, Area: area}
		for slot := 1; ports > 0; slot++ {
			n := min(16, ports)
			olt.LineCards = append(olt.LineCards, twin.LineCard{Slot: slot, Ports: n})
			ports -= n
		}
		net.OLTs = append(net.OLTs, olt)
		net.VLANPools = append(net.VLANPools, twin.VLANPool{ID: "VLAN-" + area, Kind: "enterprise", Range: "2000-3999"})
		first := ipBase + a<<block
		net.IPPools = append(net.IPPools, twin.IPPool{ID: "IP-" + area, Prefix: fmt.Sprintf("%d.%d.%d.%d/%d",
			first>>24, first>>16&255, first>>8&255, first&255, 32-block), Size: 29})
		stock := twin.CPEStock{Model: model, Region: region}
		for i := range per * 2 {
			stock.Serials = append(stock.Serials, fmt.Sprintf("FDO%05d%04d", a, i))
		}
		net.CPE = append(net.CPE, stock)
	}
	waves, err := p.waves()
	if err != nil {
		return nil, nil, nil, err
	}
	for s := range sites {
		tech := "GPON"
		if p.p2p(s) {
			tech = "P2P-Ethernet"
		}
		net.Addresses = append(net.Addresses, twin.Address{Address: siteAddress(s), Area: fmt.Sprintf("AREA-%04d", s/per), Technology: tech})
	}
	orders := make([]Placement, 0, p.Customers)
	for c := range p.Customers {
		net.Credit = append(net.Credit, twin.CreditAcct{Account: fmt.Sprintf("ACC-ENT-%05d", c), Customer: fmt.Sprintf("CUST-ENT-%05d", c), Limit: 1e9, Standing: "good"})
		orders = append(orders, p.placement(c, waves, time.Duration(c)*arrival))
	}
	net.Durations = ofRegions(durations, net.Exchanges)
	if err := net.Validate(); err != nil {
		return nil, nil, nil, fmt.Errorf("population: the generated network: %w", err)
	}
	return net, orders, events, nil
}

// waves are the population's wave plans, each target counting from T+0.
func (p *Population) waves() ([]com.WavePlan, error) {
	if p.gated != nil {
		return slices.Clone(p.gated), nil
	}
	var waves []com.WavePlan
	for _, w := range p.Waves {
		target, err := tmf.ParseOffset(w.Target)
		if err != nil {
			return nil, fmt.Errorf("waves %s: target: %w", w.Name, err)
		}
		waves = append(waves, com.WavePlan{Name: w.Name, ServiceOrder: com.ServiceOrderName(w.Name), Target: target})
	}
	return waves, nil
}

// placement is customer c's quote and order (c counts from 0) placed at
// at: its sites are the population's next SitesPerCustomer, each wave's
// target counts from at.
func (p *Population) placement(c int, waves []com.WavePlan, at time.Duration) Placement {
	cust, acct := fmt.Sprintf("CUST-ENT-%05d", c), fmt.Sprintf("ACC-ENT-%05d", c)
	own := make([]com.WavePlan, len(waves))
	for i, w := range waves {
		own[i] = w
		own[i].Target += at
	}
	q := com.QuoteRequest{ID: fmt.Sprintf("QT-%05d", c), Customer: com.Customer{ID: cust, Name: "Customer " + cust, Account: acct},
		Offering: p.Offering, Tier: p.SLA, Speed: p.Speed, Term: p.Term, RateCard: p.RateCard, Monthly: p.Price, Waves: own,
		Sites: make([]com.Site, 0, p.SitesPerCustomer)}
	site := c * p.SitesPerCustomer
	for _, w := range p.Waves {
		for range w.Sites {
			addr := siteAddress(site)
			q.Sites = append(q.Sites, com.Site{Code: fmt.Sprintf("S%02d", len(q.Sites)+1), Name: addr, Address: addr, Wave: w.Name})
			site++
		}
	}
	return Placement{Quote: q, OrderID: fmt.Sprintf("PO-%05d", c), At: at}
}

// Placement is customer c's quote and order (c counts from 0, below
// Customers), placed at virtual time at instead of the population's
// arrival: what a soak places live, one customer at a time, on the network
// of Spec.
func (p *Population) Placement(c int, at time.Duration) (Placement, error) {
	if c < 0 || c >= p.Customers {
		return Placement{}, fmt.Errorf("customer %d: the population has customers 0 to %d", c, p.Customers-1)
	}
	waves, err := p.waves()
	if err != nil {
		return Placement{}, err
	}
	return p.placement(c, waves, at), nil
}

// siteAddress is the address of the population's site s (from 0).
func siteAddress(s int) string { return fmt.Sprintf("Site %d, Generated Street", s) }

func (p *Population) p2p(site int) bool { return p.P2PEvery > 0 && site%p.P2PEvery == p.P2PEvery-1 }

// Spec builds a runnable spec of the population with the built-in
// enterprise catalog and the worked example's duration model.
func (p *Population) Spec(name string, seed uint64, epoch time.Time) (Spec, error) {
	cat, err := EnterpriseCatalog()
	if err != nil {
		return Spec{}, err
	}
	durations, err := NetworkDurations()
	if err != nil {
		return Spec{}, err
	}
	net, orders, events, err := p.generate(cat, durations, nil)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Name: name, Seed: seed, Epoch: epoch, Catalog: cat, Network: net, Orders: orders, Events: events}, nil
}

// ofRegions is the duration model kept to the regions of exchanges: a
// population of a few customers has exchanges in some of the model's
// regions only, and a network's per-region duration names a region of
// its own.
func ofRegions(durations map[string]twin.Dur, exchanges []twin.Exchange) map[string]twin.Dur {
	has := map[string]bool{}
	for _, e := range exchanges {
		has[e.Region] = true
	}
	out := make(map[string]twin.Dur, len(durations))
	for k, d := range durations {
		if len(d.Region) > 0 {
			kept := twin.Dur{Default: d.Default, Region: map[string]time.Duration{}}
			for r, v := range d.Region {
				if has[r] {
					kept.Region[r] = v
				}
			}
			d = kept
		}
		out[k] = d
	}
	return out
}

func (p *Population) waveNames() []string {
	names := make([]string, len(p.Waves))
	for i, w := range p.Waves {
		names[i] = w.Name
	}
	return names
}
