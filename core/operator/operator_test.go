package operator

import (
	"slices"
	"testing"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An action says what it needs before it reaches a component: a known
// kind, an item, an assignee to assign to, a note to note, evidence of a
// manual completion.
func TestValid(t *testing.T) {
	for _, c := range []struct {
		a    Action
		want string
	}{
		{Action{Kind: ConfirmCapacity, Item: "TASK-001"}, ""},
		{Action{Kind: "bless", Item: "TASK-001"}, `action: "bless" is not an action (retry, completeManually, compensate, confirmCapacity, reopenGate, hold, release, cancelWaves, assign, note)`},
		{Action{Kind: Retry}, "worklistItem.id: names the item acted on"},
		{Action{Kind: Assign, Item: "ROI-001"}, "assignee: an assign action names who"},
		{Action{Kind: Note, Item: "ROI-001"}, "note: a note action says something"},
		{Action{Kind: CompleteManually, Item: "ROI-001"}, "note: a manual completion gives its evidence"},
		// Blanks were taken for something said.
		{Action{Kind: Note, Item: "ROI-001", Note: " \t "}, "note: a note action says something"},
		{Action{Kind: CompleteManually, Item: "ROI-001", Note: "  "}, "note: a manual completion gives its evidence"},
		{Action{Kind: Assign, Item: "ROI-001", Assignee: " "}, "assignee: an assign action names who"},
		{built("olt", "OLT-BNE-07", "slot", "2", "ports", "16"), ""},
		{built("exchange", "BNE-EX-01", "ports", "8"), ""},
		{built("olt", "OLT-BNE-07", "ports", "16"), `characteristic slot: "": want a positive whole number`},
		{built("olt", "OLT-BNE-07", "slot", "2"), `characteristic ports: "": want a positive whole number`},
		{built("olt", "OLT-BNE-07", "slot", "2", "ports", "-4"), `characteristic ports: "-4": want a positive whole number`},
		{built("ports", "16"), "characteristic: name what was built: olt and slot (a line card), or exchange (handoff ports)"},
		{built("olt", "A", "exchange", "B", "ports", "1"), "characteristic: name what was built: olt and slot (a line card), or exchange (handoff ports)"},
		{built("exchange", "B", "slot", "1", "ports", "1"), "characteristic: slot and occupied are a line card's, not an exchange's"},
		{built("olt", "A", "slot", "1", "port", "1"), `characteristic: "port" is not what was built (olt, slot, ports, occupied, exchange)`},
	} {
		err := Valid(c.a)
		if c.want == "" {
			assert.NoError(t, err)
			continue
		}
		assert.EqualError(t, err, c.want)
	}
}

// An action its item does not take now is refused, naming what it takes.
func TestCheck(t *testing.T) {
	it := &Item{ID: "TASK-001", Kind: CapacityHeld, Entity: "POI-005", State: "held", Actions: []string{ConfirmCapacity}}
	require.NoError(t, Check(Action{Kind: ConfirmCapacity, Item: "TASK-001"}, it))
	err := Check(Action{Kind: ReopenGate, Item: "TASK-001"}, it)
	require.ErrorIs(t, err, ErrNotAllowed)
	assert.EqualError(t, err, "reopenGate on TASK-001: not allowed now: POI-005 is held (capacityHeld); it takes confirmCapacity")
}

// A log saves its maps sorted, so that a snapshot's bytes do not depend
// on map order, and loads back to the same log; a key seen before
// answers with the first action, marked duplicate.
func TestLogSaveLoad(t *testing.T) {
	l := NewLog("OA-T-", engine.COM, 0)
	l.Done = []Done{{ID: "OA-T-001", Action: Action{Key: "k1", Kind: Assign, Item: "B", Assignee: "pat"}}}
	l.Taken = 1
	l.Assignee = map[string]string{"B": "pat", "A": "sam", "C": "lee"}
	l.Notes = map[string][]Remark{"Z": {{By: "ann", Text: "z"}}, "M": {{By: "ann", Text: "m"}}}
	s := l.Save()
	assert.Equal(t, []Assigned{{"A", "sam"}, {"B", "pat"}, {"C", "lee"}}, s.Assignee)
	assert.Equal(t, []string{"M", "Z"}, []string{s.Notes[0].Item, s.Notes[1].Item})
	back := NewLog("OA-T-", engine.COM, 0)
	back.Load(s)
	assert.Equal(t, l, back)

	d, ok := back.Replayed(Action{Key: "k1", Kind: Note, Item: "X"}, nil)
	require.True(t, ok)
	assert.True(t, d.Duplicate)
	assert.Equal(t, "OA-T-001", d.ID)
	_, ok = back.Replayed(Action{Key: "k2"}, nil)
	assert.False(t, ok)
	_, ok = back.Replayed(Action{}, nil)
	assert.False(t, ok, "no key, no replay")
}

// Forget lets go what people said of items that can be on the worklist no
// more, and nothing else.
func TestLogForget(t *testing.T) {
	l := NewLog("OA-T-", engine.COM, 0)
	l.Assignee = map[string]string{"ROI-001": "pat", "ROI-002": "sam"}
	l.Notes = map[string][]Remark{"ROI-001": {{By: "ann", Text: "a"}}, "JEO-R001": {{By: "ann", Text: "j"}}}
	l.Forget(slices.Values([]string{"ROI-001", "JEO-R001", "ROI-009"}))
	assert.Equal(t, map[string]string{"ROI-002": "sam"}, l.Assignee)
	assert.Empty(t, l.Notes)
}

// built is a capacity confirmation with characteristics name, value, ….
func built(nv ...string) Action {
	a := Action{Kind: ConfirmCapacity, Item: "TASK-001"}
	for i := 0; i+1 < len(nv); i += 2 {
		a.Characteristics = append(a.Characteristics, tmf.Characteristic{Name: nv[i], Value: nv[i+1]})
	}
	return a
}
