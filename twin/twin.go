package twin

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Systems lists every system the twin implements.
var Systems = port.Systems

// Twin is the runtime state of a Network. It is driven from the engine's
// goroutine only.
type Twin struct {
	net       *Network
	areas     map[string]*area
	exchanges map[string]*exchange
	addresses map[string]*address
	vlans     map[string]*numberPool
	ips       map[string]*subnetPool
	stock     map[string]*serialPool // model@region
	credit    map[string]*CreditAcct
	// holds maps a site (holder) to the capacity it holds since
	// revalidation: two sites in one building hold one unit each.
	holds map[string]*capacity
	// ledger, when set, is where the twin takes every slot it hands
	// out: the authority of the twins of several shards (ledger.go).
	ledger port.Ledger
	// done remembers the final answer of every call by idempotency key;
	// waiting, the calls whose answer is not known yet (probes waiting for
	// their CE router).
	done    map[string]dueAnswer // by item: see remember
	waiting map[string]*pendingProbe
	// here is the address book entry of the latest call.
	here *address
	// routerCameUp is the address whose CE router the current call brought
	// up: its probes are answered after the router's own answer.
	routerCameUp string
	// where finds the place of a resource by its id (held.go).
	where    placed
	routerUp map[string]time.Duration
	probes   map[string][]*pendingProbe
	tokens   int
	// planning holds the requests for capacity, by the capacity they wait for.
	planning map[*capacity][]planRequest
	// spread, when set, draws every duration at random around the model's.
	spread *spread
	// faults are the injected fault rules, in order; breach is what the
	// probe of the call being handled measures, when a fault says so.
	faults  []*fault
	breach  *Measurement
	hitting []*fault // the faults hitting the call being handled
	// delivered marks CE routers at their site (by serial): a retried
	// commit only boots them again.
	delivered map[string]bool
	// billing is what billing bills (billing.go).
	billing billing
	// callers finds a caller by its name, for a restored snapshot's
	// waiting calls (Callers).
	callers func(name string) port.Replier
	// answers makes the answers (not state: see answers).
	answers answers
}

// dueAnswer is the final answer of a call and when it is due.
type dueAnswer struct {
	key string
	res *port.Result
	at  time.Duration
}

// pendingProbe is a probe commit waiting for its site's CE router.
type pendingProbe struct {
	item     string
	key      string
	res      *port.Result
	ready    time.Duration
	repliers []port.Replier
}

// area is a serving area at run time.
type area struct {
	cfg      ServingArea
	exchange *exchange
	olts     []*olt
	capacity capacity
}

type exchange struct {
	cfg      Exchange
	p2p      slots // index 0 is port 1
	capacity capacity
	// qosChars are the characteristics of every QoS policy at the
	// exchange's BNG, made at the first.
	qosChars tmf.Characteristics
}

// capacity counts free ports and those held for orders since revalidation.
type capacity struct {
	free, held int
}

func (c *capacity) available() int { return c.free - c.held }

type olt struct {
	id string
	// cards are pointers: what a reserved port gives back to must stay
	// put when a line card is added.
	cards []*card
}

type card struct {
	slot  int
	ports slots // index 0 is port 1
}

// New builds a twin from a validated network.
func New(n *Network) (*Twin, error) {
	t := &Twin{net: n, areas: map[string]*area{}, exchanges: map[string]*exchange{},
		addresses: map[string]*address{}, vlans: map[string]*numberPool{}, ips: map[string]*subnetPool{},
		stock: map[string]*serialPool{}, credit: map[string]*CreditAcct{}, holds: map[string]*capacity{},
		done: map[string]dueAnswer{}, waiting: map[string]*pendingProbe{},
		routerUp: map[string]time.Duration{}, probes: map[string][]*pendingProbe{}, planning: map[*capacity][]planRequest{}, delivered: map[string]bool{}}
	for _, e := range n.Exchanges {
		x := &exchange{cfg: e, p2p: slots{used: make([]bool, e.P2PPorts)}}
		used, _ := parseRanges(e.P2POccupied, 1, e.P2PPorts)
		for _, p := range used {
			x.p2p.used[p-1] = true
		}
		x.capacity.free = e.P2PPorts - len(used)
		t.exchanges[e.ID] = x
	}
	for _, a := range n.ServingAreas {
		t.areas[a.ID] = &area{cfg: a, exchange: t.exchanges[a.Exchange]}
	}
	for _, o := range n.OLTs {
		rt := &olt{id: o.ID}
		a := t.areas[o.Area]
		for _, lc := range o.LineCards {
			c := &card{slot: lc.Slot, ports: slots{used: make([]bool, lc.Ports)}}
			used, _ := parseRanges(lc.Occupied, 1, lc.Ports)
			for _, p := range used {
				c.ports.used[p-1] = true
			}
			a.capacity.free += lc.Ports - len(used)
			rt.cards = append(rt.cards, c)
		}
		a.olts = append(a.olts, rt)
	}
	for _, p := range n.VLANPools {
		pool, err := newNumberPool(p)
		if err != nil {
			return nil, err
		}
		t.vlans[p.ID] = pool
	}
	for _, p := range n.IPPools {
		pool, err := newSubnetPool(p)
		if err != nil {
			return nil, err
		}
		t.ips[p.ID] = pool
	}
	for _, s := range n.CPE {
		k := s.Model + "@" + s.Region
		sp := t.stock[k]
		if sp == nil {
			sp = &serialPool{}
			t.stock[k] = sp
		}
		sp.serials = append(sp.serials, s.Serials...)
		sp.used = append(sp.used, make([]bool, len(s.Serials))...)
	}
	book := make([]address, len(n.Addresses)) // one array for the address book
	t.addresses = make(map[string]*address, len(n.Addresses))
	for i := range n.Addresses {
		a := &n.Addresses[i]
		ar := t.areas[a.Area]
		book[i] = address{Address: a, area: ar, region: ar.exchange.cfg.Region}
		t.addresses[a.Address] = &book[i]
	}
	t.index()
	accounts := slices.Clone(n.Credit) // the twin's own, as the network stays as loaded
	for i := range accounts {
		t.credit[accounts[i].Account] = &accounts[i]
	}
	return t, nil
}

