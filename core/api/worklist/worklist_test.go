package worklist_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
)

// served is a scenario of the library served on the virtual clock without
// its timed events: what it holds only people can resolve, through the
// worklist's actions. Requests are sent with an operations token.
type served struct {
	*apitest.Live
	key ed25519.PrivateKey
	op  []string
}

func serve(t *testing.T, file string) *served {
	t.Helper()
	return serveWith(t, file, scenarios.Options{Timeline: true})
}

// serveWith is serve with the options opt.
func serveWith(t *testing.T, file string, opt scenarios.Options) *served {
	t.Helper()
	sc, err := scenarios.LoadLibrary(file)
	require.NoError(t, err)
	sc.Spec.Events = nil // no remediation, no capacity built: operators act
	sys, err := scenarios.New(sc.Spec, opt)
	require.NoError(t, err)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	guard, err := auth.NewGuard(&auth.Config{DevIssuer: true}, key, nil)
	require.NoError(t, err)
	srv := sys.API()
	srv.Guard = guard
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	s := &served{Live: &apitest.Live{Sys: sys, H: srv.Handler(), Stop: func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}}, key: key}
	t.Cleanup(s.Stop)
	s.op = s.as(t, "olivia", auth.Operations)
	s.Idle(t)
	return s
}

// as is the Authorization header of a token for subject with role.
func (s *served) as(t *testing.T, subject string, role auth.Role) []string {
	tok, err := auth.Mint(s.key, auth.Grant{Subject: subject, Roles: []auth.Role{role}, TTL: time.Hour}, time.Now())
	require.NoError(t, err)
	return []string{"Authorization", "Bearer " + tok}
}

func (s *served) worklist(t *testing.T) []worklist.Item {
	var items []worklist.Item
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ItemPath, nil, &items, s.op...).Code)
	return items
}

func find(items []worklist.Item, id string) *worklist.Item {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
	}
	return nil
}

// act posts an action with an idempotency key and decodes the answer.
func (s *served) act(t *testing.T, key string, body map[string]any, out any, header ...string) int {
	h := append([]string{"Idempotency-Key", key}, header...)
	if len(header) == 0 {
		h = append(h, s.op...)
	}
	return s.Do(t, "POST", worklist.ActionPath, body, out, h...).Code
}

// records are the journal's records of entity.
func (s *served) records(t *testing.T, entity string) []store.Record {
	var rs []store.Record
	require.NoError(t, s.Sys.Engine.Query(context.Background(), func() {
		mem, ok := s.Sys.Journal.(*store.Memory)
		require.True(t, ok)
		for _, r := range mem.Records() {
			if r.Entity == entity || r.Name == entity {
				rs = append(rs, r)
			}
		}
	}))
	return rs
}

func states(rs []store.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.To)
	}
	return out
}

