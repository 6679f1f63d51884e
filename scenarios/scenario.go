// Package scenarios reads scenario files (formats v1 and v2, documented in
// README.md beside them), wires the core to the network twin, runs
// scenarios on the virtual or the wall clock, and reports what happened:
// the seed-style timeline and entity map, the JSON report, and the
// scenario's expectations checked against it.
package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/core/yamlfile"
	"github.com/ordertwin/ordertwin/twin"
	"go.yaml.in/yaml/v3"
)

// File is the YAML shape of a scenario file, version 1 or 2.
type File struct {
	// fsys holds the file and what it names; nil: the operating system's.
	fsys        fs.FS
	Version     int              `yaml:"version"`
	Name        string           `yaml:"name"`
	Description string           `yaml:"description"`
	Seed        uint64           `yaml:"seed"`
	Start       string           `yaml:"start"`
	Catalog     string           `yaml:"catalog"`
	Network     string           `yaml:"network"`
	Population  *Population      `yaml:"population"`
	Customer    CustomerSpec     `yaml:"customer"`
	Quote       QuoteSpec        `yaml:"quote"`
	Order       OrderSpec        `yaml:"order"`
	Occupancy   []OccupancySpec  `yaml:"occupancy"`
	Faults      []twin.FaultRule `yaml:"faults"`
	Events      []EventSpec      `yaml:"events"`
	Expect      *Expectations    `yaml:"expect"`
	// faultLines are the lines of the fault rules in the file; lines
	// the line of every key and list item.
	faultLines []int
	lines      lines
	// faults are the file's unknown keys, reported with the rest.
	faults []error
}

// CustomerSpec is the customer block.
type CustomerSpec struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
}

// QuoteSpec is the quote block.
type QuoteSpec struct {
	ID       string     `yaml:"id"`
	Offering string     `yaml:"offering"`
	Term     int        `yaml:"term"`
	SLA      string     `yaml:"sla"`
	Speed    string     `yaml:"speed"`
	RateCard string     `yaml:"rateCard"`
	Price    float64    `yaml:"price"`
	Waves    []WaveSpec `yaml:"waves"`
	Sites    []SiteSpec `yaml:"sites"`
}

// WaveSpec is one wave of the rollout plan.
type WaveSpec struct {
	Name         string `yaml:"name"`
	ServiceOrder string `yaml:"serviceOrder"`
	Target       string `yaml:"target"`
	// Version 2: the wave's gates, and whether a person releases it.
	After   []GateSpec `yaml:"after"`
	Release string     `yaml:"release"`
	// line is where the wave is in the file.
	line int
}

// GateSpec is what a wave waits for of another (version 2): On
// "completed" or "slaValidated" (the default), or Sites, a share of the
// wave's sites in service ("80%").
type GateSpec struct {
	Wave  string `yaml:"wave"`
	On    string `yaml:"on"`
	Sites string `yaml:"sites"`
}

// SiteSpec is one site.
type SiteSpec struct {
	Code    string `yaml:"code"`
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	Wave    string `yaml:"wave"`
	// Version 2: the site's own SLA tier, speed and monthly price, where
	// they differ from the quote's; its own product offering and that
	// offering's rate card.
	SLA      string  `yaml:"sla"`
	Speed    string  `yaml:"speed"`
	Price    float64 `yaml:"price"`
	Offering string  `yaml:"offering"`
	RateCard string  `yaml:"rateCard"`
}

// OrderSpec says when the product order is placed.
type OrderSpec struct {
	ID string `yaml:"id"`
	At string `yaml:"at"`
}

// OccupancySpec overrides the occupancy of the network file for this
// scenario: an OLT line card's occupied ports, or an exchange's P2P ports.
type OccupancySpec struct {
	OLT      string `yaml:"olt"`
	Slot     int    `yaml:"slot"`
	Exchange string `yaml:"exchange"`
	Occupied string `yaml:"occupied"`
}

// apply sets the occupancy in the network.
func (o OccupancySpec) apply(n *twin.Network) error {
	switch {
	case o.OLT != "":
		for i := range n.OLTs {
			if n.OLTs[i].ID != o.OLT {
				continue
			}
			for j := range n.OLTs[i].LineCards {
				if lc := &n.OLTs[i].LineCards[j]; lc.Slot == o.Slot {
					if err := twin.CheckPorts(o.Occupied, lc.Ports); err != nil {
						return fmt.Errorf("occupied: %w", err)
					}
					lc.Occupied = o.Occupied
					return nil
				}
			}
			return fmt.Errorf("olt %s has no line card in slot %d", o.OLT, o.Slot)
		}
		return fmt.Errorf("olt %q is not in the network%s", o.OLT, hint.DidYouMean(o.OLT, oltIDs(n)))
	case o.Exchange != "":
		for i := range n.Exchanges {
			if e := &n.Exchanges[i]; e.ID == o.Exchange {
				if err := twin.CheckPorts(o.Occupied, e.P2PPorts); err != nil {
					return fmt.Errorf("occupied: %w", err)
				}
				e.P2POccupied = o.Occupied
				return nil
			}
		}
		return fmt.Errorf("exchange %q is not in the network", o.Exchange)
	}
	return errors.New("name an olt (with slot) or an exchange")
}

// oltIDs are the ids of the network's OLTs.
func oltIDs(n *twin.Network) []string {
	ids := make([]string, len(n.OLTs))
	for i, o := range n.OLTs {
		ids[i] = o.ID
	}
	return ids
}

