package lifecycle_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/lifecycle"
)

// rule is one transition written out by hand, with the rule it follows.
type rule struct {
	src, event, dst string
	why             string
}

// tmfOrderRules is the TMF v4 order lifecycle (TMF622 ProductOrder, TMF641
// ServiceOrder, TMF652 ResourceOrder), written out by hand rather than read
// from tables.go, so that an accidental edit of the declared table fails
// here. Reference: TMF622/TMF641 v4 order state machine; docs/architecture.md §3.
var tmfOrderRules = []rule{
	{"acknowledged", "start", "inProgress", "acknowledged → inProgress: the order is validated and work begins"},
	{"pending", "start", "inProgress", "pending → inProgress: what the order waited for has arrived"},
	{"acknowledged", "wait", "pending", "acknowledged → pending: accepted but waiting for something expected"},
	{"inProgress", "wait", "pending", "inProgress → pending: waiting for something expected"},
	{"acknowledged", "hold", "held", "held: blocked by capacity, a gate or manual action"},
	{"inProgress", "hold", "held", "held: e.g. POI-005 held on OLT capacity exhaustion (worked example what-if)"},
	{"pending", "hold", "held", "held: a pending order may be blocked too"},
	{"held", "resume", "inProgress", "held → inProgress once the blocker is cleared"},
	{"pending", "resume", "inProgress", "pending → inProgress once the awaited thing is there"},
	{"acknowledged", "reject", "rejected", "rejected only from acknowledged: validation refuses the order"},
	{"inProgress", "complete", "completed", "completed only from inProgress: all items done"},
	{"acknowledged", "fail", "failed", "failed: the order cannot be done"},
	{"inProgress", "fail", "failed", "failed: the order cannot be done"},
	{"held", "fail", "failed", "failed: the order cannot be done"},
	{"pending", "fail", "failed", "failed: the order cannot be done"},
	{"acknowledged", "cancel", "assessingCancellation", "cancellation goes through assessingCancellation"},
	{"inProgress", "cancel", "assessingCancellation", "cancellation goes through assessingCancellation"},
	{"held", "cancel", "assessingCancellation", "cancellation goes through assessingCancellation"},
	{"pending", "cancel", "assessingCancellation", "cancellation goes through assessingCancellation"},
	{"assessingCancellation", "acceptCancel", "pendingCancellation", "then pendingCancellation while compensating"},
	{"assessingCancellation", "refuseCancel", "inProgress", "a refused cancellation goes back to work"},
	{"pendingCancellation", "confirmCancel", "cancelled", "cancelled only after pendingCancellation"},
}

// tmfPartialRules are the transitions to partial, for the kinds whose TMF v4
// state enum has partial: "partial is final" (docs/architecture.md §3) and is reached
// with some items failed or cancelled.
var tmfPartialRules = []rule{
	{"inProgress", "partComplete", "partial", "partial: finished with some items failed or cancelled"},
	{"held", "partComplete", "partial", "partial: a held item (POI-005) is given up, the rest completed"},
}

