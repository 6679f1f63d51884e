package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/require"
)

// The fuzz target drives the worked example's system, serving on a wall
// clock inside a synctest bubble (fake time: deterministic, no waiting),
// with messages of every kind its engine takes: the APIs' commands, peers'
// deliveries (orders, cancellations, events), adapters' answers with keys
// and handles right or wrong, and the passing of time, which fires the
// components' timers. Whatever comes, the engine never stops, no handler
// panics, and a restart on its store replays to the same journal and the
// same state (docs/architecture.md §8: no input, however malformed, stops the engine;
// §2: a replay rebuilds the state that was committed).
func FuzzPoisonInputs(f *testing.F) {
	// The poison event: ServiceOrderStateChangeEvent for SO-001,
	// PO-001/SO-PILOT, failed, on stream x, message 1; then on som→com
	// once the pilot runs.
	f.Add([]byte{opDeliverEventToCOM, 1, 0, 0, 3, 3, 0, 4, 0})
	f.Add([]byte{opSleep, 30, opDeliverEventToCOM, 1, 0, 0, 0, 3, 0, 0, 0, opSleep, 200})
	f.Add([]byte{opSleep, 5, opResultToROM, 4, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, opSleep, 100})
	f.Add([]byte{opCancel, 0, 1, 0, opSleep, 10, opChange, 1, 1, 1, 1, 0, opRemove, 1, 2, 0, 0, opSleep, 250})
	f.Add([]byte{opSleep, 40, opDeliverEventToSOM, 5, 0, 0, 0, 2, 1, 3, 2, 2, 0, 0, 0, 2, 0, opDeliverCancel, 1, 2, 0, 0, 1, opSleep, 90})
	f.Add([]byte{opSleep, 5, opAct, 1, 4, 0, 9, 1, 0, 0, 1, 0, opAct, 1, 5, 0, 0, 1, 1, 0, 0, 1, opSleep, 100})
	f.Add([]byte{opPeerServiceOrder, 1, 2, 3, 1, opPeerResourceOrder, 1, 2, 3, 4, 1, opResultToCOM, 1, 2, 3, 4, opSleep, 255})
	sc, err := Load(globaltech)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		synctest.Test(t, func(t *testing.T) { drive(t, sc.Spec, data) })
	})
}

// The operations a fuzz input is made of: one byte says which, the bytes
// after it what it carries (see fuzzInput).
const (
	opSleep byte = iota
	opCancel
	opChange
	opAddSite
	opRemove
	opRemediate
	opDescribe
	opReview
	opQualify
	opQuote
	opOrder
	opDocs
	opServiceOrderRequest
	opResourceOrderRequest
	opCancelRequest
	opDeliverEventToCOM
	opDeliverEventToSOM
	opPeerServiceOrder
	opPeerResourceOrder
	opDeliverCancel
	opResultToCOM
	opResultToROM
	opUnregistered
	opAct
	ops
)

// scale plays a virtual day in a second of the bubble's fake time.
const scale = 86400

func drive(t *testing.T, spec Spec, data []byte) {
	codec := system.Codec()
	codec.Register(&port.Result{}) // adapters' answers, through the inbox
	mem := store.NewMemory()
	start := time.Now()
	sys, err := New(spec, Options{Clock: &engine.Wall{Start: start, Scale: scale}, Journal: mem, Log: mem, Codec: codec})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	synctest.Wait()

	in := &fuzzInput{b: data}
	for n := 0; len(in.b) > 0 && n < 64; n++ {
		to, msg, sleep := in.next()
		if sleep > 0 {
			time.Sleep(sleep / scale)
			synctest.Wait()
			continue
		}
		before, journalled := state(t, sys), mem.Len()
		_, err := sys.Engine.Command(ctx, to, msg)
		if err != nil && !errors.Is(err, engine.ErrRefused) && !errors.Is(err, engine.ErrNotCommand) {
			t.Fatalf("%T for %s: %v", msg, to, err)
		}
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("the engine stopped after %T: %v", msg, err)
		default:
		}
		// What the command led to was refused, all of it: nothing changed.
		if added := mem.Records()[journalled:]; len(added) > 0 && !slices.ContainsFunc(added, func(r store.Record) bool { return r.Kind != engine.Refused }) {
			require.Equal(t, before, state(t, sys), "refused %T for %s (%s) changed the state", msg, to, added[0].Reason)
		}
	}
	time.Sleep(120 * 24 * time.Hour / scale) // the rollout runs to its end
	synctest.Wait()
	want := snapshot(t, sys)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled, "the engine stopped by itself")
	held := mem.Records()
	for _, r := range held {
		if r.Kind == engine.Refused && strings.HasPrefix(r.Reason, "panic") {
			t.Errorf("a handler panicked on %s for %s: %s", r.Entity, r.System, r.Reason)
		}
	}

	// Restart on the same store: replay, then serve on to the same time.
	resumed := store.Resume(mem, held)
	again, err := New(spec, Options{Clock: &engine.Wall{Start: start, Scale: scale}, Journal: resumed, Log: mem, Codec: codec})
	require.NoError(t, err)
	require.NoError(t, again.Engine.Replay(context.Background(), mem.Inputs(), resumed.Caught), "the replay stopped")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- again.Engine.Serve(ctx) }()
	synctest.Wait()
	got := snapshot(t, again)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Equal(t, len(held), mem.Len(), "the replay journalled something the run did not")
	require.Equal(t, want, got, "the replay reached another state")
}

