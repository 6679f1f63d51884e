package com

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// wave is one rollout wave of an order and its service order.
type wave struct {
	order  *order
	id     string // PO-2024-01203/Pilot
	name   string // Pilot
	soName string // SO-PILOT
	// externalID is the service order's external id: PO id / SO name.
	externalID string
	state      string
	target     time.Duration
	items      []int // indexes of the order's items in this wave
	// so is the service order handed to SOM at release, made at
	// decomposition without its items: until then, pending holds them,
	// as little as makes each (serviceOrderItems).
	so        *tmf.ServiceOrder
	pending   []pendingItem
	soID      string
	soState   string
	slaBreach string
	// measuring counts the sites measured again after remediation that
	// have not answered yet.
	measuring int
	// handle is the wave's index in COM's waves, its service order's
	// handle.
	handle int
	// late marks a wave made for sites whose capacity came after the plan;
	// modify, the service order of a modify order.
	late   bool
	modify *modification
	// active counts the wave's sites in service.
	active int
	// releasedBy is who released a wave of manual release.
	releasedBy string
	// blocked says why the wave's gate can no longer open by itself, since
	// blockedAt; forcedBy is who released the gate all the same
	// (blocked.go).
	blocked   string
	blockedAt time.Duration
	forcedBy  string
	// createdAt is when the wave was planned (scheduled), submittedAt
	// released, completedAt ended.
	createdAt   time.Duration
	submittedAt time.Duration
	completedAt time.Duration
	// sois are the handles of the wave's service order items.
	sois []int
}

// plan decomposes every item in progress into its CFS and groups them into
// one service order per wave, in the order of the rollout plan. Every
// item's service characteristics are worked out first: an item the
// catalog cannot decompose refuses the input, and nothing is planned.
func (c *COM) plan(o *order, out *engine.Out) {
	q := o.quote
	cfs := c.cfg.Catalog.CFSFor(q.offering, q.tier)
	parts := make([]decomposition, len(o.po.Items))
	for i := range o.po.Items {
		if o.po.Items[i].State != lc.InProgress {
			continue
		}
		d, err := c.decomposition(o, i, c.cfsOf(o, i, cfs))
		if err != nil {
			out.Error(err)
			return
		}
		parts[i] = d
	}
	o.soiLeft = make([]int, len(o.po.Items))
	if len(o.instances) != len(o.po.Items) {
		o.instances = make([]string, len(o.po.Items)) // named at validation (sites.go), unless an earlier build validated it
	}
	if o.waves == nil {
		o.waves = make([]*wave, 0, len(q.req.Waves))
	}
	all := make([]int, 0, len(o.po.Items)) // the waves' items, in one array
	for _, wp := range q.req.Waves {
		first := len(all)
		for i := range o.po.Items {
			if o.po.Items[i].State == lc.InProgress && q.req.Sites[o.sites[i]].Wave == wp.Name {
				all = append(all, i)
			}
		}
		items := all[first:len(all):len(all)]
		if len(items) > 0 {
			c.newWave(o, wp.Name, wp.ServiceOrder, o.target(wp), items, parts, cfs, out)
		}
	}
}

// newWave schedules a wave of items behind the waves before it, with
// their decompositions (parts[i] for item i) into the CFS cfs.
func (c *COM) newWave(o *order, name, soName string, target time.Duration, items []int, parts []decomposition, cfs []*catalog.CFS, out *engine.Out) *wave {
	// The wave's id and its service order's external id, in one string.
	ids := c.strs.Join(o.po.ID, "/", name, o.po.ID, "/", soName)
	n := len(o.po.ID) + 1 + len(name)
	w := &wave{order: o, id: ids[:n], name: name, soName: soName, target: target,
		state: lc.Initial(lc.Wave), items: items, createdAt: out.Now()}
	w.so = &tmf.ServiceOrder{ExternalID: ids[n:], Description: soName, Category: "rollout wave",
		RelatedParty: o.po.RelatedParty, ExternalRef: []tmf.Ref{{ID: o.po.ID, Type: "ProductOrder"}}}
	w.pending = make([]pendingItem, 0, len(items)*len(cfs))
	for _, i := range items {
		c.decompose(o, i, w, c.cfsOf(o, i, cfs), parts[i])
	}
	o.waves = append(o.waves, w)
	c.addWave(w)
	out.Created(lc.Wave, w.id, "", w.state, "COM")
	c.watch(w, out)
	return w
}

