package lifecycle_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/lifecycle"
)

// TestFireUndeclaredIsIllegal: every (state, event) pair the table does not
// declare is refused with an *IllegalError naming the entity, the state and
// the event, and the state is unchanged — never a silent no-op (docs/architecture.md §3).
func TestFireUndeclaredIsIllegal(t *testing.T) {
	s := lifecycle.NewSet()
	for _, k := range lifecycle.Kinds() {
		for _, st := range lifecycle.States(k) {
			for _, ev := range events {
				if _, ok := declared(k, st, ev); ok {
					continue
				}
				entity := "ENT-" + string(k) + "-" + st
				got, err := s.Fire(k, entity, st, ev)
				require.Error(t, err, "%s %s accepted %q", k, st, ev)
				assert.Equal(t, st, got, "%s %s: state changed by refused %q", k, st, ev)
				assertIllegal(t, err, k, entity, st, ev)
			}
		}
	}
}

// TestFireUnknownStateIsIllegal: a state the lifecycle does not have (a
// worked-example word bolted onto a TMF order, a typo, empty) refuses
// every event.
func TestFireUnknownStateIsIllegal(t *testing.T) {
	s := lifecycle.NewSet()
	for _, st := range []string{"approved", "scheduled", "InProgress", ""} {
		for _, ev := range events {
			got, err := s.Fire(lifecycle.ServiceOrder, "SO-PILOT", st, ev)
			assert.Equal(t, st, got)
			assertIllegal(t, err, lifecycle.ServiceOrder, "SO-PILOT", st, ev)
		}
	}
}

func assertIllegal(t *testing.T, err error, k lifecycle.Kind, entity, state, event string) {
	t.Helper()
	if !assert.ErrorIs(t, err, lifecycle.ErrIllegal) {
		return
	}
	var ill *lifecycle.IllegalError
	require.True(t, errors.As(err, &ill), "%T is not an *IllegalError", err)
	assert.Equal(t, lifecycle.IllegalError{Kind: k, Entity: entity, State: state, Event: event}, *ill)
	msg := err.Error()
	assert.Contains(t, msg, entity)
	assert.Contains(t, msg, `state "`+state+`"`)
	assert.Contains(t, msg, `event "`+event+`"`)
	assert.Contains(t, msg, string(k))
}

func TestIllegalErrorMessage(t *testing.T) {
	_, err := lifecycle.NewSet().Fire(lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Acknowledged, lifecycle.Complete)
	require.Error(t, err)
	assert.EqualError(t, err, `serviceOrder SO-PILOT: event "complete" is not allowed in state "acknowledged"`)
	assert.NotErrorIs(t, errors.New("other"), lifecycle.ErrIllegal)
}

func TestFireUnknownKind(t *testing.T) {
	got, err := lifecycle.NewSet().Fire("trouble", "TT-1", lifecycle.Acknowledged, lifecycle.Start)
	require.Error(t, err)
	assert.Equal(t, lifecycle.Acknowledged, got)
	assert.NotErrorIs(t, err, lifecycle.ErrIllegal, "an unknown lifecycle is a programming error, not a refused transition")
	assert.Contains(t, err.Error(), `"trouble"`)
}

// TestFireMatchesMachine checks the compiled lookup against the looplab
// machine, pair by pair (docs/architecture.md §3: "keep the looplab machine as the
// reference that a test checks the lookup against"): every kind, every
// state plus states the kind does not have, every event plus unknown ones.
func TestFireMatchesMachine(t *testing.T) {
	s := lifecycle.NewSet()
	pairs := 0
	for _, k := range lifecycle.Kinds() {
		states := append(lifecycle.States(k), "approved", "inTransit", "", "Completed")
		for _, st := range states {
			for _, ev := range events {
				got, err := s.Fire(k, "E-1", st, ev)
				want, wantErr := s.FireMachine(k, "E-1", st, ev)
				assert.Equal(t, want, got, "%s %s --%s-->", k, st, ev)
				assert.Equal(t, wantErr, err, "%s %s --%s-->", k, st, ev)
				pairs++
			}
		}
	}
	assert.Greater(t, pairs, 2000)

	// Unknown lifecycle: both refuse, neither as an illegal transition.
	_, err := s.Fire("trouble", "TT-1", lifecycle.Acknowledged, lifecycle.Start)
	require.Error(t, err)
	_, refErr := s.FireMachine("trouble", "TT-1", lifecycle.Acknowledged, lifecycle.Start)
	require.Error(t, refErr)
	assert.Equal(t, refErr.Error(), err.Error())
}