// snapshot is the state of a system's components, as their views show
// it, and how many inputs its engine refused.
func snapshot(t *testing.T, s *System) string {
	t.Helper()
	var refusals uint64
	require.NoError(t, s.Engine.Query(context.Background(), func() { refusals = s.Engine.Refusals() }))
	return fmt.Sprintf("%s\nrefused %d", state(t, s), refusals)
}

// state is the state of a system's components, as their views show it.
func state(t *testing.T, s *System) string {
	t.Helper()
	var b []byte
	err := s.Engine.Query(context.Background(), func() {
		v := map[string]any{
			"orders": s.COM.Orders(), "quotes": s.COM.Quotes(), "waves": s.COM.Waves(), "products": s.COM.Products.All(),
			"qualifications": s.COM.Qualifications(), "jeopardies": s.COM.Jeopardies(),
			"serviceOrders": s.SOM.Orders(), "services": s.SOM.Services.All(),
			"resourceOrders": s.ROM.Orders(), "resources": s.ROM.Resources.All(),
		}
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	})
	require.NoError(t, err)
	return string(b)
}

// fuzzInput reads operations from fuzz bytes; past the end every byte is 0.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) byte() byte {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return c
}

// pick is one of values, or (one time in eight) a string of the input's
// own bytes.
func (in *fuzzInput) pick(values ...string) string {
	c := in.byte()
	if c%8 == 7 {
		n := int(in.byte() % 12)
		n = min(n, len(in.b))
		s := string(in.b[:n])
		in.b = in.b[n:]
		return s
	}
	return values[int(c)%len(values)]
}

func (in *fuzzInput) handle() int { return int(int8(in.byte())) }

func (in *fuzzInput) flag() bool { return in.byte()%2 == 1 }