// cfsOf is the CFS of item i: those of its own tier when its site or a
// change gave it one other than the quote's, else cfs (the quote's).
func (c *COM) cfsOf(o *order, i int, cfs []*catalog.CFS) []*catalog.CFS {
	if tier, off := c.effective(o, i).tier, o.offering(i); tier != o.quote.tier.Name || off != o.quote.offering {
		return c.cfg.Catalog.CFSFor(off, c.cfg.Catalog.Tiers[tier])
	}
	return cfs
}

// tierOf is the SLA tier item i is measured against: its site's, or its
// change's.
func (c *COM) tierOf(o *order, i int) *catalog.SLATier {
	if tier := c.effective(o, i).tier; tier != o.quote.tier.Name {
		return c.cfg.Catalog.Tiers[tier]
	}
	return o.quote.tier
}

// addWave gives a wave its handle, and its service order with it.
func (c *COM) addWave(w *wave) {
	w.handle = c.waveHandles
	c.waveHandles++
	w.so.Handle, w.externalID = w.handle, w.so.ExternalID
	c.waves[w.handle] = w
}

// addSoi gives a service order item its handle.
func (c *COM) addSoi(ref *soiRef) int {
	h := c.soiHandles
	c.soiHandles++
	c.sois[h] = ref
	ref.wave.sois = append(ref.wave.sois, h)
	return h
}

// addToLateWave puts an item whose capacity came late into a wave after
// the planned ones: the last wave if it is a late one not yet released,
// else a new one (Wave 3 after Pilot, Wave 1 and Wave 2).
func (c *COM) addToLateWave(o *order, i int, out *engine.Out) {
	cfs := c.cfsOf(o, i, c.cfg.Catalog.CFSFor(o.quote.offering, o.quote.tier))
	d, err := c.decomposition(o, i, cfs)
	if err != nil {
		out.Error(err)
		return
	}
	if n := len(o.waves); n > 0 && o.waves[n-1].late && o.waves[n-1].state == lc.Scheduled {
		w := o.waves[n-1]
		w.items = append(w.items, i)
		c.decompose(o, i, w, cfs, d)
		return
	}
	taken := map[string]bool{}
	for _, w := range o.waves {
		taken[w.name], taken[w.soName] = true, true
	}
	for _, wp := range o.quote.req.Waves {
		taken[wp.Name], taken[wp.ServiceOrder] = true, true
	}
	name := ""
	for n := len(o.waves); name == "" || taken[name] || taken[ServiceOrderName(name)]; n++ {
		name = "Wave " + strconv.Itoa(n)
	}
	parts := make([]decomposition, i+1)
	parts[i] = d
	c.newWave(o, name, ServiceOrderName(name), 0, []int{i}, parts, cfs, out).late = true
}

// ServiceOrderName is the default name of a wave's service order:
// "Wave 1" → "SO-WAVE1", "Pilot" → "SO-PILOT".
func ServiceOrderName(wave string) string {
	b := []byte("SO-")
	for _, r := range wave {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		}
	}
	return string(b)
}

// decomposition is what a product order item becomes: the
// characteristics of each of its CFS and the id of its product instance.
type decomposition struct {
	chars    []tmf.Characteristics
	instance string
}