// duration is the model's duration of op in the region of place.
func (t *Twin) duration(key string, place tmf.Place) time.Duration {
	d := t.net.Durations[key].For(t.region(place))
	if t.spread != nil && d > 0 {
		return t.spread.draw(d)
	}
	return d
}

// Forget stops the twin remembering answers for repeated keys. An engine
// that runs the twin in its own process may: when it restarts, the twin
// restarts with it, so no call can ever reach the twin twice. A twin that
// outlives its callers (behind protocol front-ends) must remember.
func (t *Twin) Forget() { t.done = nil }

// Recycle implements engine.Recycler: an answer that its caller (ROM,
// COM: each copies what it keeps of an answer, never its pointer) has
// handled is made again for a later call. A twin that remembers answers
// keeps them (it may hand one to a repeated call).
func (t *Twin) Recycle(msg any) {
	if res, ok := msg.(*port.Result); ok && t.done == nil {
		t.answers.recycle(res)
	}
}

// Duration is the model's duration of an orchestration step (som.plan,
// rom.start) in a region.
func (t *Twin) Duration(key, region string) time.Duration { return t.net.Durations[key].For(region) }

func (t *Twin) region(place tmf.Place) string {
	if a := t.resolve(place); a != nil {
		return a.region
	}
	return ""
}

// resolve finds the address book entry of place, or nil. The entry of the
// call being handled is kept, as every step of a call asks for it.
func (t *Twin) resolve(place tmf.Place) *address {
	if place.Address == "" {
		return nil
	}
	if t.here != nil && t.here.Address.Address == place.Address {
		return t.here
	}
	t.here = t.addresses[place.Address]
	return t.here
}

// reserveKey and commitKey name the duration of each system's operations
// without building strings on the hot path.
var (
	reserveKey = map[port.System]string{}
	commitKey  = map[string]string{}
)

func init() {
	for _, k := range DurationKeys {
		sys, rest, _ := strings.Cut(k, ".")
		if rest == "reserve" {
			reserveKey[port.System(sys)] = k
		}
		if op, typ, ok := strings.Cut(rest, "."); ok && op == "commit" {
			commitKey[sys+"/"+typ] = k
		} else if rest == "commit" {
			commitKey[sys+"/"] = k
		}
	}
}

// Call implements port.Adapter. A repeated key gets the first call's answer,
// never before that answer is due.
// InProcess implements port.InProcess: the twin is part of the
// deterministic world a replay rebuilds.
func (t *Twin) InProcess() bool { return true }

func (t *Twin) Call(now time.Duration, req *port.Request, reply port.Replier) {
	if req.Key != "" && t.done != nil {
		if a, seen := t.done[itemOf(req)]; seen && a.key == req.Key {
			reply.Reply(max(now, a.at), a.res)
			return
		}
		if p, waiting := t.waiting[req.Key]; waiting {
			p.repliers = append(p.repliers, reply)
			return
		}
	}
	faults := t.firing(now, req)
	for _, f := range faults {
		if err := f.failure(req.System); err != nil {
			// The call fails as the element would: after its usual time,
			// having done nothing.
			t.answer(itemOf(req), req.Key, &port.Result{Key: req.Key, System: req.System, Op: req.Op,
				Item: req.Item, Handle: req.Handle, Final: true, Err: err}, now+t.nominal(req), reply)
			return
		}
	}
	res, spare := t.answers.newResult(req)
	t.breach, t.hitting = breach(faults), faults
	after, err := t.call(now, req, res, spare, reply)
	t.breach, t.hitting = nil, nil
	if err != nil {
		res.Err = err
	}
	if len(faults) > 0 {
		after = t.apply(faults, res, after)
	}
	if res.Final {
		t.answer(itemOf(req), req.Key, res, now+after, reply)
	}
	if addr := t.routerCameUp; addr != "" {
		t.routerCameUp = ""
		t.activateProbes(addr)
	}
}