var (
	fuzzOrders    = []string{"", "PO-2024-01203", "PO-001", "PO-2024-01203-M1"}
	fuzzSites     = []string{"MELB", "SYD1", "SYD2", "BNE1", "BNE2", ""}
	fuzzWaves     = []string{"Pilot", "Wave 1", "Wave 2", ""}
	fuzzSOs       = []string{"SO-001", "SO-002", "SO-003", ""}
	fuzzSOExts    = []string{"PO-2024-01203/SO-PILOT", "PO-2024-01203/SO-WAVE1", "PO-2024-01203/SO-WAVE2", "PO-001/SO-PILOT", ""}
	fuzzSOIs      = []string{"SOI-001", "SOI-002", "SOI-003", "SOI-007", "SOI-015", ""}
	fuzzROs       = []string{"RO-001", "RO-002", "RO-005", ""}
	fuzzROExts    = []string{"SO-001/MELB", "SO-002/SYD1", "SO-002/SYD2", "SO-003/BNE1", "SO-003/BNE2", ""}
	fuzzROIs      = []string{"ROI-001", "ROI-002", "ROI-003", "ROI-004", "ROI-006", "ROI-012", "ROI-030", ""}
	fuzzStates    = []string{"acknowledged", "inProgress", "completed", "failed", "partial", "cancelled", "held", "pending", "rejected", "assessingCancellation", ""}
	fuzzSpecs     = []string{"OLTPort", "VLAN", "IPv4Subnet", "CPE", "BNGProfile", "CFS:Fibre-Access", "CFS:Enterprise-QoS", ""}
	fuzzSpeeds    = []string{"500M", "1G", "100M", ""}
	fuzzTiers     = []string{"GOLD", "SILVER", "BRONZE", ""}
	fuzzKeys      = []string{"PO-2024-01203/credit", "POI-001/billing", "QT-001/MELB/qualify", "POI-002/revalidate/1", "ROI-001/reserve/1", "ROI-001/commit/1", "ROI-006/commit/1", "ROI-002/release/1", "x"}
	fuzzOps       = []port.Op{port.Reserve, port.Commit, port.Release, port.Check, port.Review, port.Qualify, port.Revalidate, port.Activate, port.Measure, ""}
	fuzzSystems   = []port.System{port.Access, port.VLAN, port.IPAM, port.Logistics, port.Credit, port.Workflow, port.Qualification, port.Billing, ""}
	fuzzClasses   = []port.ErrorClass{port.Transient, port.Exhausted, port.Hard, port.Invalid, port.Lost, ""}
	fuzzEvents    = []tmf.EventType{tmf.ServiceOrderCreate, tmf.ServiceOrderStateChange, tmf.ServiceOrderItemStateChange, tmf.ResourceOrderCreate, tmf.ResourceOrderStateChange, tmf.ResourceOrderItemStateChange}
	fuzzStreams   = []string{"som→com", "com→som", "rom→som", "som→rom", "x"}
	fuzzMilestone = []string{"", "staged", "inTransit", "delivered", "installed", "lost", "damaged"}
)

func pickOf[T any](in *fuzzInput, values []T) T { return values[int(in.byte())%len(values)] }

func (in *fuzzInput) event() *tmf.OrderEvent {
	ev := &tmf.OrderEvent{Type: pickOf(in, fuzzEvents), Handle: in.handle()}
	if ev.Type == tmf.ResourceOrderCreate || ev.Type == tmf.ResourceOrderStateChange || ev.Type == tmf.ResourceOrderItemStateChange {
		ev.OrderID, ev.ExternalID = in.pick(fuzzROs...), in.pick(fuzzROExts...)
	} else {
		ev.OrderID, ev.ExternalID = in.pick(fuzzSOs...), in.pick(fuzzSOExts...)
	}
	ev.State = in.pick(fuzzStates...)
	if in.flag() {
		ev.Item = &tmf.ItemEvent{ID: in.pick(append(fuzzSOIs, fuzzROIs...)...), Handle: in.handle(), State: in.pick(fuzzStates...),
			StateReason: in.pick("", "no port", "boom"), Milestone: in.pick(fuzzMilestone...),
			Instance: tmf.Ref{ID: in.pick("", "OLT-SOUTH-03-LC2-P8", "X")}}
		if in.flag() {
			ev.Item.Characteristics = tmf.Characteristics{{Name: in.pick("measuredLatencyMs", "measuredLossPct", "measuredAvailability", "x"), Value: in.pick("1", "99.99", "500", "", "NaN")}}
		}
	}
	return ev
}

func (in *fuzzInput) result() *port.Result {
	r := &port.Result{Key: in.pick(fuzzKeys...), System: pickOf(in, fuzzSystems), Op: pickOf(in, fuzzOps),
		Item: in.pick(append(fuzzROIs, "POI-001", "QT-001")...), Handle: in.handle(), Final: in.flag(), Milestone: in.pick(fuzzMilestone...)}
	switch in.byte() % 4 {
	case 1:
		r.Err = &port.Error{Class: pickOf(in, fuzzClasses), Code: in.pick("x", "capacityExhausted"), Message: in.pick("", "boom")}
	case 2:
		r.Resource = &tmf.Resource{ID: in.pick("OLT-SOUTH-03-LC2-P8", "ENT-MEL-VLAN-2108", "R-1", ""), ResourceType: in.pick(fuzzSpecs...), Value: in.pick("", "8")}
	case 3:
		r.Qualification = &port.QualificationResult{Technology: in.pick("GPON", "P2P", ""), FreeCapacity: in.handle()}
	}
	r.Approved = in.flag()
	return r
}