// EventSpec is a timed event in the network.
type EventSpec struct {
	At   string `yaml:"at"`
	Kind string `yaml:"kind"`
	// After makes the event wait for an entity (id or name) to reach a
	// state ("TASK-001 requested"); At then counts from that moment.
	After string `yaml:"after"`
	// addLineCard: a line card of Ports ports in Slot of OLT, Occupied
	// taken at once; addHandoffs: Ports P2P handoff ports at Exchange.
	OLT      string `yaml:"olt"`
	Slot     int    `yaml:"slot"`
	Ports    int    `yaml:"ports"`
	Occupied string `yaml:"occupied"`
	Exchange string `yaml:"exchange"`
	// remediate: the network behind Wave (held on its SLA check) is fixed.
	Wave string `yaml:"wave"`
	// cancel: the customer cancels Site, or the whole order without one;
	// change: Site changes to Speed and/or SLA; removeSite: the customer
	// takes Site out of the service.
	Site   string `yaml:"site"`
	Reason string `yaml:"reason"`
	Speed  string `yaml:"speed"`
	SLA    string `yaml:"sla"`
	// addSite: a new site (Site code, Name, Address) in wave Wave.
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	// release (version 2): By releases Wave, a wave of manual release.
	By string `yaml:"by"`
	// Select (version 2) aims a cancel, change or removeSite at the sites
	// it picks of the scenario's orders: one event a site.
	Select *Selector `yaml:"select"`
	// line is where the event is in the file.
	line int
}

// eventKinds are the kinds of timed event, sorted.
var eventKinds = []string{"addHandoffs", "addLineCard", "addSite", "cancel", "change", "release", "remediate", "removeSite"}

// Scenario is a loaded, checked scenario, ready to run.
type Scenario struct {
	Path   string
	Name   string
	Expect *Expectations
	Spec   Spec
}

// Spec is everything a run needs; the bench builds it without a file.
type Spec struct {
	Name string
	// Version is the scenario file's format version: a version 2
	// scenario's report has its contract (Report.Contract).
	Version int
	Seed    uint64
	Epoch   time.Time
	Catalog *catalog.Catalog
	Network *twin.Network
	Orders  []Placement
	// Offers are quotes and orders the scenario does not place: a
	// population whose orders come over the APIs (orders: api) keeps its
	// customers' here, for `ordertwin load` and `chaos` to place.
	Offers []Placement
	// Faults are injected into the twin.
	Faults []twin.FaultRule
	// Events happen in the network at their time.
	Events []Event
}

// Event is a timed change of the network: capacity built, or a fault
// remedied.
type Event struct {
	At time.Duration
	// What is built, as the twin's expansion characteristics.
	Build tmf.Characteristics
	// Remediate names the wave whose SLA check to run again.
	Remediate string
	// Release is a person's release of a wave (version 2).
	Release *com.ReleaseWave
	// Cancel is a customer's cancellation; Change a change of a site;
	// AddSite a site added to the order; Remove a site taken out.
	Cancel  *com.Cancel
	Change  *com.Change
	AddSite *com.AddSite
	Remove  *com.Remove
	// Fault is a fault rule injected into the running twin, its window
	// counting from the event (twin.InjectLive).
	Fault *twin.FaultRule
	// Lift names a fault rule of the running twin that an operator took
	// out (twin.Lift).
	Lift string
	// Clock is what an operator did to the clock (paused, running,
	// stepped, rescaled): journalled, it changes nothing else.
	Clock string
	Note  string
	// After is the trigger ("TASK-001 requested"): the event happens At
	// after the first timeline row of that entity (id or name) reaching
	// that state, and never without one.
	After string
}

// build checks an event against the network and turns it into an Event.
func (e EventSpec) build(net *twin.Network) (Event, error) {
	ev, err := e.event(net)
	if err != nil {
		return Event{}, err
	}
	if e.After != "" {
		if entity, state, ok := strings.Cut(e.After, " "); !ok || entity == "" || state == "" || strings.Contains(state, " ") {
			return Event{}, fmt.Errorf("after %q: want an entity and a state, such as \"TASK-001 requested\"", e.After)
		}
		ev.After = e.After
	}
	return ev, nil
}