// decomposition works out item i's CFS characteristics and product
// instance id, changing nothing: an error names the item and what the
// catalog cannot fill in.
func (c *COM) decomposition(o *order, i int, cfs []*catalog.CFS) (decomposition, error) {
	vars := c.itemVars(o, i)
	n := 0
	for _, s := range cfs {
		n += len(s.Characteristics)
	}
	// The CFS' characteristics share one array with those of the order's
	// other items.
	d := decomposition{chars: o.charLists(len(cfs))}
	room := o.characteristics(n)
	for k, s := range cfs {
		chars, err := s.Characteristics.ApplyIn(room, &c.strs, vars)
		room = room[len(s.Characteristics):]
		if err != nil {
			return d, fmt.Errorf("COM: decompose %s into %s: %w", o.po.Items[i].ID, s.ID, err)
		}
		d.chars[k] = chars
	}
	id, err := catalog.ExpandIn(&c.strs, o.offering(i).InstanceID, vars)
	if err != nil {
		return d, fmt.Errorf("COM: product instance id of %s: %w", o.po.Items[i].ID, err)
	}
	d.instance = id
	return d, nil
}

// decompose turns one product order item into its CFS service order
// items, as worked out in d.
func (c *COM) decompose(o *order, i int, w *wave, cfs []*catalog.CFS, d decomposition) {
	it := &o.po.Items[i]
	c.reclaim(o, i, d.instance)
	if it.ServiceOrderItem == nil {
		it.ServiceOrderItem = o.refs(len(cfs))
	}
	for k, s := range cfs {
		id := c.id("SOI")
		h := c.addSoi(&soiRef{o: o, item: i, wave: w, id: id})
		w.pending = append(w.pending, pendingItem{handle: h, cfs: s, chars: d.chars[k]})
		it.ServiceOrderItem = append(it.ServiceOrderItem, tmf.Ref{ID: id})
		o.waveOf[i] = w
		o.soiLeft[i]++
	}
}

// pendingItem is a service order item of a wave not yet released, as
// little as makes it: its handle (whose soiRef has its id and product
// order item), its CFS and the characteristics worked out for it. A wave
// waits for the waves before it, most of an order's life in a rollout,
// and its service order items in full (about 460 bytes each, mostly
// empty) were a tenth of the live heap of a server under load.
type pendingItem struct {
	handle int
	cfs    *catalog.CFS
	chars  tmf.Characteristics
}

// serviceOrderItems are the items of wave w's service order, made from
// its pending items at release.
func (c *COM) serviceOrderItems(w *wave) []tmf.ServiceOrderItem {
	items := make([]tmf.ServiceOrderItem, len(w.pending))
	for k, p := range w.pending {
		r := c.sois[p.handle]
		it := &r.o.po.Items[r.item]
		items[k] = tmf.ServiceOrderItem{ID: r.id, Action: tmf.Add, ProductOrderItem: tmf.Ref{ID: it.ID},
			Service: tmf.Service{Category: "CFS", Specification: tmf.Ref{ID: p.cfs.ID, Name: p.cfs.Name},
				Characteristics: p.chars, Place: it.Place}, Handle: p.handle}
	}
	return items
}

// releaseNext submits the next scheduled wave whose gate is open: the
// first wave at once, each later one when the wave before it completed,
// SLA validation included. A plan of gates (QuoteRequest.Gated) submits
// every scheduled wave whose gates are open, in plan order. A gate that
// can no longer open by itself goes to people (blocked.go).
func (c *COM) releaseNext(o *order, out *engine.Out) {
	c.releaseOpen(o, out)
	c.watchGates(o, out)
}

// releaseOpen submits the scheduled waves whose gates are open.
func (c *COM) releaseOpen(o *order, out *engine.Out) {
	gated := o.quote.req.Gated()
	for k, w := range o.waves {
		if w.state != lc.Scheduled {
			continue
		}
		var reason string
		if gated {
			var open bool
			if reason, open = c.gateOpen(o, k); !open {
				continue
			}
		} else if w.forcedBy != "" {
			reason = "gate released by " + w.forcedBy
		} else {
			if k > 0 && !o.waves[k-1].passed() {
				return
			}
			reason = "first wave"
			if k > 0 {
				reason = c.strs.Join("gate passed: ", o.waves[k-1].soName, " ", o.waves[k-1].state, ", SLA validated")
			}
		}
		if !out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Release, reason, "COM → SOM") {
			return
		}
		w.submittedAt = out.Now()
		w.so.Items = c.serviceOrderItems(w)
		out.Send(engine.SOM, 0, w.so)
		w.so, w.pending = nil, nil
		if !gated {
			return
		}
	}
}