func (in *fuzzInput) serviceOrder() tmf.ServiceOrder {
	so := tmf.ServiceOrder{ExternalID: in.pick(fuzzSOExts...), Description: in.pick("SO-PILOT", ""), Handle: in.handle(),
		RelatedParty: []tmf.Ref{{ID: in.pick("CUST-ENT-1102", ""), Role: "customer"}}}
	for range in.byte() % 4 {
		so.Items = append(so.Items, tmf.ServiceOrderItem{ID: in.pick(fuzzSOIs...), Action: pickOf(in, []tmf.Action{tmf.Add, tmf.Modify, tmf.Delete, ""}), Handle: in.handle(),
			Service: tmf.Service{Specification: tmf.Ref{ID: in.pick(fuzzSpecs...)}, Place: tmf.Place{ID: in.pick(fuzzSites...)},
				Characteristics: tmf.Characteristics{{Name: in.pick("technology", "speed"), Value: in.pick("GPON", "P2P", "500M", "")}}}})
	}
	return so
}

func (in *fuzzInput) resourceOrder() tmf.ResourceOrder {
	ro := tmf.ResourceOrder{ExternalID: in.pick(fuzzROExts...), Name: in.pick("RO MELB", ""), Place: tmf.Place{ID: in.pick(fuzzSites...)},
		RelatedParty: []tmf.Ref{{ID: in.pick("CUST-ENT-1102", ""), Role: "customer"}}}
	for range in.byte() % 4 {
		it := tmf.ResourceOrderItem{ID: in.pick(fuzzROIs...), Action: pickOf(in, []tmf.Action{tmf.Add, tmf.Delete, tmf.Modify, ""}), Handle: in.handle(),
			Specification: tmf.Ref{ID: in.pick(fuzzSpecs...)}}
		if in.flag() {
			it.DependsOn = []string{in.pick(fuzzROIs...)}
		}
		if in.flag() {
			it.Resource = &tmf.Resource{ID: in.pick("OLT-SOUTH-03-LC2-P8", "R-1", "")}
		}
		ro.Items = append(ro.Items, it)
	}
	return ro
}

func (in *fuzzInput) site() com.Site {
	return com.Site{Code: in.pick(append(fuzzSites, "ADL1")...), Address: in.pick("1 Collins St, Melbourne VIC 3000", "nowhere", ""), Wave: in.pick(fuzzWaves...)}
}

func (in *fuzzInput) delivery(to engine.Address, msg any) peer.Delivery {
	return peer.Delivery{From: in.pick(fuzzStreams...), Seq: uint64(in.byte()%3 + 1), To: to, Msg: msg}
}