// nominal is how long a call takes when nothing goes wrong: what a failing
// call takes before it answers.
func (t *Twin) nominal(req *port.Request) time.Duration {
	switch req.Op {
	case port.Reserve:
		return t.duration(reserveKey[req.System], req.Place)
	case port.Commit:
		key, ok := commitKey[string(req.System)+"/"+req.ResourceType]
		if !ok {
			key = commitKey[string(req.System)+"/"]
		}
		return t.duration(key, req.Place)
	case port.Qualify, port.Revalidate:
		return t.duration("qualification."+string(req.Op), req.Place)
	case port.Check:
		return t.duration("credit.check", req.Place)
	case port.Review:
		return t.duration("workflow."+req.Stage, req.Place)
	}
	return 0
}

// itemOf is what the twin remembers answers by: the request's item, or its
// key when it names none.
func itemOf(req *port.Request) string {
	if req.Item != "" {
		return req.Item
	}
	return req.Key
}

// answer sends the final answer of a call and remembers it. The twin
// remembers the latest call of each item only: a caller has one call in
// flight per item and never repeats an older one once it has moved on (it
// re-issues a call only when it has no answer for it), so the memory stays
// one answer per item.
func (t *Twin) answer(item, key string, res *port.Result, at time.Duration, repliers ...port.Replier) {
	if key != "" && t.done != nil {
		t.done[item] = dueAnswer{key: key, res: res, at: at}
	}
	for _, r := range repliers {
		r.Reply(at, res)
	}
}

// call does the work of one request. It fills res and returns how long the
// work takes. It sets res.Final = false when it answers later by itself.
// A reserve or commit fills spare, the resource res answers with.
func (t *Twin) call(now time.Duration, req *port.Request, res *port.Result, spare *tmf.Resource, reply port.Replier) (time.Duration, *port.Error) {
	switch req.System {
	case port.Qualification:
		if req.Op == port.Release {
			t.unhold(req)
			return 0, nil
		}
		return t.qualify(now, req, res)
	case port.Credit:
		return t.checkCredit(req, res)
	case port.Workflow:
		d, ok := t.net.Durations["workflow."+req.Stage]
		if !ok {
			return 0, &port.Error{Class: port.Invalid, Code: "unknownStage", Message: fmt.Sprintf("no approval stage %q", req.Stage)}
		}
		res.Approved = true
		return d.Default, nil
	case port.NMS:
		if req.Op == port.Measure {
			name := t.probeName(req.Customer, req.Site)
			res.Resource = &tmf.Resource{ID: name, ResourceType: "TWAMPProbe",
				Value: name, State: "available", Place: req.Place, Characteristics: t.measure(req.Place)}
			return 0, nil
		}
	case port.Planning:
		if req.Op == port.Expand {
			return 0, t.expand(now, req)
		}
		return 0, t.plan(req, res, reply)
	case port.Billing:
		t.billing.bill(BillingRecord{Item: req.Item, Site: req.Site, Monthly: req.Amount, From: now,
			Stop: req.Op == port.Deactivate})
		return t.duration("billing.activate", req.Place), nil
	}
	switch req.Op {
	case port.Reserve:
		if err := t.reserve(req, spare); err != nil {
			return 0, err
		}
		res.Resource = spare
		return t.duration(reserveKey[req.System], req.Place), nil
	case port.Commit:
		return t.commit(now, req, res, spare, reply)
	case port.Release:
		if req.Resource != nil {
			t.giveBack(req.Resource.ID, req.Key)
		}
		return 0, nil
	}
	return 0, &port.Error{Class: port.Invalid, Code: "unsupported", Message: fmt.Sprintf("%s does not support %s", req.System, req.Op)}
}

// address is an address book entry resolved to its serving area.
type address struct {
	*Address
	area   *area
	region string
}

func (t *Twin) lookup(place tmf.Place) (*Address, *area, *port.Error) {
	a := t.resolve(place)
	if a == nil {
		return nil, nil, &port.Error{Class: port.Invalid, Code: "unknownAddress",
			Message: fmt.Sprintf("address %q is not in the address book", place.Address)}
	}
	return a.Address, a.area, nil
}