// expectedRules is every lifecycle, written out by hand.
var expectedRules = map[lifecycle.Kind][]rule{
	// TMF622 v4 ProductOrderStateType has partial.
	lifecycle.ProductOrder: concat(tmfOrderRules, tmfPartialRules),
	// TMF622 v4 ProductOrderItemStateType has no partial.
	lifecycle.ProductOrderItem: tmfOrderRules,
	// TMF641 v4 ServiceOrderStateType has partial.
	lifecycle.ServiceOrder: concat(tmfOrderRules, tmfPartialRules),
	// TMF641 v4 ServiceOrderItemStateType has partial too.
	lifecycle.ServiceOrderItem: concat(tmfOrderRules, tmfPartialRules),
	// TMF652 v4 leaves the state a string; ordertwin follows TMF641.
	lifecycle.ResourceOrder:     concat(tmfOrderRules, tmfPartialRules),
	lifecycle.ResourceOrderItem: tmfOrderRules,

	// Quote with TMF648 state names; worked example Step 1 "Enterprise
	// Approval Workflow": submitted, approved, accepted by the customer.
	lifecycle.Quote: {
		{"inProgress", "submit", "pending", "the AM submits the quote for internal approval"},
		{"pending", "approve", "approved", "technical and commercial review approve"},
		{"approved", "accept", "accepted", "customer sign-off"},
		{"pending", "reject", "rejected", "internal review refuses"},
		{"approved", "reject", "rejected", "customer refuses"},
		{"inProgress", "cancel", "cancelled", "withdrawn while prepared"},
		{"pending", "cancel", "cancelled", "withdrawn under review"},
		{"approved", "cancel", "cancelled", "withdrawn before sign-off"},
	},
	// One approval stage (technical, commercial, customer sign-off).
	lifecycle.Approval: {
		{"pending", "approve", "approved", "the stage approves"},
		{"pending", "reject", "rejected", "the stage refuses"},
		{"pending", "cancel", "cancelled", "the quote is withdrawn"},
	},
	// A rollout wave: worked example "Wave 1 and Wave 2 are held in
	// 'scheduled' state pending pilot completion".
	lifecycle.Wave: {
		{"scheduled", "release", "released", "the gate passes: its service order goes to SOM"},
		{"held", "release", "released", "a held wave is released when unblocked"},
		{"released", "start", "inProgress", "SOM starts work"},
		{"scheduled", "hold", "held", "blocked before release"},
		{"inProgress", "hold", "held", "blocked while worked"},
		{"released", "complete", "completed", "done"},
		{"inProgress", "complete", "completed", "done"},
		{"held", "complete", "completed", "held on its SLA check, it validates after remediation"},
		{"inProgress", "partComplete", "partial", "Brisbane what-if: 1 of 2 sites done, the other moves to Wave 3"},
		{"held", "partComplete", "partial", "given up with some sites done"},
		{"released", "fail", "failed", "cannot be done"},
		{"inProgress", "fail", "failed", "cannot be done"},
		{"held", "fail", "failed", "cannot be done"},
		{"scheduled", "cancel", "cancelled", "withdrawn"},
		{"released", "cancel", "cancelled", "withdrawn"},
		{"inProgress", "cancel", "cancelled", "withdrawn"},
		{"held", "cancel", "cancelled", "withdrawn"},
	},
	// A CPE shipment: worked example ROI-006 "pre-stages a Cisco ISR 4431
	// … shipped … boots against the ZTP server".
	lifecycle.Shipment: {
		{"pending", "stage", "staged", "CPE picked and configured"},
		{"staged", "ship", "inTransit", "handed to the courier (timeline T+3 days: in transit)"},
		{"inTransit", "deliver", "delivered", "at the site"},
		{"delivered", "install", "installed", "ZTP completes (T+5 days)"},
		{"inTransit", "lose", "lost", "lost in transit"},
		{"delivered", "damage", "damaged", "arrived damaged"},
		{"pending", "cancel", "cancelled", "withdrawn before shipping"},
		{"staged", "cancel", "cancelled", "withdrawn before shipping"},
	},
	lifecycle.Task: {
		{"requested", "fulfil", "fulfilled", "network planning added the capacity (what-if: SO-WAVE3)"},
		{"requested", "cancel", "cancelled", "no longer needed"},
	},
	// TMF679 v4 TaskStateType; worked example Step 1 "Per-Site Feasibility
	// Check": CPQ calls the address qualification API for each site.
	lifecycle.Qualification: {
		{"acknowledged", "start", "inProgress", "the sites go to address qualification"},
		{"inProgress", "complete", "done", "every site answered, qualified or not"},
		{"acknowledged", "fail", "terminatedWithError", "could not be asked"},
		{"inProgress", "fail", "terminatedWithError", "address qualification failed"},
	},
}