func (e EventSpec) event(net *twin.Network) (Event, error) {
	at, err := tmf.ParseOffset(e.At)
	if err != nil {
		return Event{}, fmt.Errorf("at: %w", err)
	}
	if at < 0 {
		return Event{}, fmt.Errorf("at: %s is before T+0", e.At)
	}
	switch e.Kind {
	case "addLineCard":
		if e.Slot <= 0 || e.Ports <= 0 {
			return Event{}, fmt.Errorf("slot and ports must be positive")
		}
		if net != nil {
			k := slices.IndexFunc(net.OLTs, func(o twin.OLT) bool { return o.ID == e.OLT })
			if k < 0 {
				return Event{}, fmt.Errorf("olt %q is not in the network%s", e.OLT, hint.DidYouMean(e.OLT, oltIDs(net)))
			}
			if slices.ContainsFunc(net.OLTs[k].LineCards, func(c twin.LineCard) bool { return c.Slot == e.Slot }) {
				return Event{}, fmt.Errorf("slot: %s has a line card in slot %d already (the network's)", e.OLT, e.Slot)
			}
		}
		// As a network file's card is checked: the twin refused the
		// card when the event came, and the run went on without it.
		if err := twin.CheckPorts(e.Occupied, e.Ports); err != nil {
			return Event{}, fmt.Errorf("occupied: %w", err)
		}
		return Event{At: at, Build: twin.Expansion(e.OLT, e.Slot, e.Ports, e.Occupied),
			Note: fmt.Sprintf("line card LC%d (%d ports) added to %s", e.Slot, e.Ports, e.OLT)}, nil
	case "cancel":
		what := "the order"
		if e.Site != "" {
			what = "site " + e.Site
		}
		return Event{At: at, Cancel: &com.Cancel{Site: e.Site, Reason: e.Reason}, Note: "the customer cancels " + what}, nil
	case "addSite":
		if e.Site == "" || e.Address == "" || e.Wave == "" {
			return Event{}, errors.New("addSite needs a site code, an address and a wave")
		}
		if err := knownAddress(net, e.Address); err != nil {
			return Event{}, err
		}
		return Event{At: at, AddSite: &com.AddSite{Site: com.Site{Code: e.Site, Name: e.Name, Address: e.Address, Wave: e.Wave}},
			Note: "the customer adds site " + e.Site}, nil
	case "change":
		if (e.Site == "" && e.Select == nil) || (e.Speed == "" && e.SLA == "") {
			return Event{}, errors.New("change names a site and a new speed or sla")
		}
		return Event{At: at, Change: &com.Change{Site: e.Site, Speed: e.Speed, Tier: e.SLA},
			Note: "the customer changes " + e.Site + " to " + strings.TrimSpace(e.Speed+" "+e.SLA)}, nil
	case "removeSite":
		if e.Site == "" && e.Select == nil {
			return Event{}, errors.New("removeSite names a site")
		}
		return Event{At: at, Remove: &com.Remove{Site: e.Site, Reason: e.Reason}, Note: "the customer removes site " + e.Site}, nil
	case "release":
		if e.Wave == "" {
			return Event{}, errors.New("release names the wave a person releases")
		}
		by := e.By
		if by == "" {
			by = "an operator"
		}
		return Event{At: at, Release: &com.ReleaseWave{Wave: e.Wave, By: by}, Note: by + " releases " + e.Wave}, nil
	case "remediate":
		if e.Wave == "" {
			return Event{}, errors.New("remediate names the wave held on its SLA check")
		}
		return Event{At: at, Remediate: e.Wave, Note: "network fixed behind " + e.Wave}, nil
	case "addHandoffs":
		if net != nil && !slices.ContainsFunc(net.Exchanges, func(x twin.Exchange) bool { return x.ID == e.Exchange }) {
			return Event{}, fmt.Errorf("exchange %q is not in the network", e.Exchange)
		}
		if e.Ports <= 0 {
			return Event{}, fmt.Errorf("ports must be positive")
		}
		return Event{At: at, Build: twin.HandoffExpansion(e.Exchange, e.Ports),
			Note: fmt.Sprintf("%d P2P handoff ports added at %s", e.Ports, e.Exchange)}, nil
	}
	return Event{}, fmt.Errorf("unknown event kind %q (known: %s)", e.Kind, strings.Join(eventKinds, ", "))
}

// Placement is one customer's quote and the product order placed for it.
type Placement struct {
	Quote   com.QuoteRequest
	OrderID string
	At      time.Duration
}

// Load reads a scenario file, the catalog and network it names, and checks
// them all; every error names the file and what is wrong.
func Load(path string) (*Scenario, error) { return loadFrom(nil, path) }

// LoadSeeded is Load with seed in place of the file's: every draw the
// scenario makes is of it, the sites its selectors' shares pick as the
// run's durations and faults.
func LoadSeeded(path string, seed uint64) (*Scenario, error) { return loadSeeded(nil, path, &seed) }

// LoadLibrary loads a scenario of the library built into the binary
// (Library), such as "live/default.yaml".
func LoadLibrary(name string) (*Scenario, error) { return loadFrom(Library, name) }

// LoadLibrarySeeded is LoadLibrary with seed in place of the file's.
func LoadLibrarySeeded(name string, seed uint64) (*Scenario, error) {
	return loadSeeded(Library, name, &seed)
}

// loadFrom reads a scenario from fsys, or from the operating system's files
// when fsys is nil.
func loadFrom(fsys fs.FS, path string) (*Scenario, error) { return loadSeeded(fsys, path, nil) }

