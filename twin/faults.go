package twin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// FaultRule is a fault as data: what it hits, when, how often, and what it
// does. Scenario files list them under `faults:`.
type FaultRule struct {
	Name   string      `yaml:"name"`
	Kind   FaultKind   `yaml:"kind"`
	Target FaultTarget `yaml:"target"`
	// From and Until bound the rule in time (ISO 8601 offsets from T+0);
	// empty means from the start, and for ever.
	From  string `yaml:"from"`
	Until string `yaml:"until"`
	// After arms the rule only once an entity reaches a state, e.g.
	// "SO-PILOT completed" (an id or name, a space, a state); From and
	// Until then count from that moment.
	After string `yaml:"after"`
	// Occurrence, among the calls the rule matches: the first N, every Nth,
	// only the k-th, or each with probability p (from the rule's own seeded
	// stream). None set means every matching call.
	// A value given is above 0: a count or chance of 0 would never fire
	// (Count, Chance).
	First       Count  `yaml:"first"`
	Every       Count  `yaml:"every"`
	Nth         Count  `yaml:"nth"`
	Probability Chance `yaml:"probability"`
	// Factor multiplies durations (kind latency).
	Factor float64 `yaml:"factor"`
	// Measure is what a probe measures instead of its baseline (kind
	// slaBreach).
	Measure *Measurement `yaml:"measure"`
	// Message is the error text or reason; each kind has a default.
	Message string `yaml:"message"`
}

// Count is a fault rule's first, every or nth: 0 is "not given", so a
// file or request that gives 0 is refused as it is read (a rule firing on
// none of the calls, or read as on every call, is not what was meant).
type Count int

// Chance is a fault rule's probability: 0 is "not given", so a file or
// request that gives 0 is refused as it is read (such a rule never
// fires: leave it out).
type Chance float64

// UnmarshalYAML refuses a count of 0 given.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil // not given
	}
	var v int
	if err := n.Decode(&v); err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("line %d: a count of %s (first, every or nth): want 1 or more", n.Line, n.Value)
	}
	*c = Count(v)
	return nil
}

// UnmarshalJSON refuses a count of 0 given.
func (c *Count) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // not given
	}
	var v int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == 0 {
		return errors.New("a count of 0: want 1 or more")
	}
	*c = Count(v)
	return nil
}

// UnmarshalYAML refuses a probability of 0 given.
func (c *Chance) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil // not given
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("line %d: probability %s never fires: leave the rule out, or give a probability above 0", n.Line, n.Value)
	}
	*c = Chance(v)
	return nil
}

// UnmarshalJSON refuses a probability of 0 given.
func (c *Chance) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // not given
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == 0 {
		return errors.New("probability 0 never fires: leave the rule out, or give a probability above 0")
	}
	*c = Chance(v)
	return nil
}

// FaultTarget selects calls; every field given must match.
type FaultTarget struct {
	System       string `yaml:"system"`       // access, vlan, bng, ipam, ztp, logistics, nms, qualification, credit, workflow, billing
	Op           string `yaml:"op"`           // reserve, commit, release, qualify, revalidate, check, review
	ResourceType string `yaml:"resourceType"` // OLTPort, CPE, ...
	Site         string `yaml:"site"`         // site code
	Area         string `yaml:"area"`         // serving area
	Region       string `yaml:"region"`
	Stage        string `yaml:"stage"` // approval stage
}

// FaultKind is what a fault does.
type FaultKind string

// Fault kinds.
const (
	// Transient fails the call with a transient error (a NETCONF timeout).
	Transient FaultKind = "transient"
	// Hard fails the call with an error that will not go away.
	Hard FaultKind = "hard"
	// Exhausted fails the call for lack of capacity.
	Exhausted FaultKind = "exhausted"
	// Down fails every call to the target in its window, as transient
	// errors: an element down for maintenance or an outage.
	Down FaultKind = "down"
	// Latency multiplies the call's duration by Factor.
	Latency FaultKind = "latency"
	// SLABreach makes a probe measure Measure instead of its baseline.
	SLABreach FaultKind = "slaBreach"
	// ApprovalReject makes an approval review reject the quote.
	ApprovalReject FaultKind = "approvalReject"
	// CreditRefuse makes the credit system refuse the order.
	CreditRefuse FaultKind = "creditRefuse"
	// LostCPE loses a CE router in transit.
	LostCPE FaultKind = "lostCPE"
	// DamagedCPE delivers a CE router damaged.
	DamagedCPE FaultKind = "damagedCPE"
	// ZTPBootFailure makes a delivered CE router fail its ZTP boot.
	ZTPBootFailure FaultKind = "ztpBootFailure"
	// TokenExpiry issues feasibility tokens that have already expired.
	TokenExpiry FaultKind = "tokenExpiry"
)