// gateOpen tells whether every gate of wave k of a gated plan is open,
// and says which passed. A wave without gates waits for the wave before
// it, SLA validated; a wave of the plan with no site in this order opens
// its gates.
func (c *COM) gateOpen(o *order, k int) (string, bool) {
	w := o.waves[k]
	if w.forcedBy != "" {
		return "gate released by " + w.forcedBy, true
	}
	plan, gates := c.gatesOf(o, k)
	var passed []string
	for _, g := range gates {
		p := o.waveNamed(g.Wave)
		if p == nil {
			continue // no site of this order in that wave
		}
		text, ok := gateMet(g, p)
		if !ok {
			return "", false
		}
		passed = append(passed, text)
	}
	if plan != nil && plan.Manual {
		if w.releasedBy == "" {
			return "", false
		}
		passed = append(passed, "released by "+w.releasedBy)
	}
	if len(passed) == 0 {
		return "first wave", true
	}
	return "gate passed: " + strings.Join(passed, "; "), true
}

// gatesOf is the plan of wave k of o (nil for a late wave) and the gates
// it waits behind: its plan's, else the wave before it, SLA validated.
func (c *COM) gatesOf(o *order, k int) (*WavePlan, []Gate) {
	w := o.waves[k]
	var plan *WavePlan
	if !w.late {
		for i := range o.quote.req.Waves {
			if o.quote.req.Waves[i].Name == w.name {
				plan = &o.quote.req.Waves[i]
			}
		}
	}
	gates := []Gate(nil)
	if plan != nil {
		gates = plan.After
	}
	if len(gates) == 0 && k > 0 {
		gates = []Gate{{Wave: o.waves[k-1].name, On: GateSLAValidated}}
	}
	return plan, gates
}

// waveNamed is o's wave called name, nil when none of its sites is in it.
func (o *order) waveNamed(name string) *wave {
	var p *wave
	for _, ow := range o.waves {
		if ow.name == name {
			p = ow
		}
	}
	return p
}

// gateMet tells whether wave p meets gate g, and says how.
func gateMet(g Gate, p *wave) (string, bool) {
	switch g.On {
	case GateSLAValidated:
		return p.soName + " " + p.state + ", SLA validated", p.passed()
	case GateCompleted:
		return p.soName + " completed", p.passed() || (p.state == lc.Held && p.slaBreach != "")
	case GateSites:
		need := int(math.Ceil(g.Share*float64(len(p.items)) - 1e-9))
		// A wave that ended with fewer sites in service than the share
		// does not meet it: the gate goes to people (blocked.go).
		return fmt.Sprintf("%s %d of %d sites in service", p.soName, p.active, len(p.items)),
			p.active >= need || p.state == lc.Completed || p.state == lc.Cancelled
	}
	return "", true
}

// ReleaseWave is a person's release of a wave whose plan says it waits for
// one (WavePlan.Manual): the wave goes once its other gates are open too.
// A wave whose gate can no longer open by itself goes at once.
type ReleaseWave struct {
	Order string // product order id; "" for every order with that wave
	Wave  string
	By    string
}

// ReleaseApproved is the timeline state of a wave a person released: it
// goes once its gates are open.
const ReleaseApproved = "releaseApproved"