// The Brisbane what-if without its line card: BNE2 stays held and
// TASK-001 waits on the worklist until an operator confirms that the
// capacity was built; then BNE2 is revalidated, gets OLT-BNE-07 LC2 Port
// 1 and goes into SO-WAVE3, and the order completes (seed, what-if:
// "the held site is revalidated and goes into a new wave").
func TestConfirmCapacityResumesBrisbane(t *testing.T) {
	s := serve(t, "brisbane-capacity.yaml")
	items := s.worklist(t)
	task := find(items, "TASK-001")
	require.NotNil(t, task, "TASK-001 on the worklist: %+v", items)
	assert.Equal(t, "capacityHeld", task.Kind)
	assert.Equal(t, "BNE2", task.Site)
	assert.Equal(t, "Wave 2", task.Wave)
	assert.Equal(t, "PO-2024-01203", task.Order.ID)
	assert.Equal(t, "held", task.State)
	assert.Contains(t, task.Reason, "no OLT capacity at serving exchange")
	assert.Equal(t, "PT2H", task.SinceOffset)
	assert.Equal(t, "P45D", task.DeadlineOffset)
	assert.Equal(t, []string{"confirmCapacity", "compensate", "assign", "note"}, task.AllowedAction)
	jeopardy := find(items, "JEO-C001")
	require.NotNil(t, jeopardy, "the held site's jeopardy at its wave's target")
	assert.Equal(t, "POI-005", jeopardy.Entity.ID)
	assert.Equal(t, "BNE2", jeopardy.Site)
	assert.Equal(t, "P45D", jeopardy.SinceOffset)
	assert.Equal(t, []string{"assign", "note"}, jeopardy.AllowedAction)
	assert.Empty(t, s.records(t, "SO-WAVE3"), "no late wave without capacity")

	// A gate action on a planning task is not allowed.
	var e tmf630.Error
	require.Equal(t, http.StatusConflict, s.act(t, "k0", map[string]any{"action": "reopenGate", "worklistItem": map[string]any{"id": "TASK-001"}}, &e))
	assert.Contains(t, e.Message, "reopenGate on TASK-001: not allowed now: POI-005 is held (capacityHeld); it takes confirmCapacity, compensate, assign, note")

	var a worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "k1", map[string]any{"action": "confirmCapacity", "worklistItem": map[string]any{"id": "TASK-001"},
		"note": "line card 2 fitted in OLT-BNE-07"}, &a))
	assert.Equal(t, "olivia", a.Actor)
	assert.Equal(t, "done", a.State)
	s.Idle(t)

	assert.Contains(t, states(s.records(t, "TASK-001")), "fulfilled")
	assert.Contains(t, states(s.records(t, "POI-005")), "inProgress")
	assert.Contains(t, states(s.records(t, "SO-WAVE3")), "completed", "BNE2 goes into SO-WAVE3")
	assert.Equal(t, []string{"confirmCapacity"}, states(s.records(t, "TASK-001"))[1:2], "the action is journalled on its item")
	var po map[string]any
	s.Do(t, "GET", "/tmf-api/productOrderingManagement/v4/productOrder/PO-2024-01203?fields=state", nil, &po, s.op...)
	assert.Equal(t, "completed", po["state"])
	assert.Nil(t, find(s.worklist(t), "TASK-001"), "nothing waits any more")

	// The same action again with its key: the first action, nothing done
	// twice.
	var again worklist.Action
	w := s.Do(t, "POST", worklist.ActionPath, map[string]any{"action": "confirmCapacity", "worklistItem": map[string]any{"id": "TASK-001"},
		"note": "line card 2 fitted in OLT-BNE-07"}, &again, append([]string{"Idempotency-Key", "k1"}, s.op...)...)
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, a, again)
	// Another action with that key is refused, naming the one it took: it
	// was answered with that one, as if it were its own.
	w = s.Do(t, "POST", worklist.ActionPath, map[string]any{"action": "confirmCapacity", "worklistItem": map[string]any{"id": "TASK-001"}},
		&e, append([]string{"Idempotency-Key", "k1"}, s.op...)...)
	require.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "the action's key took "+a.ID+", confirmCapacity on TASK-001 by olivia")
	assert.Equal(t, 1, strings.Count(strings.Join(states(s.records(t, "TASK-001")), " "), "confirmCapacity"), "journalled once")
	// Without the key, the item no longer takes it.
	require.Equal(t, http.StatusNotFound, s.act(t, "k2", map[string]any{"action": "confirmCapacity", "worklistItem": map[string]any{"id": "TASK-001"}}, &e))
	var got worklist.Action
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ActionPath+"/"+a.ID, nil, &got, s.op...).Code)
	assert.Equal(t, a, got)
}