// faultKinds are the kinds a rule may name, sorted.
var faultKinds = []FaultKind{ApprovalReject, CreditRefuse, DamagedCPE, Down, Exhausted, Hard, Latency, LostCPE,
	SLABreach, TokenExpiry, Transient, ZTPBootFailure}

// fault is a rule at run time: its window, how many calls it matched and
// how many it hit.
type fault struct {
	rule        FaultRule
	from, until time.Duration
	// armed is false while the rule waits for its After trigger.
	armed   bool
	matched int
	hits    int
	rand    *rand.Rand
	// stream is the generator rand draws from: its position is saved in
	// snapshots.
	stream *rand.PCG
	// live: injected while the twin runs (InjectLive), so not part of
	// its configuration: a snapshot keeps the rule itself.
	live bool
	// lifted: an operator took the rule out (Lift); it fires no more, and
	// keeps its name and its hits.
	lifted bool
}

// Hits is how often a rule fired, by name.
type Hits struct {
	Name string
	Kind FaultKind
	Hits int
	// Lifted is set once the rule was taken out (Lift).
	Lifted bool
}

// CheckFaults validates fault rules, naming every fault of them.
func CheckFaults(rules []FaultRule) error {
	var errs []error
	names := map[string]bool{}
	for i, r := range rules {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("faults[%d] (%s): %s", i, r.Name, fmt.Sprintf(format, args...)))
		}
		if r.Name == "" {
			bad("no name")
		} else if names[r.Name] {
			bad("name used twice")
		}
		names[r.Name] = true
		if !slices.Contains(faultKinds, r.Kind) {
			bad("unknown kind %q (known: %s)", r.Kind, joinKinds())
		}
		if _, _, err := r.window(); err != nil {
			bad("%v", err)
		}
		if r.After != "" {
			if entity, state, ok := strings.Cut(r.After, " "); !ok || entity == "" || state == "" {
				bad("after %q: want an entity and a state, such as \"SO-PILOT completed\"", r.After)
			}
		}
		set := 0
		for _, n := range []bool{r.First > 0, r.Every > 0, r.Nth > 0, r.Probability > 0} {
			if n {
				set++
			}
		}
		if set > 1 {
			bad("give at most one of first, every, nth and probability")
		}
		if r.First < 0 || r.Every < 0 || r.Nth < 0 || r.Probability < 0 || r.Probability > 1 {
			bad("first, every and nth must be positive, probability within 0-1")
		}
		if err := r.Target.check(r.Kind); err != nil {
			bad("%v", err)
		}
		if r.Kind == Latency && r.Factor <= 0 {
			bad("a latency fault needs a factor > 0")
		}
		if r.Kind == SLABreach && r.Measure == nil {
			bad("an slaBreach fault needs measure: {latencyMs, lossPct, availability}")
		}
	}
	return errors.Join(errs...)
}

// CheckFaultFields refuses what a rule of its kind does not take (a
// factor but on latency, a measure but on slaBreach), as a file or a
// request gives rules. It is not part of CheckFaults, which a replay
// runs on the rules it logged: a rule taken before these were refused
// replays as it ran.
func CheckFaultFields(rules []FaultRule) error {
	var errs []error
	for i, r := range rules {
		if r.Kind != Latency && r.Factor != 0 {
			errs = append(errs, fmt.Errorf("faults[%d] (%s): factor is a latency fault's: a %s fault takes none", i, r.Name, r.Kind))
		}
		if r.Kind != SLABreach && r.Measure != nil {
			errs = append(errs, fmt.Errorf("faults[%d] (%s): measure is an slaBreach fault's: a %s fault takes none", i, r.Name, r.Kind))
		}
	}
	return errors.Join(errs...)
}

