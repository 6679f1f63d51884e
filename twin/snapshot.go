package twin

// A snapshot of the twin keeps everything its future answers depend on:
// the slots of every pool (OLT line cards, with those expansions added,
// P2P handoffs, VLANs, subnets, CPE serials), the capacity free and held
// per serving area and exchange, the holds, every reserved resource and
// where it goes back, the credit accounts, the feasibility tokens issued,
// the CE routers up and delivered, the probes waiting for their router,
// the planning requests waiting for capacity, the answers remembered by
// key, billing, each fault rule's runtime (window, armed, counts and the
// position of its stream) and the position of the duration spread's
// stream. Pointers are saved as names: a capacity as "area ID" or
// "exchange ID", a set of slots as the pool it belongs to, a caller as its
// port.Named name. Maps are saved as slices sorted by key, so that one
// state always gives the same bytes.
//
// The configuration is not saved: the network, the fault rules and the
// spread's coefficient come from building the twin exactly as the saved
// one was built. Restore fills a twin built anew from the network, checks
// that everything the snapshot names is in it, and only then takes its
// state: a snapshot that does not fit (of another network, with other
// fault rules, or not a snapshot at all) is an error that changes nothing.

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
)

// saved is the twin's runtime state in a snapshot.
type saved struct {
	Network   string
	Remember  bool
	Areas     []savedArea
	Exchanges []savedExchange
	VLANs     []savedPool
	IPs       []savedPool
	Stock     []savedPool // by model@region
	Credit    []CreditAcct
	Holds     []savedHold
	// Resources lists the reserved resources in a snapshot of an earlier
	// build, which did not mark them in their pools' slots (Mine).
	Resources []savedResource
	RouterUp  []savedRouter
	Delivered []string
	Probes    []savedProbe
	Planning  []savedPlan
	Done      []savedAnswer
	Tokens    int
	Billing   []BillingRecord // the subscriptions billed (an earlier build's: every activation and stop)
	Faults    []savedFault
	Spread    []byte
}

type savedSlots struct {
	Used []bool
	Mine []bool // the slots the twin took and holds: its reserved resources
	Next int
}

type savedCapacity struct{ Free, Held int }

type savedArea struct {
	ID       string
	Capacity savedCapacity
	OLTs     []savedOLT
}

type savedOLT struct {
	ID    string
	Cards []savedCard
}

type savedCard struct {
	Slot  int
	Ports savedSlots
}

type savedExchange struct {
	ID       string
	P2P      savedSlots
	Capacity savedCapacity
}

type savedPool struct {
	ID    string
	Slots savedSlots
}

// savedHold is capacity held for a site (holder) since revalidation.
type savedHold struct{ Holder, Capacity string }

// savedResource is a reserved resource and where it goes back: a slot of
// a pool, and the capacity count it was taken from, if any.
type savedResource struct {
	ID, Pool string
	Slot     int
	Capacity string
}

type savedRouter struct {
	Address string
	Up      time.Duration
}

// savedProbe is a probe commit waiting for the CE router at its address,
// and the callers it owes the answer.
type savedProbe struct {
	Address, Item, Key string
	Result             *port.Result
	Ready              time.Duration
	Callers            []string
}

// savedPlan is a request for capacity waiting for it to be built.
type savedPlan struct {
	Capacity string
	Result   *port.Result
	Caller   string
}

// savedAnswer is the final answer remembered for an item.
type savedAnswer struct {
	Item, Key string
	Result    *port.Result
	At        time.Duration
}

// savedFault is a fault rule at run time; Stream is its generator's state.
type savedFault struct {
	Name          string
	From, Until   time.Duration
	Armed         bool
	Matched, Hits int
	Lifted        bool
	Stream        []byte
	// Rule is the rule of one injected while the twin ran (InjectLive),
	// which the twin's configuration does not have.
	Rule *FaultRule
}

// Callers tells the twin how to find a caller by the name a snapshot saved
// it under (port.Named): a restored twin answers the calls that were
// waiting through them. The engine's Replier does this.
func (t *Twin) Callers(find func(name string) port.Replier) { t.callers = find }

// Snapshot implements engine.Snapshotter: the twin's runtime state,
// gob-encoded, the same bytes for the same state.
func (t *Twin) Snapshot() ([]byte, error) { return t.AppendState(nil) }