// The pilot's SLA breach without its remediation event: the gate holds,
// Wave 1 waits; an operator reopens it once the path is fixed (the
// fault ends at T+8 days), the pilot's site is measured again and the
// rollout goes on (seed: the pilot gate includes SLA validation).
func TestReopenGateAfterRemediation(t *testing.T) {
	s := serve(t, "pilot-sla-breach.yaml")
	const gate = "PO-2024-01203/Pilot"
	g := find(s.worklist(t), gate)
	require.NotNil(t, g)
	assert.Equal(t, "gateHeld", g.Kind)
	assert.Equal(t, "MELB", g.Site)
	assert.Equal(t, "P5D", g.SinceOffset)
	assert.Equal(t, "SLA validation failed: MELB: latency 18ms over 10ms", g.Reason)
	assert.Equal(t, []string{"reopenGate", "assign", "note"}, g.AllowedAction)
	assert.Empty(t, s.records(t, "SO-WAVE1"), "Wave 1 waits behind the gate")
	// Its href is followed as it is: the id's slash and space escaped.
	assert.Equal(t, worklist.ItemPath+"/PO-2024-01203%2FPilot", g.Href)
	var one worklist.Item
	require.Equal(t, http.StatusOK, s.Do(t, "GET", g.Href, nil, &one, s.op...).Code)
	assert.Equal(t, gate, one.ID)

	var a worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "r1", map[string]any{"action": "reopenGate", "worklistItem": map[string]any{"id": gate},
		"note": "path re-routed via MEL-AGG-2"}, &a))
	s.Idle(t)
	assert.Contains(t, states(s.records(t, gate)), "completed")
	assert.Contains(t, states(s.records(t, "SO-WAVE1")), "completed")
	assert.Contains(t, states(s.records(t, "SO-WAVE2")), "completed")
	var e tmf630.Error
	require.Equal(t, http.StatusNotFound, s.act(t, "r2", map[string]any{"action": "reopenGate", "worklistItem": map[string]any{"id": gate}}, &e))
}

// Bad actions change nothing: a malformed one is a 400 naming the field,
// one on no item a 404, a role that may not act a 403.
func TestActionRefusals(t *testing.T) {
	s := serve(t, "brisbane-capacity.yaml")
	for _, c := range []struct {
		body   string
		status int
		says   string
	}{
		{`{"action": "confirmCapacity"}`, http.StatusBadRequest, "worklistItem: names the item acted on"},
		{`{"action": "bless", "worklistItem": {"id": "TASK-001"}}`, http.StatusBadRequest, `action: "bless" is not an action`},
		{`{"action": "note", "worklistItem": {"id": "TASK-001"}}`, http.StatusBadRequest, "note: a note action says something"},
		{`{"action": "assign", "worklistItem": {"id": "TASK-001"}}`, http.StatusBadRequest, "assignee: an assign action names who"},
		{`{"action": "note", "worklistItem": "TASK-001"}`, http.StatusBadRequest, "worklistItem: want an object"},
		{`{"action": "note", "worklistItem": {"id": "TASK-009"}, "note": "x"}`, http.StatusNotFound, "TASK-009: no such worklist item"},
		{`{"action": "note", "worklistItem": {"id": "TASK-001"}, "note": "x", "actor": 1}`, http.StatusBadRequest,
			`unknown member "actor"; the members are @type, action, assignee, characteristic, note, worklistItem`},
	} {
		var e tmf630.Error
		assert.Equal(t, c.status, s.Do(t, "POST", worklist.ActionPath, c.body, &e, s.op...).Code, c.body)
		assert.Contains(t, e.Message, c.says, c.body)
	}
	var e tmf630.Error
	sales := s.as(t, "sam", auth.ApproverTechnical)
	assert.Equal(t, http.StatusForbidden, s.act(t, "s1", map[string]any{"action": "note", "worklistItem": map[string]any{"id": "TASK-001"}, "note": "x"}, &e, sales...))
	assert.Equal(t, http.StatusForbidden, s.Do(t, "GET", worklist.ItemPath, nil, &e, sales...).Code)
	var actions []worklist.Action
	s.Do(t, "GET", worklist.ActionPath, nil, &actions, s.op...)
	assert.Empty(t, actions, "nothing was done")

	// Assign and note stay on the item.
	var a worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "n1", map[string]any{"action": "assign", "worklistItem": map[string]any{"id": "TASK-001"}, "assignee": "pat"}, &a))
	require.Equal(t, http.StatusCreated, s.act(t, "n2", map[string]any{"action": "note", "worklistItem": map[string]any{"id": "TASK-001"}, "note": "line card ordered"}, &a))
	var it worklist.Item
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ItemPath+"/TASK-001", nil, &it, s.op...).Code)
	assert.Equal(t, "pat", it.Assignee)
	require.Len(t, it.Note, 1)
	assert.Equal(t, worklist.Note{Date: it.Note[0].Date, Author: "olivia", Text: "line card ordered"}, it.Note[0])
}