// finals are the states that accept no event.
var finals = map[lifecycle.Kind][]string{
	lifecycle.ProductOrder:      {"completed", "failed", "partial", "cancelled", "rejected"},
	lifecycle.ProductOrderItem:  {"completed", "failed", "cancelled", "rejected"},
	lifecycle.ServiceOrder:      {"completed", "failed", "partial", "cancelled", "rejected"},
	lifecycle.ServiceOrderItem:  {"completed", "failed", "partial", "cancelled", "rejected"},
	lifecycle.ResourceOrder:     {"completed", "failed", "partial", "cancelled", "rejected"},
	lifecycle.ResourceOrderItem: {"completed", "failed", "cancelled", "rejected"},
	lifecycle.Quote:             {"accepted", "rejected", "cancelled"},
	lifecycle.Approval:          {"approved", "rejected", "cancelled"},
	lifecycle.Wave:              {"completed", "partial", "failed", "cancelled"},
	lifecycle.Shipment:          {"installed", "lost", "damaged", "cancelled"},
	lifecycle.Task:              {"fulfilled", "cancelled"},
	lifecycle.Qualification:     {"done", "terminatedWithError"},
}

// tmfEnums are the TMF v4 state enums, copied from the swagger files in
// tmf/ (TMF622 v4.0.0, TMF641 v4.0.0). TMF652 v4.0.0 has no enum for the
// resource order state; ordertwin uses TMF641's.
var (
	tmfOrderEnum = []string{"acknowledged", "rejected", "pending", "held", "inProgress", "cancelled",
		"completed", "failed", "partial", "assessingCancellation", "pendingCancellation"}
	tmfItemEnumNoPartial = []string{"acknowledged", "rejected", "pending", "held", "inProgress", "cancelled",
		"completed", "failed", "assessingCancellation", "pendingCancellation"}
	tmfEnums = map[lifecycle.Kind][]string{
		lifecycle.ProductOrder:      tmfOrderEnum,         // TMF622 ProductOrderStateType
		lifecycle.ProductOrderItem:  tmfItemEnumNoPartial, // TMF622 ProductOrderItemStateType
		lifecycle.ServiceOrder:      tmfOrderEnum,         // TMF641 ServiceOrderStateType
		lifecycle.ServiceOrderItem:  tmfOrderEnum,         // TMF641 ServiceOrderItemStateType
		lifecycle.ResourceOrder:     tmfOrderEnum,         // TMF652: follows TMF641
		lifecycle.ResourceOrderItem: tmfItemEnumNoPartial, // TMF652: leaf item, no partial
		// TMF679 TaskStateType
		lifecycle.Qualification: {"acknowledged", "terminatedWithError", "inProgress", "done"},
	}
)

// events is the whole event vocabulary, plus words no lifecycle declares.
var events = []string{
	lifecycle.Start, lifecycle.Hold, lifecycle.Resume, lifecycle.Wait, lifecycle.Complete, lifecycle.Fail,
	lifecycle.PartComplete, lifecycle.Reject, lifecycle.Cancel, lifecycle.AcceptCancel, lifecycle.RefuseCancel,
	lifecycle.ConfirmCancel, lifecycle.Submit, lifecycle.Approve, lifecycle.Accept, lifecycle.Schedule,
	lifecycle.Release, lifecycle.Stage, lifecycle.Ship, lifecycle.Deliver, lifecycle.Install, lifecycle.Lose,
	lifecycle.Damage,
	"amend", "", "Start",
}

func concat(parts ...[]rule) []rule {
	var out []rule
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func edgesOf(rules []rule) []lifecycle.Edge {
	out := make([]lifecycle.Edge, len(rules))
	for i, r := range rules {
		out[i] = lifecycle.Edge{Src: r.src, Event: r.event, Dst: r.dst}
	}
	return out
}

// declared tells whether k declares event in state.
func declared(k lifecycle.Kind, state, event string) (string, bool) {
	for _, e := range lifecycle.Edges(k) {
		if e.Src == state && e.Event == event {
			return e.Dst, true
		}
	}
	return "", false
}

func TestKindsAreAllDeclared(t *testing.T) {
	kinds := lifecycle.Kinds()
	assert.Equal(t, []lifecycle.Kind{
		lifecycle.ProductOrder, lifecycle.ProductOrderItem, lifecycle.ServiceOrder, lifecycle.ServiceOrderItem,
		lifecycle.ResourceOrder, lifecycle.ResourceOrderItem, lifecycle.Quote, lifecycle.Approval,
		lifecycle.Wave, lifecycle.Shipment, lifecycle.Task, lifecycle.Qualification,
	}, kinds, "stable order")
	assert.Len(t, expectedRules, len(kinds), "every kind has a hand-written table here")
	for _, k := range kinds {
		assert.NotEmpty(t, lifecycle.Edges(k), "%s declares no transition", k)
		assert.NotEmpty(t, lifecycle.Initial(k), "%s has no initial state", k)
		_, ok := expectedRules[k]
		assert.True(t, ok, "%s has no hand-written table in this test", k)
	}
}

// TestDeclaredTablesMatchRules checks tables.go against the rules written
// out above, both ways: nothing missing, nothing extra.
func TestDeclaredTablesMatchRules(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			assert.ElementsMatch(t, edgesOf(expectedRules[k]), lifecycle.Edges(k))
		})
	}
}