// ops are the operations a fault's target may name.
var ops = []port.Op{port.Qualify, port.Revalidate, port.Check, port.Review, port.Reserve, port.Commit, port.Release,
	port.Activate, port.Deactivate, port.Plan, port.Expand, port.Measure}

// kindSystems are the systems whose answer a kind changes (matches): a
// rule of the kind aimed at another system can never fire. The CE
// router's kinds are on the system that commits a CPE, which the catalog
// says (the scenario checks it).
var kindSystems = map[FaultKind]port.System{SLABreach: port.NMS, ApprovalReject: port.Workflow, CreditRefuse: port.Credit,
	TokenExpiry: port.Qualification}

// check checks that the target names systems and operations that exist,
// and that a rule of kind aimed at it can fire.
func (t FaultTarget) check(kind FaultKind) error {
	var errs []error
	if t.System != "" && !slices.Contains(port.Systems, port.System(t.System)) {
		known := make([]string, len(port.Systems))
		for i, s := range port.Systems {
			known[i] = string(s)
		}
		errs = append(errs, fmt.Errorf("target: system: %q is not a system%s (systems: %s)",
			t.System, hint.DidYouMean(t.System, known), strings.Join(known, ", ")))
	} else if sys, ok := kindSystems[kind]; ok && t.System != "" && t.System != string(sys) {
		errs = append(errs, fmt.Errorf("target: system: a %s fault changes what %s answers, never %s: it can never fire (target: {system: %s})",
			kind, sys, t.System, sys))
	}
	if t.Op != "" && !slices.Contains(ops, port.Op(t.Op)) {
		known := make([]string, len(ops))
		for i, o := range ops {
			known[i] = string(o)
		}
		errs = append(errs, fmt.Errorf("target: op: %q is not an operation%s (operations: %s)",
			t.Op, hint.DidYouMean(t.Op, known), strings.Join(known, ", ")))
	}
	if kind == LostCPE || kind == DamagedCPE || kind == ZTPBootFailure {
		if t.Op != "" && t.Op != string(port.Commit) {
			errs = append(errs, fmt.Errorf("target: op: a %s fault hits the CE router's commit, never a %s: it can never fire", kind, t.Op))
		}
		if t.ResourceType != "" && t.ResourceType != "CPE" {
			errs = append(errs, fmt.Errorf("target: resourceType: a %s fault hits a CPE, never a %s: it can never fire", kind, t.ResourceType))
		}
	}
	if kind == SLABreach && t.Op != "" && t.Op != string(port.Commit) && t.Op != string(port.Measure) {
		errs = append(errs, fmt.Errorf("target: op: a slaBreach fault changes a probe's commit or measure, never a %s: it can never fire", t.Op))
	}
	return errors.Join(errs...)
}