// TestFireMachineIsReusable: the looplab machine of a kind serves many
// entities in turn (flyweight: SetState, then Event) and is not wedged by a
// refused event (docs/architecture.md §3).
func TestFireMachineIsReusable(t *testing.T) {
	s := lifecycle.NewSet()
	for _, st := range []step{
		{lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ServiceOrder, "SO-WAVE1", lifecycle.Hold, lifecycle.Held},
		{lifecycle.ServiceOrder, "SO-WAVE2", lifecycle.Cancel, lifecycle.AssessingCancellation},
	} {
		got, err := s.FireMachine(st.kind, st.entity, lifecycle.Acknowledged, st.event)
		require.NoError(t, err)
		assert.Equal(t, st.want, got, st.entity)
	}
	got, err := s.FireMachine(lifecycle.ServiceOrder, "SO-PILOT", lifecycle.InProgress, lifecycle.Reject)
	assertIllegal(t, err, lifecycle.ServiceOrder, "SO-PILOT", lifecycle.InProgress, lifecycle.Reject)
	assert.Equal(t, lifecycle.InProgress, got)
	got, err = s.FireMachine(lifecycle.ServiceOrder, "SO-WAVE1", lifecycle.Held, lifecycle.Resume)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.InProgress, got)
	got, err = s.FireMachine(lifecycle.ServiceOrder, "SO-PILOT", lifecycle.InProgress, lifecycle.Complete)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Completed, got)
}

// step is one input of a scripted run: fire event at entity, expect want.
type step struct {
	kind   lifecycle.Kind
	entity string
	event  string
	want   string
}

// TestFireWorkedExampleTimeline runs the pilot timeline of the worked
// example (seed "Order Timeline (Pilot Phase)", and the Brisbane what-if)
// through one Set, every entity interleaved with the others: the flyweight
// machine holds no state of its own between calls.
func TestFireWorkedExampleTimeline(t *testing.T) {
	s := lifecycle.NewSet()
	states := map[string]string{}
	script := []step{
		// Step 1: quote and the three-stage approval workflow.
		{lifecycle.Quote, "Q-1102", lifecycle.Submit, lifecycle.Pending},
		{lifecycle.Approval, "APR-TECH", lifecycle.Approve, lifecycle.Approved},
		{lifecycle.Approval, "APR-COMM", lifecycle.Approve, lifecycle.Approved},
		{lifecycle.Quote, "Q-1102", lifecycle.Approve, lifecycle.Approved},
		{lifecycle.Approval, "APR-CUST", lifecycle.Approve, lifecycle.Approved},
		{lifecycle.Quote, "Q-1102", lifecycle.Accept, lifecycle.Accepted},
		// T+2 hr: COM decomposes. PO inProgress, SO-PILOT acknowledged.
		{lifecycle.ProductOrder, "PO-2024-01203", lifecycle.Start, lifecycle.InProgress},
		// T+3 hr: SO-PILOT inProgress; waves held in scheduled.
		{lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ServiceOrderItem, "SOI-001", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ServiceOrderItem, "SOI-002", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ServiceOrderItem, "SOI-003", lifecycle.Start, lifecycle.InProgress},
		// T+4 hr: RO inProgress.
		{lifecycle.ResourceOrder, "RO-PILOT", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ResourceOrderItem, "ROI-001", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ResourceOrderItem, "ROI-006", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.Shipment, "SHP-FDO2340567", lifecycle.Stage, lifecycle.Staged},
		{lifecycle.ResourceOrderItem, "ROI-002", lifecycle.Start, lifecycle.InProgress},
		// T+5 hr: ROI-001 completed; T+6 hr: ROI-002/003.
		{lifecycle.ResourceOrderItem, "ROI-001", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ResourceOrderItem, "ROI-003", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ResourceOrderItem, "ROI-002", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ResourceOrderItem, "ROI-004", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ResourceOrderItem, "ROI-003", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ServiceOrderItem, "SOI-001", lifecycle.Complete, lifecycle.Completed},
		// T+7 hr: ROI-004; ROI-005 waits for the CE router to be reachable.
		{lifecycle.ResourceOrderItem, "ROI-004", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ResourceOrderItem, "ROI-005", lifecycle.Wait, lifecycle.Pending},
		// T+3 days: CE router in transit.
		{lifecycle.Shipment, "SHP-FDO2340567", lifecycle.Ship, lifecycle.InTransit},
		{lifecycle.Shipment, "SHP-FDO2340567", lifecycle.Deliver, lifecycle.Delivered},
		// T+5 days: ZTP, SLA monitoring, pilot complete.
		{lifecycle.Shipment, "SHP-FDO2340567", lifecycle.Install, lifecycle.Installed},
		{lifecycle.ResourceOrderItem, "ROI-006", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ServiceOrderItem, "SOI-003", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ResourceOrderItem, "ROI-005", lifecycle.Resume, lifecycle.InProgress},
		{lifecycle.ResourceOrderItem, "ROI-005", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ServiceOrderItem, "SOI-002", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ResourceOrder, "RO-PILOT", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Complete, lifecycle.Completed},
		// The pilot gate passes: Wave 1 released, SO-WAVE1 acknowledged.
		{lifecycle.Wave, "WAVE-1", lifecycle.Release, lifecycle.Released},
		{lifecycle.Wave, "WAVE-1", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ServiceOrder, "SO-WAVE1", lifecycle.Start, lifecycle.InProgress},
		// T+20 days: Wave 1 complete; Wave 2 goes.
		{lifecycle.ServiceOrder, "SO-WAVE1", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.Wave, "WAVE-1", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.Wave, "WAVE-2", lifecycle.Release, lifecycle.Released},
		{lifecycle.Wave, "WAVE-2", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ProductOrderItem, "POI-004", lifecycle.Start, lifecycle.InProgress},
		{lifecycle.ProductOrderItem, "POI-005", lifecycle.Start, lifecycle.InProgress},
		// What-if: POI-005 held on OLT exhaustion, the rest proceeds.
		{lifecycle.ProductOrderItem, "POI-005", lifecycle.Hold, lifecycle.Held},
		{lifecycle.ProductOrderItem, "POI-004", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.Wave, "WAVE-2", lifecycle.PartComplete, lifecycle.Partial},
		{lifecycle.Wave, "WAVE-3", lifecycle.Hold, lifecycle.Held},
		{lifecycle.ProductOrderItem, "POI-005", lifecycle.Resume, lifecycle.InProgress},
		{lifecycle.Wave, "WAVE-3", lifecycle.Release, lifecycle.Released},
		{lifecycle.ProductOrderItem, "POI-005", lifecycle.Complete, lifecycle.Completed},
		{lifecycle.ProductOrder, "PO-2024-01203", lifecycle.Complete, lifecycle.Completed},
	}
	for i, st := range script {
		from, ok := states[st.entity]
		if !ok {
			from = lifecycle.Initial(st.kind)
		}
		got, err := s.Fire(st.kind, st.entity, from, st.event)
		require.NoError(t, err, "step %d: %s %s %s", i, st.entity, from, st.event)
		require.Equal(t, st.want, got, "step %d: %s %s --%s-->", i, st.entity, from, st.event)
		states[st.entity] = got
	}
	assert.Equal(t, lifecycle.Completed, states["PO-2024-01203"])
	assert.Equal(t, lifecycle.Partial, states["WAVE-2"])
	assert.Equal(t, lifecycle.Accepted, states["Q-1102"])
}