// TestRulesFire fires every hand-written rule through a Set.
func TestRulesFire(t *testing.T) {
	s := lifecycle.NewSet()
	for _, k := range lifecycle.Kinds() {
		for _, r := range expectedRules[k] {
			t.Run(string(k)+"/"+r.src+"/"+r.event, func(t *testing.T) {
				got, err := s.Fire(k, "E-1", r.src, r.event)
				require.NoError(t, err, r.why)
				assert.Equal(t, r.dst, got, r.why)
			})
		}
	}
}

// TestEveryDeclaredEdgeFires is the same check driven by Edges: whatever
// the table declares, Fire does.
func TestEveryDeclaredEdgeFires(t *testing.T) {
	s := lifecycle.NewSet()
	for _, k := range lifecycle.Kinds() {
		for _, e := range lifecycle.Edges(k) {
			got, err := s.Fire(k, "E-1", e.Src, e.Event)
			if assert.NoError(t, err, "%s %s --%s-->", k, e.Src, e.Event) {
				assert.Equal(t, e.Dst, got, "%s %s --%s-->", k, e.Src, e.Event)
			}
		}
	}
}

// TestEdgesAreDeterministic: one destination per (state, event) — looplab
// silently keeps the last of two declarations — and sorted output.
func TestEdgesAreDeterministic(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		edges := lifecycle.Edges(k)
		seen := map[[2]string]string{}
		for _, e := range edges {
			key := [2]string{e.Src, e.Event}
			if prev, dup := seen[key]; dup {
				t.Errorf("%s: %s --%s--> declared twice (%s and %s)", k, e.Src, e.Event, prev, e.Dst)
			}
			seen[key] = e.Dst
		}
		assert.True(t, sort.SliceIsSorted(edges, func(i, j int) bool {
			if edges[i].Src != edges[j].Src {
				return edges[i].Src < edges[j].Src
			}
			return edges[i].Event < edges[j].Event
		}), "%s: Edges not sorted", k)
		states := lifecycle.States(k)
		assert.True(t, sort.StringsAreSorted(states), "%s: States not sorted", k)
		assert.Contains(t, states, lifecycle.Initial(k), k)
		assert.Equal(t, edges, lifecycle.Edges(k), "%s: Edges differs between calls", k)
	}
}

// TestTMFStateNames: TMF kinds use exactly the TMF v4 enum, nothing bolted
// on (docs/architecture.md §3: "approved", "scheduled", "in transit" are not TMF states).
func TestTMFStateNames(t *testing.T) {
	for k, enum := range tmfEnums {
		t.Run(string(k), func(t *testing.T) {
			assert.ElementsMatch(t, enum, lifecycle.States(k))
			assert.Equal(t, "acknowledged", lifecycle.Initial(k), "TMF orders start acknowledged")
			for _, foreign := range []string{"approved", "scheduled", "inTransit", "released", "accepted"} {
				assert.NotContains(t, lifecycle.States(k), foreign)
			}
		})
	}
}

// TestOwnLifecyclesCarryWorkedExampleStates: the worked example's non-TMF
// states live in ordertwin's own lifecycles (docs/architecture.md §3).
func TestOwnLifecyclesCarryWorkedExampleStates(t *testing.T) {
	assert.Contains(t, lifecycle.States(lifecycle.Approval), lifecycle.Approved, "T+1 hr: approval completes")
	assert.Contains(t, lifecycle.States(lifecycle.Quote), lifecycle.Approved)
	assert.Contains(t, lifecycle.States(lifecycle.Wave), lifecycle.Scheduled, "waves held in scheduled")
	assert.Contains(t, lifecycle.States(lifecycle.Shipment), lifecycle.InTransit, "ROI-006: in transit")
}