// loadSeeded is loadFrom with seed, when given, in place of the file's.
func loadSeeded(fsys fs.FS, path string, seed *uint64) (*Scenario, error) {
	data, err := readFile(fsys, path)
	if err != nil {
		return nil, err
	}
	f := File{fsys: fsys}
	var unknown *yamlfile.UnknownKeys
	if err := yamlfile.Decode(data, &f); errors.As(err, &unknown) {
		// The rest of the file is checked too, so that every fault shows.
		f.faults = unknown.Errs
	} else if err != nil {
		if errors.Is(err, yamlfile.ErrEmpty) {
			err = fmt.Errorf("%w: a scenario starts with \"version: 2\" (scenarios/README.md)", err)
		}
		return nil, fmt.Errorf("scenario %s: %w", path, faultCounts(data, err))
	}
	f.locate(data)
	if seed != nil {
		f.Seed = *seed
	}
	sc, err := f.build(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc.Path = path
	return sc, nil
}

func (f *File) build(dir string) (*Scenario, error) {
	errs := f.faults
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch f.Version {
	case 1, 2:
	case 0:
		// Checked as the newest version, so that the file's other faults
		// show too and none of them is only the missing version's.
		bad(`version: missing: a scenario file starts with the version of its format: "version: 2" (or "version: 1" for a file written for version 1)`)
		f.Version = 2
	default:
		return nil, errors.Join(append(errs, fmt.Errorf("version: %d is not supported (this build reads versions 1 and 2)", f.Version))...)
	}
	if f.Population != nil {
		sc, err := f.buildPopulation(dir)
		if err = errors.Join(append(errs, err)...); err != nil {
			return nil, err
		}
		return sc, nil
	}
	if f.Name == "" {
		bad("name: missing")
	}
	epoch, err := time.Parse(time.RFC3339, f.Start)
	switch {
	case f.Start == "":
		bad("start: missing: T+0, an RFC 3339 time such as 2024-06-03T09:00:00+10:00")
	case err != nil:
		bad("%sstart: %q is not an RFC 3339 time such as 2024-06-03T09:00:00+10:00", f.lines.at("start"), f.Start)
	}
	var cat *catalog.Catalog
	if f.Catalog == "" {
		bad("catalog: missing")
	} else if cat, err = f.loadCatalog(dir, f.Catalog); err != nil {
		bad("%s%v", f.lines.at("catalog"), err)
	} else if err := probesNeedRouters(cat); err != nil {
		bad("%scatalog %s: %v", f.lines.at("catalog"), f.Catalog, err)
	}
	var net *twin.Network
	if f.Network == "" {
		bad("network: missing")
	} else if net, err = f.loadNetwork(dir, f.Network); err != nil {
		bad("%s%v", f.lines.at("network"), err)
	}
	if net != nil {
		applied := true
		for i, o := range f.Occupancy {
			if err := o.apply(net); err != nil {
				bad("%soccupancy[%d]: %v", f.lines.at(fmt.Sprintf("occupancy[%d]", i)), i, err)
				applied = false
			}
		}
		if len(f.Occupancy) > 0 && applied {
			if err := net.Validate(); err != nil {
				bad("occupancy: %v", err)
			}
		}
	}
	// A file with no customer, quote or order places nothing: a live
	// server's orders come over the TMF APIs.
	var orders []Placement
	if f.Customer != (CustomerSpec{}) || f.Quote.Offering != "" || len(f.Quote.Sites) > 0 || f.Order.ID != "" {
		orders = []Placement{f.placement(cat, net, bad)}
	}
	events := f.checkRest(cat, net, f.Quote.waveNames(), f.Quote.siteCodes(), orders, bad)
	if len(errs) > 0 {
		byLine(errs)
		return nil, errors.Join(errs...)
	}
	return &Scenario{Name: f.Name, Expect: f.Expect, Spec: Spec{Name: f.Name, Version: f.Version, Seed: f.Seed, Epoch: epoch,
		Catalog: cat, Network: net, Orders: orders, Faults: f.Faults, Events: events}}, nil
}

// placement builds the file's one customer, quote and order, checked
// against the catalog and network.
func (f *File) placement(cat *catalog.Catalog, net *twin.Network, bad func(format string, args ...any)) Placement {
	var err error
	q := com.QuoteRequest{ID: f.Quote.ID, Customer: com.Customer(f.Customer), Offering: f.Quote.Offering,
		Tier: f.Quote.SLA, Speed: f.Quote.Speed, Term: f.Quote.Term, RateCard: f.Quote.RateCard, Monthly: f.Quote.Price,
		ChangesPerSite: f.Version >= 2}
	for i, w := range f.Quote.Waves {
		target, err := tmf.ParseOffset(w.Target)
		at := f.lines.at(fmt.Sprintf("quote.waves[%d].target", i))
		if w.Target == "" {
			bad("%squote.waves[%d] (%s): target: missing: give the wave's target completion from T+0 (P14D)", at, i, w.Name)
		} else if err != nil {
			bad("%squote.waves[%d] (%s): target: %v", at, i, w.Name, err)
		} else if target <= 0 {
			bad("%squote.waves[%d] (%s): target: %s is not after T+0: no wave is done by then", at, i, w.Name, w.Target)
		}
		so := w.ServiceOrder
		if so == "" {
			so = com.ServiceOrderName(w.Name)
		}
		q.Waves = append(q.Waves, com.WavePlan{Name: w.Name, ServiceOrder: so, Target: target})
	}
	q.Waves = f.gates(f.Quote.Waves, "quote.waves", q.Waves, bad)
	for i, s := range f.Quote.Sites {
		if f.Version < 2 && (s.SLA != "" || s.Speed != "" || s.Price != 0 || s.Offering != "" || s.RateCard != "") {
			bad("%squote.sites[%d] (%s): sla, speed, price, offering and rateCard of a site are version 2: the file starts with \"version: 2\"", f.lines.at(fmt.Sprintf("quote.sites[%d]", i)), i, s.Code)
		}
		q.Sites = append(q.Sites, com.Site{Code: s.Code, Name: s.Name, Address: s.Address, Wave: s.Wave,
			Tier: s.SLA, Speed: s.Speed, Monthly: s.Price, Offering: s.Offering, RateCard: s.RateCard})
	}
	at := time.Duration(0)
	if f.Order.At != "" {
		if at, err = tmf.ParseOffset(f.Order.At); err != nil {
			bad("%sorder.at: %v", f.lines.at("order.at"), err)
		} else if at < 0 {
			bad("%sorder.at: %s is before T+0", f.lines.at("order.at"), f.Order.At)
		}
	}
	if cat != nil {
		if err := com.New(com.Config{Catalog: cat}).Check(q); err != nil {
			for _, e := range unjoin(err) {
				bad("%squote: %v", f.lines.at(f.quotePath(e.Error())), e)
			}
		}
	}
	if net != nil && f.Customer.Account != "" {
		accounts := make([]string, len(net.Credit))
		for i, c := range net.Credit {
			accounts[i] = c.Account
		}
		if !slices.Contains(accounts, f.Customer.Account) {
			bad("%scustomer.account: %q is not an account of the network's credit system%s (accounts: %s)", f.lines.at("customer.account"),
				f.Customer.Account, hint.DidYouMean(f.Customer.Account, accounts), strings.Join(accounts, ", "))
		}
	}
	if net != nil {
		for i, s := range q.Sites {
			if err := knownAddress(net, s.Address); s.Address != "" && err != nil {
				bad("%squote.sites %s: %v", f.lines.at(fmt.Sprintf("quote.sites[%d].address", i)), s.Code, err)
			}
		}
	}
	return Placement{Quote: q, OrderID: f.Order.ID, At: at}
}

// checkRest checks what every kind of scenario file has besides its orders:
// its events (built against net and the rollout plan's waves and sites),
// fault rules and expectations. Sites is nil where the file does not list
// its sites (a population's).
func (f *File) checkRest(cat *catalog.Catalog, net *twin.Network, waves, sites []string, orders []Placement, bad func(format string, args ...any)) []Event {
	var events []Event
	quoteSites := slices.Clone(sites)
	for _, e := range f.Events {
		if e.Kind == "addSite" {
			sites = append(sites, e.Site)
		}
	}
	added := map[string]int{}
	for i, e := range f.Events {
		ev, err := e.build(net)
		if err == nil {
			err = e.checkPlan(waves, sites)
		}
		if err == nil {
			err = e.checkAdded(i, quoteSites, added)
		}
		if err == nil {
			err = e.checkChange(cat, orders)
		}
		if err == nil {
			err = f.checkSelector(e, orders)
		}
		if err == nil && e.Kind == "release" && f.Version < 2 {
			err = errors.New(`release is version 2: the file starts with "version: 2"`)
		}
		if err == nil && e.Select == nil {
			err = e.checkPlaced(ev, orders)
		}
		if err != nil {
			bad("line %d: events[%d] (%s): %v", e.line, i, e.Kind, err)
			continue
		}
		if e.Select == nil {
			events = append(events, ev)
			continue
		}
		picked, err := e.Select.pick(candidates(orders, net), ev.At, f.Seed, i)
		if err != nil {
			bad("line %d: events[%d] (%s): %v", e.line, i, e.Kind, err)
			continue
		}
		for _, c := range picked {
			events = append(events, aimed(ev, c))
		}
	}
	f.checkFaults(cat, bad)
	if f.Version < 2 && f.Expect != nil {
		for _, key := range f.Expect.version2() {
			bad("%sexpect.%s: is version 2: the file starts with \"version: 2\"", f.lines.at("expect."+key), key)
		}
	}
	if err := errors.Join(f.Expect.check(f.Faults), f.Expect.checkSites(orders, sites)); err != nil {
		for _, e := range unjoin(err) {
			key, _, _ := strings.Cut(e.Error(), ":") // the expectation's key, faultHits or states[2] (MELB)
			key, _, _ = strings.Cut(key, " ")
			bad("%sexpect: %v", f.lines.at("expect."+key), e)
		}
	}
	late := slices.ContainsFunc(f.Events, func(e EventSpec) bool { return e.Kind == "addSite" })
	if err := f.Expect.checkAbsent(orders, sites, late); err != nil {
		bad("%v", err)
	}
	return events
}

// checkFaults checks the fault rules (twin.CheckFaults), and that a rule
// of the CE router's kinds aimed at a system is aimed at the one the
// catalog commits a CPE on: on another it can never fire. Each error
// names the rule's line.
func (f *File) checkFaults(cat *catalog.Catalog, bad func(format string, args ...any)) {
	line := func(i int) string {
		if i < len(f.faultLines) {
			return fmt.Sprintf("line %d: ", f.faultLines[i])
		}
		return ""
	}
	if err := errors.Join(twin.CheckFaults(f.Faults), twin.CheckFaultFields(f.Faults)); err != nil {
		for _, e := range unjoin(err) {
			// Each error starts with its rule: faults[i] (name).
			var i int
			if _, scanErr := fmt.Sscanf(e.Error(), "faults[%d]", &i); scanErr == nil {
				bad("%s%v", line(i), e)
			} else {
				bad("%v", e)
			}
		}
	}
	for i, r := range f.Faults {
		if why := NeverFires(cat, r); why != "" {
			bad("%sfaults[%d] (%s): %s", line(i), i, r.Name, why)
		}
	}
}

// NeverFires says why fault rule r, valid on its own (twin.CheckFaults),
// can never fire with catalog cat: a resource type no RFS allocates, an
// operation its system is never called with, a rule of the CE router's
// kinds aimed at a system other than the one the catalog commits a CPE
// on; "" when it may fire (or cat is nil).
func NeverFires(cat *catalog.Catalog, r twin.FaultRule) string {
	known := slices.ContainsFunc(twin.Systems, func(s port.System) bool { return string(s) == r.Target.System })
	if cat == nil {
		return ""
	}
	if why := noSuchType(cat, r.Target.ResourceType); why != "" || !known {
		return why // an unknown system is twin.CheckFaults's error
	}
	if why := neverCalled(cat, port.System(r.Target.System), port.Op(r.Target.Op)); why != "" {
		return why
	}
	if r.Kind != twin.LostCPE && r.Kind != twin.DamagedCPE && r.Kind != twin.ZTPBootFailure {
		return ""
	}
	var on []string
	for _, rfs := range cat.RFS {
		if rfs.Resource.Type == "CPE" && !slices.Contains(on, rfs.Resource.Commit) {
			on = append(on, rfs.Resource.Commit)
		}
	}
	if len(on) == 0 || slices.Contains(on, r.Target.System) {
		return ""
	}
	return fmt.Sprintf("target: system: a %s fault hits the CE router's commit, which the catalog puts on %s, never on %s: it can never fire (target: {system: %s})",
		r.Kind, strings.Join(on, ", "), r.Target.System, on[0])
}

// noSuchType says why no call is ever of resource type rt, with catalog
// cat: "" when an RFS of the catalog allocates it (or rt is not given).
func noSuchType(cat *catalog.Catalog, rt string) string {
	if rt == "" {
		return ""
	}
	var types []string
	for _, rfs := range cat.RFS {
		if !slices.Contains(types, rfs.Resource.Type) {
			types = append(types, rfs.Resource.Type)
		}
	}
	if slices.Contains(types, rt) {
		return ""
	}
	slices.Sort(types)
	return fmt.Sprintf("target: resourceType: %q is allocated by no RFS of the catalog%s (its types: %s): it can never fire",
		rt, hint.DidYouMean(rt, types), strings.Join(types, ", "))
}

// commercialOps are the operations COM calls each of its systems with
// (a credit check, an approval's review, …); a system an RFS of the
// catalog names is called to reserve, commit and release its resource
// too, and the NMS to measure a probe.
var commercialOps = map[port.System][]port.Op{
	port.Qualification: {port.Qualify, port.Revalidate, port.Release},
	port.Credit:        {port.Check},
	port.Workflow:      {port.Review},
	port.Planning:      {port.Plan, port.Expand},
	port.Billing:       {port.Activate, port.Deactivate},
	port.NMS:           {port.Measure},
}

// neverCalled says why no call is ever made of sys with op, with catalog
// cat: "" when one may be (or op is not given).
func neverCalled(cat *catalog.Catalog, sys port.System, op port.Op) string {
	if op == "" {
		return ""
	}
	ops := slices.Clone(commercialOps[sys])
	for _, rfs := range cat.RFS {
		if rfs.Resource.Reserve == string(sys) || rfs.Resource.Commit == string(sys) {
			ops = append(ops, port.Reserve, port.Commit, port.Release)
			break
		}
	}
	if slices.Contains(ops, op) {
		return ""
	}
	if len(ops) == 0 {
		return fmt.Sprintf("target: system: %s is called by nothing of this catalog: it can never fire", sys)
	}
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = string(o)
	}
	return fmt.Sprintf("target: op: %s is never called to %s, only to %s: it can never fire", sys, op, strings.Join(names, ", "))
}