// TestSetIsAFlyweightModel drives many entities of every kind with random
// events through one Set, interleaved, through both the compiled lookup
// (Fire) and the shared looplab machine (FireMachine), and checks every
// result against the declared table: what the last call left in a machine
// never leaks into the next entity. Deterministic: seeded PCG.
func TestSetIsAFlyweightModel(t *testing.T) {
	type entity struct {
		id    string
		kind  lifecycle.Kind
		state string
	}
	var ents []*entity
	for _, k := range lifecycle.Kinds() {
		for i := range 5 {
			ents = append(ents, &entity{id: string(k) + "-" + string(rune('A'+i)), kind: k, state: lifecycle.Initial(k)})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	s := lifecycle.NewSet()
	var legal, illegal int
	for range 10000 {
		e := ents[rng.IntN(len(ents))]
		ev := events[rng.IntN(len(events))]
		if rng.IntN(3) > 0 {
			// Bias towards declared events, so entities walk deep.
			var out []lifecycle.Edge
			for _, d := range lifecycle.Edges(e.kind) {
				if d.Src == e.state {
					out = append(out, d)
				}
			}
			if len(out) == 0 { // final: start the entity over
				e.state = lifecycle.Initial(e.kind)
				continue
			}
			ev = out[rng.IntN(len(out))].Event
		}
		want, ok := declared(e.kind, e.state, ev)
		got, err := s.Fire(e.kind, e.id, e.state, ev)
		ref, refErr := s.FireMachine(e.kind, e.id, e.state, ev)
		require.Equal(t, ref, got, "lookup and machine disagree: %s %s --%s-->", e.id, e.state, ev)
		require.Equal(t, refErr, err, "lookup and machine disagree: %s %s --%s-->", e.id, e.state, ev)
		if ok {
			legal++
			require.NoError(t, err)
			require.Equal(t, want, got, "%s %s --%s-->", e.id, e.state, ev)
		} else {
			illegal++
			require.ErrorIs(t, err, lifecycle.ErrIllegal, "%s %s --%s-->", e.id, e.state, ev)
			require.Equal(t, e.state, got)
		}
		e.state = got
	}
	assert.Greater(t, legal, 1000)
	assert.Greater(t, illegal, 1000)
}

// TestSetsAreIndependent: parallel runs each build their own Set.
func TestSetsAreIndependent(t *testing.T) {
	a, b := lifecycle.NewSet(), lifecycle.NewSet()
	got, err := a.Fire(lifecycle.ServiceOrder, "SO-A", lifecycle.Acknowledged, lifecycle.Start)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.InProgress, got)
	got, err = b.Fire(lifecycle.ServiceOrder, "SO-B", lifecycle.Acknowledged, lifecycle.Reject)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Rejected, got)
	// A refused event does not wedge the machine for the next entity.
	_, err = a.Fire(lifecycle.ServiceOrder, "SO-A", lifecycle.Completed, lifecycle.Start)
	require.ErrorIs(t, err, lifecycle.ErrIllegal)
	got, err = a.Fire(lifecycle.ServiceOrder, "SO-C", lifecycle.InProgress, lifecycle.Complete)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Completed, got)
}