func TestInitial(t *testing.T) {
	want := map[lifecycle.Kind]string{
		lifecycle.ProductOrder:      "acknowledged",
		lifecycle.ProductOrderItem:  "acknowledged",
		lifecycle.ServiceOrder:      "acknowledged",
		lifecycle.ServiceOrderItem:  "acknowledged",
		lifecycle.ResourceOrder:     "acknowledged",
		lifecycle.ResourceOrderItem: "acknowledged",
		lifecycle.Quote:             "inProgress",
		lifecycle.Approval:          "pending",
		lifecycle.Wave:              "scheduled",
		lifecycle.Shipment:          "pending",
		lifecycle.Task:              "requested",
		lifecycle.Qualification:     "acknowledged",
	}
	for _, k := range lifecycle.Kinds() {
		assert.Equal(t, want[k], lifecycle.Initial(k), k)
	}
}

// TestFinalStatesAcceptNoEvent: completed, failed, partial, cancelled and
// rejected are final for the TMF kinds ("partial is final", docs/architecture.md §3),
// and the own lifecycles' end states are final too.
func TestFinalStatesAcceptNoEvent(t *testing.T) {
	s := lifecycle.NewSet()
	for _, k := range lifecycle.Kinds() {
		fin := finals[k]
		require.NotEmpty(t, fin, "%s: no final states listed", k)
		for _, e := range lifecycle.Edges(k) {
			assert.NotContains(t, fin, e.Src, "%s: final state %s has event %s", k, e.Src, e.Event)
		}
		// And exactly these: every other state has a way out.
		for _, st := range lifecycle.States(k) {
			hasOut := slices.ContainsFunc(lifecycle.Edges(k), func(e lifecycle.Edge) bool { return e.Src == st })
			assert.Equal(t, !slices.Contains(fin, st), hasOut, "%s: state %s", k, st)
		}
		for _, st := range fin {
			require.Contains(t, lifecycle.States(k), st, "%s: final state %s is not a state", k, st)
			for _, ev := range events {
				got, err := s.Fire(k, "E-FINAL", st, ev)
				assert.ErrorIs(t, err, lifecycle.ErrIllegal, "%s %s accepted %q", k, st, ev)
				assert.Equal(t, st, got)
			}
		}
	}
}

// TestEveryStateIsReachableAndCanFinish: from the initial state every state
// is reachable, and from every state some final state is — no orphan
// states, no dead ends.
func TestEveryStateIsReachableAndCanFinish(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		edges := lifecycle.Edges(k)
		reach := func(from string) map[string]bool {
			seen := map[string]bool{from: true}
			for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
				for _, e := range edges {
					if e.Src == queue[0] && !seen[e.Dst] {
						seen[e.Dst] = true
						queue = append(queue, e.Dst)
					}
				}
			}
			return seen
		}
		fromInitial := reach(lifecycle.Initial(k))
		for _, st := range lifecycle.States(k) {
			assert.True(t, fromInitial[st], "%s: %s unreachable from %s", k, st, lifecycle.Initial(k))
			toFinal := reach(st)
			assert.True(t, slices.ContainsFunc(finals[k], func(f string) bool { return toFinal[f] }),
				"%s: no final state reachable from %s", k, st)
		}
	}
}

// IsFinal agrees with the TMF rule that completed, failed, partial,
// cancelled and rejected end an order (docs/architecture.md §3), and no other state.
func TestIsFinal(t *testing.T) {
	for _, st := range lifecycle.States(lifecycle.ProductOrder) {
		final := slices.Contains([]string{lifecycle.Completed, lifecycle.Failed, lifecycle.Partial, lifecycle.Cancelled, lifecycle.Rejected}, st)
		assert.Equal(t, final, lifecycle.IsFinal(lifecycle.ProductOrder, st), st)
	}
	assert.False(t, lifecycle.IsFinal(lifecycle.ProductOrder, ""), "not a state")
	assert.False(t, lifecycle.IsFinal(lifecycle.ProductOrder, "done"), "not a state")
}