// probesNeedRouters checks that every plan with an SLA probe (a
// TWAMPProbe RFS) has a CE router (a CPE RFS) too: the twin's probe
// measures to the site's router, and its commit completes only once the
// router is installed; without one it would wait for ever.
func probesNeedRouters(cat *catalog.Catalog) error {
	for _, oid := range slices.Sorted(maps.Keys(cat.Offerings)) {
		o := cat.Offerings[oid]
		for _, tn := range o.Tiers {
			cfs := cat.CFSFor(o, cat.Tiers[tn])
			techs := map[string]bool{}
			for _, s := range cfs {
				for t := range s.RFS {
					techs[t] = true
				}
			}
			for _, tech := range slices.Sorted(maps.Keys(techs)) {
				if slices.ContainsFunc(cfs, func(s *catalog.CFS) bool { return len(s.RFSFor(tech)) == 0 }) {
					continue // no plan on tech ("*": a technology none names)
				}
				var probe string
				router := false
				for _, s := range cfs {
					for _, id := range s.RFSFor(tech) {
						if r := cat.RFS[id]; r != nil {
							router = router || r.Resource.Type == "CPE"
							if r.Resource.Type == "TWAMPProbe" && probe == "" {
								probe = id
							}
						}
					}
				}
				if probe != "" && !router {
					on := " on " + tech
					if tech == "*" {
						on = ""
					}
					return fmt.Errorf("offering %s (SLA %s)%s: %s is an SLA probe (TWAMPProbe), which measures to the site's CE router, but no RFS of the offering is a CE router (CPE): the probe's commit would wait for one for ever", oid, tn, on, probe)
				}
			}
		}
	}
	return nil
}