// releaseWave takes a person's release of a wave.
func (c *COM) releaseWave(m ReleaseWave, out *engine.Out) {
	by := m.By
	if by == "" {
		by = "an operator"
	}
	n := 0
	for o := range c.orders.All() {
		if m.Order != "" && o.po.ID != m.Order {
			continue
		}
		for _, w := range o.waves {
			if w.name == m.Wave && w.state == lc.Scheduled && w.blocked != "" && w.forcedBy == "" {
				n++
				c.forceGate(w, by, out) // a gate that can no longer open (blocked.go)
				continue
			}
			if w.name != m.Wave || w.state != lc.Scheduled || w.releasedBy != "" || !o.quote.req.manual(w.name) {
				continue
			}
			w.releasedBy = by
			n++
			out.Record(store.Record{Kind: "release", Entity: w.id, Name: w.soName, System: "COM", To: ReleaseApproved,
				Event: "release", Reason: "released by " + by})
			c.releaseNext(o, out)
		}
	}
	if n == 0 {
		entity := m.Wave // in every order
		if m.Order != "" {
			entity = m.Order + "/" + m.Wave
		}
		out.Record(store.Record{Kind: "release", Entity: entity, System: "COM", To: "ignored",
			Event: "release", Reason: "no scheduled wave of that name waits for a person's release"})
	}
}

// manual tells whether wave name waits for a person's release.
func (q *QuoteRequest) manual(name string) bool {
	for _, w := range q.Waves {
		if w.Name == name {
			return w.Manual
		}
	}
	return false
}

// passed tells whether the wave opens the gate of the next: it completed,
// or it ended with some of its sites failed and the others in service (a
// failed site does not hold the rollout; a wave with no site in service
// does).
func (w *wave) passed() bool {
	return w.state == lc.Completed || w.state == lc.Cancelled || (w.state == lc.Partial && w.active > 0)
}

// serviceOrderEvent follows the service orders COM placed. An event it
// cannot apply is refused before anything changes (see followed).
func (c *COM) serviceOrderEvent(now time.Duration, ev *tmf.OrderEvent, out *engine.Out) {
	w, err := c.followed(ev)
	if err != nil {
		out.Error(err)
		return
	}
	w.soID, w.soState = ev.OrderID, ev.State
	switch ev.Type {
	case tmf.ServiceOrderStateChange:
		c.waveProgress(w, ev.State, out)
	case tmf.ServiceOrderItemStateChange:
		c.serviceItem(now, w, ev.Item, out)
	}
}

// followed finds the wave whose service order an event is about. An event
// for a service order COM has not placed, for an item that is not one of
// that order's, or that would take the wave where its lifecycle does not
// go, is an error (tmf.ErrUnknownOrder for the first two).
func (c *COM) followed(ev *tmf.OrderEvent) (*wave, error) {
	var w *wave
	if h := c.waves[ev.Handle]; h != nil && h.externalID == ev.ExternalID && h.so == nil {
		w = h
	}
	if w == nil {
		return nil, fmt.Errorf("COM: event for service order %q (%s), which COM has not placed: %w", ev.OrderID, ev.ExternalID, tmf.ErrUnknownOrder)
	}
	switch ev.Type {
	case tmf.ServiceOrderItemStateChange:
		it := ev.Item
		if it == nil {
			break
		}
		if ref := c.sois[it.Handle]; ref == nil || ref.id != it.ID || ref.wave != w {
			return nil, fmt.Errorf("COM: event for service order item %q, not an item of %s (%s): %w", it.ID, ev.OrderID, ev.ExternalID, tmf.ErrUnknownOrder)
		}

	case tmf.ServiceOrderStateChange:
		if event := w.event(ev.State); event != "" {
			if _, err := c.machines.Fire(lc.Wave, w.id, w.state, event); err != nil {
				return nil, fmt.Errorf("COM: service order %s %s: %w", ev.OrderID, ev.State, err)
			}
		}
	}
	return w, nil
}

// event is the wave's event when its service order reaches soState, or ""
// for none.
func (w *wave) event(soState string) string {
	switch soState {
	case lc.InProgress:
		return lc.Start
	case lc.Completed, lc.Partial:
		switch {
		case w.slaBreach != "":
			return lc.Hold
		case soState == lc.Completed:
			return lc.Complete
		}
		return lc.PartComplete
	case lc.Failed:
		return lc.Fail
	case lc.Cancelled:
		return lc.Cancel
	}
	return ""
}