// holder names who holds capacity since revalidation: the customer's
// site, which COM's revalidation and ROM's reserve of the site's bearer
// both carry. A call without a site holds for its address.
func holder(req *port.Request) string {
	if req.Site == "" {
		return req.Place.Address
	}
	return req.Customer + "/" + req.Site
}

// capacityOf is the capacity that serves an address: the serving area's
// OLT ports for GPON, the exchange's handoffs for P2P Ethernet.
func capacityOf(a *Address, ar *area) (*capacity, string) {
	if a.Technology == "GPON" {
		return &ar.capacity, "no OLT capacity at serving exchange"
	}
	return &ar.exchange.capacity, "no P2P handoff capacity at exchange"
}

func (t *Twin) qualify(now time.Duration, req *port.Request, res *port.Result) (time.Duration, *port.Error) {
	a, ar, err := t.lookup(req.Place)
	if err != nil {
		return 0, err
	}
	c, why := capacityOf(a, ar)
	_, holding := t.holds[holder(req)]
	if req.Op == port.Revalidate && !holding {
		if c.available() <= 0 || !t.hold(req, a, ar) {
			return t.duration("qualification.revalidate", req.Place), &port.Error{Class: port.Exhausted, Code: "capacityExhausted",
				Message: "resource exhaustion — " + why}
		}
		c.held++
		t.holds[holder(req)] = c
		holding = true
	}
	t.tokens++
	res.Qualification = t.answers.quals.New()
	*res.Qualification = port.QualificationResult{
		Technology: a.Technology, Area: ar.cfg.ID, Exchange: ar.exchange.cfg.ID,
		Region: ar.exchange.cfg.Region, IPPool: ar.cfg.IPPool, FreeCapacity: c.available(),
		Token: t.answers.token(ar.cfg.ID, t.tokens), Expires: now + 30*24*time.Hour,
	}
	if kindOf(t.hitting, TokenExpiry) != nil {
		res.Qualification.Expires = now
	}
	res.Approved = c.available() > 0 || holding
	if req.Op == port.Revalidate {
		return t.duration("qualification.revalidate", req.Place), nil
	}
	return t.duration("qualification.qualify", req.Place), nil
}

// unhold gives back the capacity a revalidation held for req's site, one
// that ends without being built (COM's release of a site cancelled,
// failed or rejected): the next site may hold it. A site that holds none
// (its bearer's reserve used the hold up, or it never held) gives back
// nothing.
func (t *Twin) unhold(req *port.Request) {
	h := holder(req)
	c, ok := t.holds[h]
	if !ok {
		return
	}
	c.held--
	delete(t.holds, h)
	if t.ledger != nil && req.Key != "" {
		if a, ar, err := t.lookup(req.Place); err == nil {
			t.ledger.Unhold(req.Key, t.ledgerCapacity(req, a, ar))
		}
	}
}

func (t *Twin) checkCredit(req *port.Request, res *port.Result) (time.Duration, *port.Error) {
	acct, ok := t.credit[req.Account]
	if !ok {
		return 0, &port.Error{Class: port.Invalid, Code: "unknownAccount", Message: fmt.Sprintf("account %q is not known to the credit system", req.Account)}
	}
	d := t.duration("credit.check", req.Place)
	if acct.Customer != "" && req.Customer != acct.Customer {
		// The reason reaches the customer (the order's stateReason): it
		// does not say whose the account is.
		res.Reason = fmt.Sprintf("account %s is not %s's", acct.Account, req.Customer)
		return d, nil
	}
	// The account and its parents, up to the top one (the network file
	// has no circles: Validate).
	chain := []*CreditAcct{acct}
	for a := acct; a.Parent != ""; {
		a = t.credit[a.Parent]
		chain = append(chain, a)
	}
	top := chain[len(chain)-1]
	for _, a := range chain {
		of := ""
		if a != acct {
			of = " (the parent of " + acct.Account + ")"
		}
		switch {
		case a.Standing != "good":
			res.Reason = fmt.Sprintf("account %s%s is in %s standing", a.Account, of, a.Standing)
			return d, nil
		case (a.Limit > 0 || a == top) && a.Exposure+req.Amount > a.Limit:
			res.Reason = fmt.Sprintf("order value %.0f exceeds the remaining limit %.0f", req.Amount, a.Limit-a.Exposure)
			if of != "" {
				res.Reason = fmt.Sprintf("order value %.0f exceeds the remaining limit %.0f of parent account %s, shared by its hierarchy", req.Amount, a.Limit-a.Exposure, a.Account)
			}
			return d, nil
		}
	}
	res.Approved = true
	for _, a := range chain {
		a.Exposure += req.Amount
	}
	res.Reason = fmt.Sprintf("within limit %.0f", acct.Limit)
	if top != acct {
		res.Reason = fmt.Sprintf("within limit %.0f of parent account %s", top.Limit, top.Account)
	}
	return d, nil
}