// unjoin is the errors joined in err (errors.Join, at any depth), or err
// alone.
func unjoin(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, unjoin(e)...)
	}
	return out
}

// locate finds the lines of the plan's waves and of the events in the
// file (decoded without error), for errors about their gates and
// selectors. (A yaml.Unmarshaler would keep them too, but the file's key
// check does not look inside one.)
func (f *File) locate(data []byte) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	f.lines = indexLines(root)
	for i, n := range items(child(child(root, "quote"), "waves")) {
		if i < len(f.Quote.Waves) {
			f.Quote.Waves[i].line = n.Line
		}
	}
	if f.Expect != nil {
		for i, n := range items(child(child(root, "expect"), "absent")) {
			if i < len(f.Expect.Absent) {
				f.Expect.Absent[i].line = n.Line
			}
		}
	}
	for i, n := range items(child(root, "faults")) {
		if i < len(f.Faults) {
			f.faultLines = append(f.faultLines, n.Line)
		}
	}
	for i, n := range items(child(root, "events")) {
		if i < len(f.Events) {
			f.Events[i].line = n.Line
		}
	}
}

// faultCounts is err, the decoder's, naming the rule and the key where it
// is a fault rule's count of 0 (twin.Count refuses it as it is read: "line
// N: a count of 0 (first, every or nth)", without the rule the file's
// other fault errors name): every such count of the file's rules, each
// "line N: faults[i] (name): first: a count of 0: want 1 or more".
func faultCounts(data []byte, err error) error {
	var line int
	if _, scanErr := fmt.Sscanf(err.Error(), "line %d: a count of", &line); scanErr != nil {
		return err
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return err
	}
	var errs []error
	found := false
	for i, item := range items(child(doc.Content[0], "faults")) {
		name := ""
		if n := child(item, "name"); n != nil {
			name = n.Value
		}
		for k := 0; k+1 < len(item.Content); k += 2 {
			key, v := item.Content[k], item.Content[k+1]
			var c int
			if !slices.Contains([]string{"first", "every", "nth"}, key.Value) || v.Kind != yaml.ScalarNode || v.Tag != "!!int" ||
				v.Decode(&c) != nil || c != 0 {
				continue
			}
			found = found || v.Line == line
			errs = append(errs, fmt.Errorf("line %d: faults[%d] (%s): %s: a count of %s: want 1 or more", v.Line, i, name, key.Value, v.Value))
		}
	}
	if !found {
		return err
	}
	return errors.Join(errs...)
}