// waveProgress moves a wave with its service order and opens the next gate.
func (c *COM) waveProgress(w *wave, soState string, out *engine.Out) {
	o := w.order
	event := w.event(soState)
	switch event {
	case "":
		return
	case lc.Hold:
		c.holdOnSLA(w, out)
		return
	}
	reason := ""
	switch event {
	case lc.Complete:
		if w.modify == nil {
			reason = "SLA validated" // a change order's service order has no gate behind it
		}
	case lc.PartComplete:
		reason = "some sites failed"
	case lc.Cancel:
		reason = "every site cancelled"
	}
	if !out.Fire(c.machines, lc.Wave, w.id, "", &w.state, event, reason, "COM") {
		return
	}
	switch event {
	case lc.Complete, lc.PartComplete:
		w.completedAt = out.Now()
		c.releaseNext(o, out)
	case lc.Cancel, lc.Fail:
		c.releaseNext(o, out) // a failed wave blocks the gates on it (blocked.go)
	}
}

// holdOnSLA holds a wave whose sites do not meet the tier and raises a
// jeopardy: the waves after it wait (seed: the pilot gate includes SLA
// validation).
func (c *COM) holdOnSLA(w *wave, out *engine.Out) {
	reason := "SLA validation failed: " + w.slaBreach
	if out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Hold, reason, "COM") {
		c.jeopardy(w.order, w.id, JeopardySLA, reason, out)
		if w.order.quote.req.Gated() {
			c.releaseNext(w.order, out) // a gate on the wave's completion alone
		}
	}
}

// serviceItem counts a finished service order item towards its product
// order item.
func (c *COM) serviceItem(now time.Duration, w *wave, ev *tmf.ItemEvent, out *engine.Out) {
	if ev == nil {
		return
	}
	ref := c.sois[ev.Handle]
	if m := ref.modify; m != nil {
		if ref.final || (ev.State != lc.Completed && ev.State != lc.Failed && ev.State != lc.Cancelled) {
			return
		}
		ref.final = true
		if !m.disconnect {
			c.modified(ref, ev, out)
			return
		}
		if ev.State != lc.Completed && m.failed == "" {
			m.failed = ev.StateReason
		}
		if m.left--; m.left == 0 {
			c.disconnected(m, out)
		}
		return
	}
	o := ref.o
	it := &o.po.Items[ref.item]
	if (it.State != lc.InProgress && it.State != lc.AssessingCancellation) || ref.final {
		return // re-delivered, or the site is already final
	}
	switch ev.State {
	case lc.Cancelled:
	case lc.Completed:
		if why := c.tierOf(o, ref.item).Breach(ev.Characteristics); why != "" {
			w.slaBreach = it.Place.ID + ": " + why
		}
		if ev.Instance.ID != "" {
			if it.Services == nil {
				it.Services = o.refs(len(it.ServiceOrderItem))
			}
			it.Services = append(it.Services, ev.Instance)
		}
	case lc.Failed:
		if it.StateReason == "" {
			it.StateReason = ev.StateReason
		}
	default:
		return
	}
	ref.final = true
	// The site is final once every service order item of it is: cancelled
	// when its cancellation was asked, completed when none failed, failed
	// otherwise.
	if o.soiLeft[ref.item]--; o.soiLeft[ref.item] > 0 {
		return
	}
	if it.State == lc.AssessingCancellation {
		c.cancelled(o, ref.item, out)
		return
	}
	if it.StateReason == "" {
		ref.wave.active++
		c.activate(now, o, ref.item, out)
		if o.quote.req.Gated() {
			c.releaseNext(o, out) // a gate on a share of the wave's sites
		}
	} else if out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Fail, it.StateReason, "COM") {
		c.releaseHold(o, ref.item, out)
		c.itemFinal(o, out)
	}
}