// AppendState implements engine.StateAppender: Snapshot's state, appended
// to buf.
func (t *Twin) AppendState(buf []byte) ([]byte, error) {
	s := saved{Network: t.net.Name, Remember: t.done != nil, Tokens: t.tokens, Billing: t.billing.records()}
	for _, id := range sorted(t.areas) {
		a := t.areas[id]
		sa := savedArea{ID: id, Capacity: a.capacity.saved()}
		for _, o := range a.olts {
			so := savedOLT{ID: o.id}
			for _, c := range o.cards {
				so.Cards = append(so.Cards, savedCard{Slot: c.slot, Ports: c.ports.saved()})
			}
			sa.OLTs = append(sa.OLTs, so)
		}
		s.Areas = append(s.Areas, sa)
	}
	for _, id := range sorted(t.exchanges) {
		x := t.exchanges[id]
		s.Exchanges = append(s.Exchanges, savedExchange{ID: id, P2P: x.p2p.saved(), Capacity: x.capacity.saved()})
	}
	for _, id := range sorted(t.vlans) {
		s.VLANs = append(s.VLANs, savedPool{ID: id, Slots: t.vlans[id].slots.saved()})
	}
	for _, id := range sorted(t.ips) {
		s.IPs = append(s.IPs, savedPool{ID: id, Slots: t.ips[id].slots.saved()})
	}
	for _, id := range sorted(t.stock) {
		s.Stock = append(s.Stock, savedPool{ID: id, Slots: t.stock[id].slots.saved()})
	}
	for _, id := range sorted(t.credit) {
		s.Credit = append(s.Credit, *t.credit[id])
	}
	capacities := map[*capacity]string{}
	t.capacities(func(name string, c *capacity) { capacities[c] = name })
	for _, h := range sorted(t.holds) {
		s.Holds = append(s.Holds, savedHold{Holder: h, Capacity: capacities[t.holds[h]]})
	}
	s.RouterUp = make([]savedRouter, 0, len(t.routerUp))
	for _, addr := range sorted(t.routerUp) {
		s.RouterUp = append(s.RouterUp, savedRouter{Address: addr, Up: t.routerUp[addr]})
	}
	s.Delivered = sorted(t.delivered)
	for _, addr := range sorted(t.probes) {
		for _, p := range t.probes[addr] {
			sp := savedProbe{Address: addr, Item: p.item, Key: p.key, Result: p.res, Ready: p.ready}
			for _, r := range p.repliers {
				name, err := callerName(r)
				if err != nil {
					return nil, fmt.Errorf("the probe of %s waits: %w", p.item, err)
				}
				sp.Callers = append(sp.Callers, name)
			}
			s.Probes = append(s.Probes, sp)
		}
	}
	waitingFor := slices.SortedFunc(maps.Keys(t.planning), func(a, b *capacity) int {
		return cmp.Compare(capacities[a], capacities[b])
	})
	for _, c := range waitingFor {
		for _, p := range t.planning[c] {
			name, err := callerName(p.reply)
			if err != nil {
				return nil, fmt.Errorf("a planning request at %s waits: %w", capacities[c], err)
			}
			s.Planning = append(s.Planning, savedPlan{Capacity: capacities[c], Result: p.res, Caller: name})
		}
	}
	s.Done = make([]savedAnswer, 0, len(t.done))
	for _, item := range sorted(t.done) {
		a := t.done[item]
		s.Done = append(s.Done, savedAnswer{Item: item, Key: a.key, Result: a.res, At: a.at})
	}
	for _, f := range t.faults {
		stream, err := f.stream.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", f.rule.Name, err)
		}
		sf := savedFault{Name: f.rule.Name, From: f.from, Until: f.until, Armed: f.armed,
			Matched: f.matched, Hits: f.hits, Lifted: f.lifted, Stream: stream}
		if f.live {
			sf.Rule = &f.rule
		}
		s.Faults = append(s.Faults, sf)
	}
	if t.spread != nil {
		m, ok := t.spread.src.(encoding.BinaryMarshaler)
		if !ok {
			return nil, fmt.Errorf("the duration spread draws from a %T, whose position cannot be saved", t.spread.src)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("the duration spread: %w", err)
		}
		s.Spread = b
	}
	b, err := engine.AppendState(buf, &s)
	if err != nil {
		return nil, fmt.Errorf("encode the twin: %w", err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter. The twin must be built as the
// saved one was: from the same network, with the same fault rules, the
// same spread, and told its Callers when calls were waiting. On error the
// twin is as it was.
func (t *Twin) Restore(state []byte) error {
	var s saved
	if err := engine.DecodeState(state, &s); err != nil {
		return fmt.Errorf("restore the twin: decode: %w", err)
	}
	r, err := t.restored(&s)
	if err != nil {
		return fmt.Errorf("restore the twin: %w", err)
	}
	ledger := t.ledger
	*t = *r
	if ledger != nil {
		t.UseLedger(ledger) // the restored pools named in it again
	}
	return nil
}

// restored is a twin of t's configuration in the state s, or an error
// saying what in s does not fit. It leaves t as it is, but for the
// spread's stream, which it sets last, when nothing can fail any more.
func (t *Twin) restored(s *saved) (*Twin, error) {
	if s.Network != t.net.Name {
		return nil, fmt.Errorf("the snapshot is of network %q, this twin runs %q", s.Network, t.net.Name)
	}
	r, err := New(t.net)
	if err != nil {
		return nil, err
	}
	r.callers = t.callers
	if err := sameIDs("serving areas", s.Areas, func(a savedArea) string { return a.ID }, r.areas); err != nil {
		return nil, err
	}
	for _, sa := range s.Areas {
		a := r.areas[sa.ID]
		a.capacity = sa.Capacity.restored()
		have := make([]string, len(a.olts))
		for i, o := range a.olts {
			have[i] = o.id
		}
		want := make([]string, len(sa.OLTs))
		for i, o := range sa.OLTs {
			want[i] = o.ID
		}
		if !slices.Equal(have, want) {
			return nil, fmt.Errorf("serving area %s: the snapshot has OLTs %q, the network %q", sa.ID, want, have)
		}
		for i, so := range sa.OLTs {
			o := a.olts[i]
			if len(so.Cards) < len(o.cards) {
				return nil, fmt.Errorf("OLT %s: the snapshot has %d line cards, the network %d", o.id, len(so.Cards), len(o.cards))
			}
			cards := make([]*card, len(so.Cards))
			for j, sc := range so.Cards {
				c := &card{slot: sc.Slot}
				if j < len(o.cards) {
					if sc.Slot != o.cards[j].slot {
						return nil, fmt.Errorf("OLT %s: the snapshot has a line card in slot %d where the network has slot %d", o.id, sc.Slot, o.cards[j].slot)
					}
					c.ports = o.cards[j].ports
				}
				if err := c.ports.restore(sc.Ports, j >= len(o.cards)); err != nil {
					return nil, fmt.Errorf("OLT %s LC%d: %w", o.id, sc.Slot, err)
				}
				cards[j] = c
			}
			o.cards = cards
		}
	}
	if err := sameIDs("exchanges", s.Exchanges, func(x savedExchange) string { return x.ID }, r.exchanges); err != nil {
		return nil, err
	}
	for _, sx := range s.Exchanges {
		x := r.exchanges[sx.ID]
		if len(sx.P2P.Used) < len(x.p2p.used) {
			return nil, fmt.Errorf("exchange %s: the snapshot has %d P2P handoff ports, the network %d", sx.ID, len(sx.P2P.Used), len(x.p2p.used))
		}
		if err := x.p2p.restore(sx.P2P, true); err != nil {
			return nil, fmt.Errorf("exchange %s: %w", sx.ID, err)
		}
		x.capacity = sx.Capacity.restored()
	}
	for _, pools := range []struct {
		what  string
		saved []savedPool
		slots func(id string) *slots
		ids   []string
	}{
		{"VLAN pools", s.VLANs, func(id string) *slots { return &r.vlans[id].slots }, sorted(r.vlans)},
		{"IP pools", s.IPs, func(id string) *slots { return &r.ips[id].slots }, sorted(r.ips)},
		{"CPE stock", s.Stock, func(id string) *slots { return &r.stock[id].slots }, sorted(r.stock)},
	} {
		want := make([]string, len(pools.saved))
		for i, p := range pools.saved {
			want[i] = p.ID
		}
		if !slices.Equal(want, pools.ids) {
			return nil, fmt.Errorf("the snapshot has %s %q, the network %q", pools.what, want, pools.ids)
		}
		for _, p := range pools.saved {
			if err := pools.slots(p.ID).restore(p.Slots, false); err != nil {
				return nil, fmt.Errorf("%s %s: %w", pools.what, p.ID, err)
			}
		}
	}
	if err := sameIDs("credit accounts", s.Credit, func(c CreditAcct) string { return c.Account }, r.credit); err != nil {
		return nil, err
	}
	for _, c := range s.Credit {
		*r.credit[c.Account] = c
	}
	pools, capacities := map[string]*slots{}, map[string]*capacity{}
	r.pools(func(name string, s *slots) { pools[name] = s })
	r.capacities(func(name string, c *capacity) { capacities[name] = c })
	for _, h := range s.Holds {
		c, ok := capacities[h.Capacity]
		if !ok || h.Holder == "" {
			return nil, fmt.Errorf("a hold of %q for %q: no such capacity in the network, or no holder", h.Capacity, h.Holder)
		}
		r.holds[h.Holder] = c
	}
	for _, sr := range s.Resources {
		p, ok := pools[sr.Pool]
		if !ok || sr.Slot < 0 || sr.Slot >= len(p.used) {
			return nil, fmt.Errorf("resource %s: no slot %d in %q", sr.ID, sr.Slot, sr.Pool)
		}
		if _, ok := capacities[sr.Capacity]; sr.Capacity != "" && !ok {
			return nil, fmt.Errorf("resource %s: no capacity %q in the network", sr.ID, sr.Capacity)
		}
		if !p.used[sr.Slot] {
			return nil, fmt.Errorf("resource %s: slot %d of %q is free", sr.ID, sr.Slot, sr.Pool)
		}
		p.setMine(sr.Slot, true)
	}
	for _, ru := range s.RouterUp {
		r.routerUp[ru.Address] = ru.Up
	}
	for _, serial := range s.Delivered {
		r.delivered[serial] = true
	}
	for _, sp := range s.Probes {
		p := &pendingProbe{item: sp.Item, key: sp.Key, res: sp.Result, ready: sp.Ready}
		for _, name := range sp.Callers {
			reply, err := r.caller(name)
			if err != nil {
				return nil, fmt.Errorf("the probe of %s: %w", sp.Item, err)
			}
			p.repliers = append(p.repliers, reply)
		}
		if p.key != "" {
			r.waiting[p.key] = p
		}
		r.probes[sp.Address] = append(r.probes[sp.Address], p)
	}
	for _, sp := range s.Planning {
		c, ok := capacities[sp.Capacity]
		if !ok {
			return nil, fmt.Errorf("a planning request waits for %q, not in the network", sp.Capacity)
		}
		reply, err := r.caller(sp.Caller)
		if err != nil {
			return nil, fmt.Errorf("a planning request at %s: %w", sp.Capacity, err)
		}
		r.planning[c] = append(r.planning[c], planRequest{res: sp.Result, reply: reply})
	}
	if s.Remember != (t.done != nil) {
		return nil, fmt.Errorf("the snapshot's twin remembers answers: %t, this twin: %t (Forget)", s.Remember, t.done != nil)
	}
	if !s.Remember {
		if len(s.Done) > 0 {
			return nil, errors.New("the snapshot has answers remembered by a twin that forgets them")
		}
		r.done = nil
	}
	for _, a := range s.Done {
		r.done[a.Item] = dueAnswer{key: a.Key, res: a.Result, at: a.At}
	}
	r.tokens = s.Tokens
	for _, b := range s.Billing {
		r.billing.bill(b)
	}
	if err := t.restoreFaults(r, s.Faults); err != nil {
		return nil, err
	}
	if (len(s.Spread) > 0) != (t.spread != nil) {
		return nil, fmt.Errorf("the snapshot's durations vary: %t, this twin's: %t", len(s.Spread) > 0, t.spread != nil)
	}
	r.spread = t.spread
	if t.spread != nil {
		if err := restoreStream(t.spread.src, s.Spread); err != nil {
			return nil, fmt.Errorf("the duration spread: %w", err)
		}
	}
	return r, nil
}

// restoreFaults gives r t's fault rules in the runtime state saved.
func (t *Twin) restoreFaults(r *Twin, saved []savedFault) error {
	var have, want []string
	for _, f := range t.faults {
		if !f.live {
			have = append(have, f.rule.Name)
		}
	}
	for _, f := range saved {
		if f.Rule == nil {
			want = append(want, f.Name)
		}
	}
	if !slices.Equal(have, want) {
		return fmt.Errorf("the snapshot has fault rules %q, this twin %q", want, have)
	}
	r.faults = make([]*fault, len(saved))
	for i, sf := range saved {
		stream := new(rand.PCG)
		if err := stream.UnmarshalBinary(sf.Stream); err != nil {
			return fmt.Errorf("fault %s: %w", sf.Name, err)
		}
		var rule FaultRule
		switch {
		case sf.Rule != nil:
			rule = *sf.Rule
		case i < len(t.faults) && !t.faults[i].live:
			rule = t.faults[i].rule
		default:
			return fmt.Errorf("fault %s: a configured rule after one injected live", sf.Name)
		}
		r.faults[i] = &fault{rule: rule, from: sf.From, until: sf.Until, armed: sf.Armed,
			matched: sf.Matched, hits: sf.Hits, lifted: sf.Lifted, rand: rand.New(stream), stream: stream, live: sf.Rule != nil}
	}
	return nil
}

// restoreStream sets a generator to a saved position; if that fails, it
// is left where it was.
func restoreStream(src rand.Source, state []byte) error {
	m, canSave := src.(encoding.BinaryMarshaler)
	u, canRestore := src.(encoding.BinaryUnmarshaler)
	if !canSave || !canRestore {
		return fmt.Errorf("a %T cannot be set to a saved position", src)
	}
	was, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := u.UnmarshalBinary(state); err != nil {
		_ = u.UnmarshalBinary(was)
		return err
	}
	return nil
}

// pools calls visit with every set of slots the twin hands out and the
// name a snapshot gives it.
func (t *Twin) pools(visit func(name string, s *slots)) {
	for _, a := range t.areas {
		for _, o := range a.olts {
			for _, c := range o.cards {
				visit(cardPool(o.id, c.slot), &c.ports)
			}
		}
	}
	for id, x := range t.exchanges {
		visit("p2p "+id, &x.p2p)
	}
	for id, p := range t.vlans {
		visit("vlan "+id, &p.slots)
	}
	for id, p := range t.ips {
		visit("ip "+id, &p.slots)
	}
	for id, p := range t.stock {
		visit("cpe "+id, &p.slots)
	}
}

// cardPool is the name of the ports of an OLT's line card among the
// pools.
func cardPool(olt string, slot int) string { return "olt " + olt + " LC" + strconv.Itoa(slot) }

// capacities calls visit with every capacity count and the name a
// snapshot gives it.
func (t *Twin) capacities(visit func(name string, c *capacity)) {
	for id, a := range t.areas {
		visit("area "+id, &a.capacity)
	}
	for id, x := range t.exchanges {
		visit("exchange "+id, &x.capacity)
	}
}

// caller finds the caller a snapshot names.
func (t *Twin) caller(name string) (port.Replier, error) {
	if t.callers == nil {
		return nil, fmt.Errorf("it owes %q an answer, and the twin has no way to find callers (Callers)", name)
	}
	r := t.callers(name)
	if r == nil {
		return nil, fmt.Errorf("it owes %q an answer, and there is no such caller", name)
	}
	return r, nil
}

// callerName is the name a caller is saved under.
func callerName(r port.Replier) (string, error) {
	n, ok := r.(port.Named)
	if !ok {
		return "", fmt.Errorf("a caller (%T) has no name to be found by after a restart", r)
	}
	return n.ReplyTo(), nil
}

func (s *slots) saved() savedSlots { return savedSlots{Used: s.used, Mine: s.mine, Next: s.next} }

// restore sets the slots to a saved state; the saved set may be longer
// than the network's only when grown is set (capacity built since).
func (s *slots) restore(saved savedSlots, grown bool) error {
	if len(saved.Used) != len(s.used) && !(grown && len(saved.Used) > len(s.used)) {
		return fmt.Errorf("the snapshot has %d slots, the network %d", len(saved.Used), len(s.used))
	}
	if saved.Next < 0 {
		return fmt.Errorf("the next free slot is %d", saved.Next)
	}
	if len(saved.Mine) > len(saved.Used) {
		return fmt.Errorf("the snapshot marks %d slots the twin's, of %d", len(saved.Mine), len(saved.Used))
	}
	for i, mine := range saved.Mine {
		if mine && !saved.Used[i] {
			return fmt.Errorf("slot %d is the twin's but free", i)
		}
	}
	s.used, s.mine, s.next = saved.Used, saved.Mine, saved.Next
	if s.used == nil {
		s.used = []bool{}
	}
	return nil
}

func (c capacity) saved() savedCapacity { return savedCapacity{Free: c.free, Held: c.held} }

func (c savedCapacity) restored() capacity { return capacity{free: c.Free, held: c.Held} }

// sameIDs checks that a snapshot's list names exactly the keys of the
// twin's map.
func sameIDs[S any, V any](what string, saved []S, id func(S) string, have map[string]V) error {
	want := make([]string, len(saved))
	for i, s := range saved {
		want[i] = id(s)
	}
	if ids := sorted(have); !slices.Equal(want, ids) {
		return fmt.Errorf("the snapshot has %s %q, the network %q", what, want, ids)
	}
	return nil
}

// sorted returns the keys of m in order.
func sorted[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