// child is the value of key in a mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// items are the items of a sequence node, or none.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// resolve finds a path named in a scenario file: relative to the file's
// folder, or as it is when absolute.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func readFile(fsys fs.FS, path string) ([]byte, error) {
	if fsys == nil {
		return os.ReadFile(path)
	}
	return fs.ReadFile(fsys, filepath.ToSlash(filepath.Clean(path)))
}

// loadCatalog reads the catalog a scenario file names.
func (f *File) loadCatalog(dir, path string) (*catalog.Catalog, error) {
	path = resolve(dir, path)
	data, err := readFile(f.fsys, path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// loadNetwork reads the network a scenario file names.
func (f *File) loadNetwork(dir, path string) (*twin.Network, error) {
	path = resolve(dir, path)
	data, err := readFile(f.fsys, path)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	n, err := twin.ParseNetwork(data)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", path, err)
	}
	return n, nil
}

// buildPopulation reads a scenario of many generated customers: a catalog,
// the population, optionally a network file whose durations to use, events,
// faults and expectations.
func (f *File) buildPopulation(dir string) (*Scenario, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.Customer.ID != "" || f.Quote.Offering != "" || f.Order.ID != "" || len(f.Occupancy) > 0 {
		bad("population: a population scenario has no customer, quote, order or occupancy of its own")
	}
	epoch, err := time.Parse(time.RFC3339, f.Start)
	if err != nil {
		bad("%sstart: %q is not an RFC 3339 time such as 2024-06-03T09:00:00+10:00", f.lines.at("start"), f.Start)
	}
	cat, err := f.loadCatalog(dir, f.Catalog)
	if err != nil {
		return nil, err
	}
	if _, err := cat.Offering(f.Population.Offering); err != nil {
		return nil, fmt.Errorf("%spopulation: %w", f.lines.at("population.offering"), err)
	}
	durations, err := NetworkDurations()
	if f.Network != "" {
		var n *twin.Network
		if n, err = f.loadNetwork(dir, f.Network); err == nil {
			durations = n.Durations
		}
	}
	if err != nil {
		return nil, err
	}
	f.populationGates(bad)
	net, orders, events, err := f.Population.generate(cat, durations, f.lines)
	if err != nil {
		// Each names its line (the population's own), with the file's
		// other faults found so far.
		errs = append(errs, unjoin(err)...)
		byLine(errs)
		return nil, errors.Join(errs...)
	}
	for i := range orders {
		orders[i].Quote.ChangesPerSite = f.Version >= 2
	}
	c := com.New(com.Config{Catalog: cat})
	if err := c.Check(orders[0].Quote); err != nil {
		for _, e := range unjoin(err) {
			bad("%spopulation: %v", f.lines.at(populationPath(e.Error())), e)
		}
	}
	events = append(events, f.checkRest(cat, net, f.Population.waveNames(), nil, orders, bad)...)
	var offers []Placement
	switch f.Population.Orders {
	case "", PlacedByScenario:
	case PlacedByAPI:
		offers, orders = orders, nil
	default:
		bad("%spopulation.orders: %q: want %s (the scenario places them at their arrival) or %s (they come over the APIs)",
			f.lines.at("population.orders"), f.Population.Orders, PlacedByScenario, PlacedByAPI)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Scenario{Name: f.Name, Expect: f.Expect, Spec: Spec{Name: f.Name, Version: f.Version, Seed: f.Seed, Epoch: epoch,
		Catalog: cat, Network: net, Orders: orders, Offers: offers, Faults: f.Faults, Events: events}}, nil
}

// Placements are the scenario's quotes and orders, those it places and
// those it offers for the APIs.
func (s Spec) Placements() []Placement { return append(slices.Clone(s.Orders), s.Offers...) }

// checkSelector checks an event's selector, and that a customer event of
// a scenario of many orders has one: without, it would be aimed at no
// order.
func (f *File) checkSelector(e EventSpec, orders []Placement) error {
	if e.Select == nil {
		if len(orders) > 1 && slices.Contains(selectable, e.Kind) {
			return fmt.Errorf("the scenario has %d orders: a %s names the sites it is aimed at with select: (customers, area, wave, site, share)",
				len(orders), e.Kind)
		}
		return nil
	}
	switch {
	case f.Version < 2:
		return errors.New(`select: is version 2: the file starts with "version: 2"`)
	case !slices.Contains(selectable, e.Kind):
		return fmt.Errorf("select: aims a %s, not a %s", strings.Join(selectable, ", "), e.Kind)
	case e.Site != "":
		return errors.New("select: and site: both: name the site in the selector (select: {site: ...})")
	}
	return nil
}

// checkPlaced checks that a customer event aimed at the scenario's one
// order comes after the order is placed: before, COM would refuse it
// ("no such product order") and the run would go on as if it had not been
// asked. An event on a trigger (after:) is timed at run time.
func (e EventSpec) checkPlaced(ev Event, orders []Placement) error {
	if req, _, _ := ev.customerRequest(); req == nil || ev.After != "" || len(orders) != 1 || ev.At > orders[0].At {
		return nil
	}
	p := orders[0]
	return fmt.Errorf("at: %s is not after order %s is placed (order.at: %s): COM would refuse the %s (no such product order); give it a later at",
		tmf.FormatOffset(ev.At), p.OrderID, tmf.FormatOffset(p.At), e.Kind)
}

// checkPlan checks the waves and sites an event names against the rollout
// plan: a site added into a wave the plan does not have would become a
// late wave of its own, and a remediation of one would fix nothing.
func (e EventSpec) checkPlan(waves, sites []string) error {
	switch e.Kind {
	case "addSite", "remediate", "release":
		if !slices.Contains(waves, e.Wave) {
			return fmt.Errorf("wave %q is not in the rollout plan%s (waves: %s)",
				e.Wave, hint.DidYouMean(e.Wave, waves), strings.Join(waves, ", "))
		}
	case "change", "removeSite", "cancel":
		if sites != nil && e.Site != "" && !slices.Contains(sites, e.Site) {
			return fmt.Errorf("site %q is not a site of the order%s (sites: %s)",
				e.Site, hint.DidYouMean(e.Site, sites), strings.Join(sites, ", "))
		}
	}
	return nil
}

// checkAdded checks that what event i adds is new: a site whose code the
// quote (quoteSites) or an earlier event has not (COM refused it when the
// event came: "site … is already in the order"), a line card in a slot no
// earlier event fills (the twin refused it); the run went on without
// them. Added keeps what the events before add.
func (e EventSpec) checkAdded(i int, quoteSites []string, added map[string]int) error {
	var key string
	switch e.Kind {
	case "addSite":
		if k := slices.Index(quoteSites, e.Site); k >= 0 {
			return fmt.Errorf("site: %s is a site of the quote already (quote.sites[%d]): COM would refuse to add it; give the new site a code of its own", e.Site, k)
		}
		key = "site " + e.Site
		if j, ok := added[key]; ok {
			return fmt.Errorf("site: events[%d] adds site %s already: COM would refuse to add it again; give the new site a code of its own", j, e.Site)
		}
	case "addLineCard":
		key = fmt.Sprintf("card %s %d", e.OLT, e.Slot)
		if j, ok := added[key]; ok {
			return fmt.Errorf("slot: %s has a line card in slot %d already (events[%d]'s)", e.OLT, e.Slot, j)
		}
	default:
		return nil
	}
	added[key] = i
	return nil
}

// checkChange checks the speed and tier a change asks for against the
// offering of the site it changes: COM would refuse another when the
// event comes, and the run would go on as if it had not been asked.
func (e EventSpec) checkChange(cat *catalog.Catalog, orders []Placement) error {
	if e.Kind != "change" || cat == nil || e.Site == "" {
		return nil
	}
	for _, p := range orders {
		for _, s := range p.Quote.Sites {
			if s.Code != e.Site {
				continue
			}
			off, err := cat.Offering(cmp.Or(s.Offering, p.Quote.Offering))
			if err != nil {
				return nil // the quote's check names it
			}
			if e.Speed != "" && !slices.Contains(off.Speeds, e.Speed) {
				return fmt.Errorf("speed: %q is not a speed of %s%s (speeds: %s)", e.Speed, off.ID, hint.DidYouMean(e.Speed, off.Speeds), strings.Join(off.Speeds, ", "))
			}
			if e.SLA != "" {
				if _, err := cat.Tier(off, e.SLA); err != nil {
					return fmt.Errorf("sla: %w", err)
				}
			}
			return nil
		}
	}
	return nil
}

// knownAddress says whether address is in the network, and if not, which
// address was probably meant.
func knownAddress(net *twin.Network, address string) error {
	if net == nil {
		return nil
	}
	known := make([]string, len(net.Addresses))
	for i, a := range net.Addresses {
		if a.Address == address {
			return nil
		}
		known[i] = a.Address
	}
	return fmt.Errorf("address %q is not in the network%s", address, didYouMean(address, known))
}

// didYouMean is hint.DidYouMean, or, where several known names are as
// close (no one of them the name meant), the first few of those close
// enough to be a slip: ` (did you mean one of "A", "B"?)`; nothing when
// none is close. It is for an address: the error lists no address book,
// so without it "Karl Johans gate 9" among gates 1 and 2 said nothing of
// where to look (a wave's or a site's error lists them all).
func didYouMean(word string, known []string) string {
	if h := hint.DidYouMean(word, known); h != "" {
		return h
	}
	const most = 4
	var near []string
	n := 0
	for _, k := range known {
		if _, ok := hint.Nearest(word, []string{k}); ok {
			if n++; n <= most {
				near = append(near, strconv.Quote(k))
			}
		}
	}
	switch {
	case n == 0:
		return ""
	case n > most:
		return fmt.Sprintf(" (did you mean one of %s, or %d more?)", strings.Join(near, ", "), n-most)
	}
	return fmt.Sprintf(" (did you mean one of %s?)", strings.Join(near, ", "))
}

func (q QuoteSpec) waveNames() []string {
	names := make([]string, len(q.Waves))
	for i, w := range q.Waves {
		names[i] = w.Name
	}
	return names
}

func (q QuoteSpec) siteCodes() []string {
	codes := make([]string, len(q.Sites))
	for i, s := range q.Sites {
		codes[i] = s.Code
	}
	return codes
}