// productOrd numbers the next product instance (tmf.Product.Ord).
func (c *COM) productOrd() uint64 {
	c.next[productCount]++
	return uint64(c.next[productCount])
}

// productCount is the counter of products among COM's id counters (next):
// no id prefix can take it.
const productCount = "#product"

// activate completes a product order item: product instance, billing.
func (c *COM) activate(now time.Duration, o *order, i int, out *engine.Out) {
	it := &o.po.Items[i]
	q := o.quote
	id := o.instances[i]
	p := o.product(i)
	off := o.offering(i)
	*p = tmf.Product{ID: id, Name: off.Name, Status: "active", ProductOffering: tmf.Ref{ID: off.ID, Name: off.Name},
		Characteristics: it.Characteristics, Place: it.Place, RelatedParty: o.po.RelatedParty, StartDate: now,
		MonthlyPrice: it.MonthlyPrice, Services: it.Services, BillingAccount: o.po.BillingAccount,
		ProductOrder: o.po.ID, ProductOrderItem: it.ID, Ord: c.productOrd()}
	c.Products.Put(p.ID, p)
	c.unclaim(o, i)
	c.inService(p.ID)
	out.Inventory("product", p.ID, it.Place.ID, "", p.Status)
	if it.ProductInstance == nil {
		it.ProductInstance = &o.refs(1)[:1][0]
	} else {
		it.ProductInstance = new(tmf.Ref)
	}
	*it.ProductInstance = tmf.Ref{ID: p.ID}
	if !out.Fire(c.machines, lc.ProductOrderItem, it.ID, it.Place.ID, &it.State, lc.Complete, "", "COM → Billing") {
		return
	}
	c.call(out, port.Request{Key: c.strs.Join(it.ID, "/billing"), System: port.Billing, Op: port.Activate, Item: it.ID,
		Customer: q.req.Customer.ID, Account: q.req.Customer.Account, Site: it.Place.ID, Place: it.Place,
		Amount: it.MonthlyPrice}, then{Do: ignore})
	c.itemFinal(o, out)
	if ch := o.deferred[i]; ch != nil {
		o.deferred[i] = nil
		c.modify(o, i, *ch, out) // the change waited for the site to be active
	}
}

// itemFinal ends the order once every item is final. A held item keeps it
// in progress.
func (c *COM) itemFinal(o *order, out *engine.Out) {
	o.final++
	if o.final < len(o.po.Items) {
		return
	}
	event := lc.Finish(o.po.Items, func(it *tmf.ProductOrderItem) string { return it.State })
	ok := false
	switch {
	case (event == lc.Cancel || event == lc.Fail) && o.po.State == lc.AssessingCancellation:
		// No site went live: the cancellation is taken, whatever failed
		// before it came.
		ok = out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.AcceptCancel, "", "COM") &&
			out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.ConfirmCancel, "", "COM")
	case event == lc.Cancel:
		ok = out.Cancel(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, "every site cancelled", "COM")
	default:
		if o.po.State == lc.AssessingCancellation {
			// Some sites went live before the cancellation reached them.
			out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.RefuseCancel, "sites active: past the point of no return", "COM")
		}
		ok = out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, event, "", "COM")
	}
	if ok {
		o.po.CompletionDate = out.Now()
		c.closeWaves(o, out)
	}
}

// closeWaves ends the waves of an order that ended while they waited: one
// held on its SLA check (its sites are in service; nothing waits behind its
// gate any more) completes, saying its SLA was not validated, and one still
// scheduled is cancelled. Neither stays on the worklist, nor takes an
// operator's action, nor misses its target.
func (c *COM) closeWaves(o *order, out *engine.Out) {
	for _, w := range o.waves {
		switch w.state {
		case lc.Held:
			out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Complete,
				"the order ended "+o.po.State+" with the wave held: its SLA was not validated", "COM")
			w.completedAt = out.Now()
		case lc.Scheduled:
			out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Cancel, "the order ended "+o.po.State, "COM")
		}
	}
}