// TestMermaid: the diagram of every kind names every state, starts at the
// initial one and draws exactly the declared edges.
func TestMermaid(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			out, err := lifecycle.Mermaid(k)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			require.NotEmpty(t, lines)
			assert.Equal(t, "stateDiagram-v2", lines[0])
			states := map[string]bool{}
			var edges []lifecycle.Edge
			for _, l := range lines[1:] {
				l = strings.TrimSpace(l)
				if init, ok := strings.CutPrefix(l, "[*] --> "); ok {
					assert.Equal(t, lifecycle.Initial(k), init)
					states[init] = true
					continue
				}
				src, rest, ok1 := strings.Cut(l, " --> ")
				dst, ev, ok2 := strings.Cut(rest, ": ")
				require.True(t, ok1 && ok2, "unexpected line %q", l)
				states[src], states[dst] = true, true
				edges = append(edges, lifecycle.Edge{Src: src, Event: ev, Dst: dst})
			}
			for _, st := range lifecycle.States(k) {
				assert.True(t, states[st], "state %s missing from the diagram", st)
			}
			assert.Len(t, states, len(lifecycle.States(k)))
			assert.ElementsMatch(t, lifecycle.Edges(k), edges)

			again, err := lifecycle.Mermaid(k)
			require.NoError(t, err)
			assert.Equal(t, out, again, "Mermaid must be deterministic")
		})
	}
}

func TestMermaidUnknownKind(t *testing.T) {
	_, err := lifecycle.Mermaid("trouble")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"trouble"`)
	assert.Contains(t, err.Error(), "serviceOrder")
}

func TestParse(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		got, err := lifecycle.Parse(string(k))
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	for _, name := range []string{"ServiceOrder", "trouble", "", " serviceOrder"} {
		_, err := lifecycle.Parse(name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), `unknown lifecycle "`+name+`"`)
		// The known ones, sorted (containerlab's habit).
		assert.Contains(t, err.Error(), "(known: approval, productOfferingQualification, productOrder, productOrderItem, quote, "+
			"resourceOrder, resourceOrderItem, serviceOrder, serviceOrderItem, shipment, task, wave)")
	}
}

// BenchmarkFire is one transition, through the compiled lookup that Fire
// uses and through the flyweight looplab machine (SetState, Event,
// Current) that FireMachine uses (docs/architecture.md §3 measured ~400 ns for a
// looplab transition).
func BenchmarkFire(b *testing.B) {
	for _, bc := range []struct {
		name string
		fire func(*lifecycle.Set, lifecycle.Kind, string, string, string) (string, error)
	}{
		{"lookup", (*lifecycle.Set).Fire},
		{"machine", (*lifecycle.Set).FireMachine},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := lifecycle.NewSet()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.fire(s, lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Acknowledged, lifecycle.Start); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFireIllegal is one refused transition: the error path.
func BenchmarkFireIllegal(b *testing.B) {
	s := lifecycle.NewSet()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Fire(lifecycle.ServiceOrder, "SO-PILOT", lifecycle.Completed, lifecycle.Start); err == nil {
			b.Fatal("completed accepted start")
		}
	}
}