// next reads the next operation: an input for a component, or a time to
// let pass.
func (in *fuzzInput) next() (engine.Address, any, time.Duration) {
	switch in.byte() % ops {
	case opSleep:
		return 0, nil, time.Duration(in.byte()%240+1) * time.Hour
	case opCancel:
		return engine.COM, com.Cancel{Order: in.pick(fuzzOrders...), Site: in.pick(fuzzSites...), Reason: in.pick("", "budget")}, 0
	case opChange:
		return engine.COM, com.Change{Order: in.pick(fuzzOrders...), Site: in.pick(fuzzSites...), Speed: in.pick(fuzzSpeeds...),
			Tier: in.pick(fuzzTiers...), Key: in.pick("", "k1")}, 0
	case opAddSite:
		return engine.COM, com.AddSite{Order: in.pick(fuzzOrders...), Site: in.site()}, 0
	case opRemove:
		return engine.COM, com.Remove{Order: in.pick(fuzzOrders...), Site: in.pick(fuzzSites...), Reason: in.pick("", "moved"), Key: in.pick("", "k2")}, 0
	case opRemediate:
		return engine.COM, com.Remediate{Order: in.pick(fuzzOrders...), Wave: in.pick(fuzzWaves...)}, 0
	case opDescribe:
		return engine.COM, com.Describe{Order: in.pick(fuzzOrders...), Description: in.pick("", "new")}, 0
	case opReview:
		return engine.COM, com.Review{Quote: in.pick("QT-001", "QT-002", ""), Stage: in.pick("technical", "commercial", "customer", ""),
			Approved: in.flag(), By: in.pick("", "ann")}, 0
	case opQualify:
		q := com.Qualify{Key: in.pick("", "q1"), Customer: com.Customer{ID: in.pick("CUST-ENT-1102", "")}}
		for range in.byte() % 3 {
			q.Items = append(q.Items, com.QualifyItem{ID: in.pick("1", "2", ""), Offering: in.pick("PO-EFCG-01", "x", ""), Site: in.site()})
		}
		return engine.COM, q, 0
	case opQuote:
		q := com.QuoteRequest{Key: in.pick("", "q"), Customer: com.Customer{ID: in.pick("CUST-ENT-1102", "")}, Offering: in.pick("PO-EFCG-01", "x"),
			Tier: in.pick(fuzzTiers...), Speed: in.pick(fuzzSpeeds...), Term: in.handle(), Monthly: float64(in.handle())}
		for range in.byte() % 3 {
			q.Sites = append(q.Sites, in.site())
		}
		if in.flag() {
			q.Waves = []com.WavePlan{{Name: in.pick(fuzzWaves...), ServiceOrder: in.pick("SO-PILOT", "")}}
		}
		return engine.COM, q, 0
	case opOrder:
		po := &tmf.ProductOrder{ExternalID: in.pick("", "PO-X"), Quote: []tmf.Ref{{ID: in.pick("QT-001", "QT-002", "")}}}
		return engine.COM, com.OrderRequest{Order: po, Key: in.pick("", "o")}, 0
	case opDocs:
		coll := in.pick("cancelServiceOrder", "x", "")
		switch in.byte() % 3 {
		case 0:
			return engine.Docs, docs.Put{Collection: coll, Prefix: in.pick("CSO", ""), Body: []byte(in.pick(`{"a":1}`, "[", "{}")), Key: in.pick("", "d")}, 0
		case 1:
			return engine.Docs, docs.Patch{Collection: coll, ID: in.pick("CSO-001", ""), Body: []byte(in.pick(`{"a":null}`, "x"))}, 0
		}
		return engine.Docs, docs.Delete{Collection: coll, ID: in.pick("CSO-001", "")}, 0
	case opServiceOrderRequest:
		return engine.SOM, som.OrderRequest{Order: in.serviceOrder()}, 0
	case opResourceOrderRequest:
		return engine.ROM, rom.OrderRequest{Order: in.resourceOrder()}, 0
	case opCancelRequest:
		c := &tmf.CancelRequest{OrderID: in.pick(append(fuzzSOs, fuzzROs...)...), ExternalID: in.pick(fuzzSOExts...), Reason: in.pick("", "x")}
		return pickOf(in, []engine.Address{engine.SOM, engine.ROM}), c, 0
	case opDeliverEventToCOM:
		return engine.Peers, in.delivery(engine.COM, in.event()), 0
	case opDeliverEventToSOM:
		return engine.Peers, in.delivery(engine.SOM, in.event()), 0
	case opPeerServiceOrder:
		so := in.serviceOrder()
		return engine.Peers, in.delivery(engine.SOM, &so), 0
	case opPeerResourceOrder:
		ro := in.resourceOrder()
		return engine.Peers, in.delivery(engine.ROM, &ro), 0
	case opDeliverCancel:
		c := &tmf.CancelRequest{OrderID: in.pick(append(fuzzSOs, fuzzROs...)...), ExternalID: in.pick(append(fuzzSOExts, fuzzROExts...)...),
			Items: []string{in.pick(append(fuzzSOIs, fuzzROIs...)...)}[:in.byte()%2]}
		return engine.Peers, in.delivery(pickOf(in, []engine.Address{engine.SOM, engine.ROM, engine.COM, engine.Docs}), c), 0
	case opResultToCOM:
		return engine.COM, in.result(), 0
	case opResultToROM:
		return engine.ROM, in.result(), 0
	case opAct:
		a := operator.Action{Key: in.pick("", "a1", "a2"), Kind: in.pick(append(operator.Kinds, "")...), By: in.pick("olivia", ""),
			Item: in.pick(append(fuzzROIs, "TASK-001", "PO-2024-01203/Pilot", "PO-2024-01203/Wave 1", "JEO-C001", "JEO-R001")...),
			Note: in.pick("", "done by hand"), Assignee: in.pick("", "pat")}
		if in.flag() {
			a.Characteristics = tmf.Characteristics{{Name: in.pick("olt", "ports", "vlan"), Value: in.pick("OLT-SOUTH-03", "16", "x")}}
		}
		return pickOf(in, []engine.Address{engine.COM, engine.ROM}), a, 0
	}
	return pickOf(in, []engine.Address{engine.COM, engine.SOM, engine.ROM, engine.Peers, engine.Docs, engine.Env}), in.byte(), 0
}