// A site held for capacity that will not get it is given up: its
// planning task is cancelled, the site fails and the order ends partial
// with the other four sites active.
func TestCompensateHeldSite(t *testing.T) {
	s := serve(t, "brisbane-capacity.yaml")
	var a worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "c1", map[string]any{"action": "compensate", "worklistItem": map[string]any{"id": "TASK-001"},
		"note": "no line card before Q4"}, &a))
	assert.Equal(t, "site BNE2 failed, TASK-001 cancelled", a.Result)
	s.Idle(t)
	assert.Equal(t, []string{"requested", "cancelled", "compensate"}, states(s.records(t, "TASK-001")), "the action recorded after what it did at once")
	assert.Contains(t, states(s.records(t, "POI-005")), "failed")
	var po map[string]any
	s.Do(t, "GET", "/tmf-api/productOrderingManagement/v4/productOrder/PO-2024-01203?fields=state", nil, &po, s.op...)
	assert.Equal(t, "partial", po["state"])
	assert.Empty(t, s.worklist(t))
}

// With a retention, an action leaves memory for the shelf as the orders
// do: the API lists it and reads it as before, its key still answers with
// it, and the actions after it are numbered on.
func TestActionsLeaveMemory(t *testing.T) {
	s := serveWith(t, "brisbane-capacity.yaml", scenarios.Options{Timeline: true, Retention: 24 * time.Hour})
	var a worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "k1", map[string]any{"action": "assign", "worklistItem": map[string]any{"id": "TASK-001"},
		"assignee": "pat"}, &a))
	s.Idle(t) // a day later the action leaves memory; the task waits on
	require.NoError(t, s.Sys.Engine.Query(context.Background(), func() { assert.Empty(t, s.Sys.COM.Actions(), "no action in memory") }))
	var list []worklist.Action
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ActionPath, nil, &list, s.op...).Code)
	assert.Equal(t, []worklist.Action{a}, list)
	var got worklist.Action
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ActionPath+"/"+a.ID, nil, &got, s.op...).Code)
	assert.Equal(t, a, got)
	var e tmf630.Error
	require.Equal(t, http.StatusNotFound, s.Do(t, "GET", worklist.ActionPath+"/OA-COM-009", nil, &e, s.op...).Code)
	assert.Equal(t, "TASK-001", find(s.worklist(t), "TASK-001").ID)
	assert.Equal(t, "pat", find(s.worklist(t), "TASK-001").Assignee, "the item keeps its assignee")

	// The next action is numbered after the one that left.
	var next worklist.Action
	require.Equal(t, http.StatusCreated, s.act(t, "k2", map[string]any{"action": "confirmCapacity", "worklistItem": map[string]any{"id": "TASK-001"},
		"note": "line card 2 fitted in OLT-BNE-07"}, &next))
	assert.Equal(t, "OA-COM-002", next.ID)
	s.Idle(t) // the order completes, and leaves memory with the action

	// The first key again, its item gone: the first action, not taken again.
	var again worklist.Action
	w := s.Do(t, "POST", worklist.ActionPath, map[string]any{"action": "assign", "worklistItem": map[string]any{"id": "TASK-001"}, "assignee": "pat"},
		&again, append([]string{"Idempotency-Key", "k1"}, s.op...)...)
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, a, again)
	assert.Equal(t, 1, strings.Count(strings.Join(states(s.records(t, "TASK-001")), " "), "assign"), "journalled once")
	w = s.Do(t, "POST", worklist.ActionPath, map[string]any{"action": "assign", "worklistItem": map[string]any{"id": "TASK-001"}, "assignee": "sam"},
		&e, append([]string{"Idempotency-Key", "k1"}, s.op...)...)
	require.Equal(t, http.StatusConflict, w.Code, "another action with the key, read from the shelf")
	assert.Contains(t, e.Message, "the action's key took "+a.ID)
	require.Equal(t, http.StatusOK, s.Do(t, "GET", worklist.ActionPath, nil, &list, s.op...).Code)
	assert.Equal(t, []worklist.Action{a, next}, list)
}