func joinKinds() string {
	var s []string
	for _, k := range faultKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

func (r FaultRule) window() (time.Duration, time.Duration, error) {
	from, until := time.Duration(0), time.Duration(1<<62)
	var err error
	if r.From != "" {
		if from, err = tmf.ParseOffset(r.From); err != nil {
			return 0, 0, fmt.Errorf("from: %w", err)
		}
	}
	if r.Until != "" {
		if until, err = tmf.ParseOffset(r.Until); err != nil {
			return 0, 0, fmt.Errorf("until: %w", err)
		}
	}
	if until <= from {
		return 0, 0, fmt.Errorf("until %s is not after from %s", r.Until, r.From)
	}
	return from, until, nil
}

// Inject adds fault rules to the twin. Each rule draws from its own stream
// of seed (stream(seed, "fault/"+name)), so adding a rule never shifts
// another's draws.
func (t *Twin) Inject(rules []FaultRule, seed uint64, stream func(seed uint64, name string) *rand.PCG) error {
	if err := CheckFaults(rules); err != nil {
		return err
	}
	for _, r := range rules {
		from, until, _ := r.window()
		pcg := stream(seed, "fault/"+r.Name)
		t.faults = append(t.faults, &fault{rule: r, from: from, until: until, armed: r.After == "",
			rand: rand.New(pcg), stream: pcg})
	}
	return nil
}

// InjectLive adds a fault rule to a running twin at virtual time now: its
// window (From, Until) counts from now. Its name must be new, and it may
// not wait for a trigger (After). A snapshot keeps the rule, so a twin
// restored from it has the rule without being told again.
func (t *Twin) InjectLive(now time.Duration, r FaultRule, seed uint64, stream func(seed uint64, name string) *rand.PCG) error {
	if err := t.CheckLive(r); err != nil {
		return err
	}
	from, until, _ := r.window()
	pcg := stream(seed, "fault/"+r.Name)
	f := &fault{rule: r, from: from + now, until: until, armed: true, rand: rand.New(pcg), stream: pcg, live: true}
	if until < 1<<62 {
		f.until += now
	}
	t.faults = append(t.faults, f)
	return nil
}

// CheckLive validates a rule to be injected while the twin runs
// (InjectLive): a valid rule, with a name no rule of the twin has, and no
// trigger.
func (t *Twin) CheckLive(r FaultRule) error {
	if err := CheckFaults([]FaultRule{r}); err != nil {
		// One rule, not a file's list: named as the rule.
		return errors.New(strings.ReplaceAll(err.Error(), fmt.Sprintf("faults[0] (%s): ", r.Name), "fault "+r.Name+": "))
	}
	if r.After != "" {
		return fmt.Errorf("fault %s: after: a rule injected while the twin runs counts from now, and waits for no trigger", r.Name)
	}
	if slices.ContainsFunc(t.faults, func(f *fault) bool { return f.rule.Name == r.Name }) {
		return fmt.Errorf("fault %s: %w", r.Name, ErrFaultNameTaken)
	}
	return nil
}

// Lift takes the rule named out of the twin: it fires no more, whatever
// its window, and keeps its name (a rule injected later needs another)
// and its hits. A rule lifted already is left as it is.
func (t *Twin) Lift(name string) error {
	i := slices.IndexFunc(t.faults, func(f *fault) bool { return f.rule.Name == name })
	if i < 0 {
		return fmt.Errorf("fault %s: %w", name, ErrNoSuchFault)
	}
	t.faults[i].lifted = true
	return nil
}

// Lifted tells whether the twin has a rule named name, and whether it was
// lifted.
func (t *Twin) Lifted(name string) (has, lifted bool) {
	i := slices.IndexFunc(t.faults, func(f *fault) bool { return f.rule.Name == name })
	return i >= 0, i >= 0 && t.faults[i].lifted
}

// ErrNoSuchFault is the error of a rule the twin does not have.
var ErrNoSuchFault = errors.New("the twin has no fault rule of that name")

// ErrFaultNameTaken is the error of a rule named like one the twin has.
var ErrFaultNameTaken = errors.New("the twin has a fault rule of that name already")

// Witness tells the twin that an entity (by id or name) reached a state at
// a time: rules waiting for it (After) are armed, their window counting
// from now.
func (t *Twin) Witness(now time.Duration, entity, name, state string) {
	for _, f := range t.faults {
		if f.armed || f.rule.After == "" {
			continue
		}
		want, wantState, _ := strings.Cut(f.rule.After, " ")
		if (want == entity || want == name) && wantState == state {
			f.armed = true
			f.from += now
			if f.until < 1<<62 {
				f.until += now
			}
		}
	}
}

// FaultHits reports every rule and how often it fired, in rule order.
func (t *Twin) FaultHits() []Hits {
	out := make([]Hits, len(t.faults))
	for i, f := range t.faults {
		out[i] = Hits{Name: f.rule.Name, Kind: f.rule.Kind, Hits: f.hits, Lifted: f.lifted}
	}
	return out
}

// matches tells whether a call is one the rule targets. Kinds that change
// a particular answer only match the calls that give it: a probe's
// measurement, an approval review, a credit check.
func (f *fault) matches(now time.Duration, req *port.Request, a *address) bool {
	if f.lifted {
		return false
	}
	if req.System == port.Qualification && req.Op == port.Release {
		return false // a hold is the twin's own count, no element's: giving it back never fails
	}
	switch f.rule.Kind {
	case SLABreach:
		if req.System != port.NMS || (req.Op != port.Commit && req.Op != port.Measure) {
			return false
		}
	case ApprovalReject:
		if req.System != port.Workflow {
			return false
		}
	case CreditRefuse:
		if req.System != port.Credit {
			return false
		}
	case LostCPE, DamagedCPE, ZTPBootFailure:
		if req.Op != port.Commit || req.ResourceType != "CPE" {
			return false
		}
	case TokenExpiry:
		if req.System != port.Qualification {
			return false
		}
	}
	tg := f.rule.Target
	if !f.armed || now < f.from || now >= f.until ||
		(tg.System != "" && tg.System != string(req.System)) || (tg.Op != "" && tg.Op != string(req.Op)) ||
		(tg.ResourceType != "" && tg.ResourceType != req.ResourceType) || (tg.Site != "" && tg.Site != req.Site) ||
		(tg.Stage != "" && tg.Stage != req.Stage) {
		return false
	}
	if tg.Area != "" && (a == nil || a.Area != tg.Area) {
		return false
	}
	if tg.Region != "" && (a == nil || a.region != tg.Region) {
		return false
	}
	return true
}

// fires counts a matching call and tells whether the rule hits it.
func (f *fault) fires() bool {
	f.matched++
	r := f.rule
	hit := true
	switch {
	case r.First > 0:
		hit = f.matched <= int(r.First)
	case r.Every > 0:
		hit = f.matched%int(r.Every) == 0
	case r.Nth > 0:
		hit = f.matched == int(r.Nth)
	case r.Probability > 0:
		hit = f.rand.Float64() < float64(r.Probability)
	}
	if hit {
		f.hits++
	}
	return hit
}

// firing returns the rules that hit this call, in rule order.
func (t *Twin) firing(now time.Duration, req *port.Request) []*fault {
	if len(t.faults) == 0 {
		return nil
	}
	a := t.resolve(req.Place)
	var out []*fault
	for _, f := range t.faults {
		if f.matches(now, req, a) && f.fires() {
			out = append(out, f)
		}
	}
	return out
}

// failure is the error a failing fault answers with, or nil for the kinds
// that change an answer instead of failing it.
func (f *fault) failure(sys port.System) *port.Error {
	class, code, msg := port.ErrorClass(""), "", f.rule.Message
	switch f.rule.Kind {
	case Transient:
		class, code = port.Transient, "timeout"
		if msg == "" {
			msg = timeoutOf(sys)
		}
	case Down:
		class, code = port.Transient, "elementDown"
		if msg == "" {
			msg = "element down"
		}
	case Hard:
		class, code = port.Hard, "failed"
		if msg == "" {
			msg = "the element refused the request"
		}
	case Exhausted:
		class, code = port.Exhausted, "capacityExhausted"
		if msg == "" {
			msg = "resource exhaustion"
		}
	default:
		return nil
	}
	return &port.Error{Class: class, Code: code, Message: msg + " (fault " + f.rule.Name + ")"}
}

// kindOf returns the first fault of kind among faults, or nil.
func kindOf(faults []*fault, kind FaultKind) *fault {
	for _, f := range faults {
		if f.rule.Kind == kind {
			return f
		}
	}
	return nil
}

// breach is the measurement an slaBreach fault among faults imposes, or nil.
func breach(faults []*fault) *Measurement {
	for _, f := range faults {
		if f.rule.Kind == SLABreach {
			return f.rule.Measure
		}
	}
	return nil
}

// apply changes a computed answer by the faults that hit the call: longer
// durations, other measurements, refusals. It returns the new duration.
func (t *Twin) apply(faults []*fault, res *port.Result, after time.Duration) time.Duration {
	for _, f := range faults {
		r := f.rule
		switch r.Kind {
		case Latency:
			after = time.Duration(float64(after) * r.Factor)
		case ApprovalReject, CreditRefuse:
			res.Approved = false
			res.Reason = r.Message
			if res.Reason == "" {
				res.Reason = "refused (fault " + r.Name + ")"
			}
		}
	}
	return after
}

// measured are a probe's measurement characteristics.
func measured(m Measurement) tmf.Characteristics {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return tmf.Characteristics{{Name: "measuredLatencyMs", Value: f(m.LatencyMs)},
		{Name: "measuredLossPct", Value: f(m.LossPct)}, {Name: "measuredAvailability", Value: f(m.Availability)}}
}

// timeoutOf names the timeout of a system's protocol.
func timeoutOf(sys port.System) string {
	switch sys {
	case port.Access, port.VLAN, port.BNG:
		return "NETCONF timeout"
	case port.IPAM:
		return "IPAM REST timeout"
	case port.NMS:
		return "NMS timeout"
	case port.ZTP:
		return "ZTP server timeout"
	}
	return string(sys) + " timeout"
}
