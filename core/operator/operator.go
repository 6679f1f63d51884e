// Package operator is what people do about what is stuck: the worklist
// items COM and ROM show (a site held for capacity and its planning
// task, a gate held on its SLA check, a resource order item held for
// manual action or failed, a jeopardy) and the actions taken on them
// (retry, complete manually, compensate, confirm capacity, reopen a gate,
// hold, release, assign, note). An action is an engine command handled by
// the component that owns its item; the component checks that the action
// is allowed in the item's state now, journals it with its actor, and
// keeps it (Log) so that a repeated idempotency key answers with the
// first outcome.
package operator

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The kinds of action.
const (
	Retry            = "retry"            // call a held item's step again, with changed characteristics if given
	CompleteManually = "completeManually" // a held item's work was done by hand: complete it, with evidence
	Compensate       = "compensate"       // give up the item's site: release what it holds and fail it
	ConfirmCapacity  = "confirmCapacity"  // the capacity a planning task asked for is built: revalidate the held site
	ReopenGate       = "reopenGate"       // the network behind a gate held on its SLA check is fixed: measure again
	Hold             = "hold"             // hold an item that has not started yet
	Release          = "release"          // release an item an operator held, or a wave's gate
	CancelWaves      = "cancelWaves"      // cancel the waves still waiting behind a gate that can no longer open
	Assign           = "assign"           // give the item to a person
	Note             = "note"             // add a note to the item
)

// Kinds lists every kind of action.
var Kinds = []string{Retry, CompleteManually, Compensate, ConfirmCapacity, ReopenGate, Hold, Release, CancelWaves, Assign, Note}

// The kinds of worklist item.
const (
	CapacityHeld = "capacityHeld" // a site held for capacity, and its planning task
	GateHeld     = "gateHeld"     // a wave's gate held on its SLA check
	// ReleaseAwaited is a wave whose plan says a person releases it
	// (scenario version 2, release: manual), not yet released.
	ReleaseAwaited = "releaseAwaited"
	// GateBlocked is a wave whose gate can no longer open by itself: the
	// waves it waits for ended without meeting it (a pilot whose every
	// site failed).
	GateBlocked  = "gateBlocked"
	ManualAction = "manualAction" // a resource order item held for manual action by the failure policy
	ItemFailed   = "itemFailed"   // a resource order item that failed
	OperatorHeld = "operatorHeld" // a resource order item an operator held
	Jeopardy     = "jeopardy"     // a jeopardy alert on an entity still in progress
)

// Action is a person's command on a worklist item.
type Action struct {
	// Key is the idempotency key: an action with a key seen before is
	// not taken again, and answers with the first one's outcome.
	Key  string
	Kind string
	// Item is the worklist item's id (TASK-001, PO-2024-01203/Pilot,
	// ROI-012, a jeopardy's JEO-… id).
	Item string
	// By is who acts (the authenticated subject).
	By string
	// Note is the note, the evidence of a manual completion, or why.
	Note string
	// Assignee is who an assign action gives the item to.
	Assignee string
	// Characteristics change a retried item's, or say what capacity was
	// built (olt, slot, ports; exchange, ports).
	Characteristics tmf.Characteristics
}

// Done is a taken action: its id, what it was, when, and what it did.
type Done struct {
	ID     string
	Action Action
	At     time.Duration
	// Result says what the action did ("TASK-001 fulfilled; BNE2 is
	// revalidated").
	Result string
	// Duplicate is set on the answer to an action whose key was seen
	// before: nothing was done again.
	Duplicate bool
}

// ErrNotAllowed is the error of an action its item's state does not allow
// now; ErrUnknownItem of an action on no item of the worklist.
var (
	ErrNotAllowed  = errors.New("not allowed now")
	ErrUnknownItem = errors.New("no such worklist item")
)

// NotAllowed is an ErrNotAllowed saying what the item is and why.
func NotAllowed(a Action, why string) error {
	return fmt.Errorf("%s on %s: %w: %s", a.Kind, a.Item, ErrNotAllowed, why)
}

// Unknown is an ErrUnknownItem naming the item.
func Unknown(a Action) error { return fmt.Errorf("%s: %w", a.Item, ErrUnknownItem) }

// Item is one entry of the worklist.
type Item struct {
	ID   string
	Kind string
	// Entity is what waits (the held product order item, the wave, the
	// resource order item), State its state.
	Entity, State string
	Reason        string
	Since         time.Duration
	// Deadline is when it is due; HasDeadline is set when it has one.
	Deadline    time.Duration
	HasDeadline bool
	Order, Site string
	Wave        string
	// System is the component that owns it: COM or ROM.
	System  string
	Actions []string
	// Assignee and Notes are what people said of it.
	Assignee string
	Notes    []Remark
}

// Remark is a note on an item: who said what, when.
type Remark struct {
	At   time.Duration
	By   string
	Text string
}

// The prefixes of the actions' ids of COM and ROM.
const (
	COMPrefix = "OA-COM-"
	ROMPrefix = "OA-ROM-"
)

// ShelfKind is the shelf's kind of the actions that have left memory,
// COM's and ROM's (their ids tell them apart).
const ShelfKind = "operatorAction"

// ShelfOrd is the creation number of the action with id as lists order
// them: COM's, then ROM's, each in the order taken.
func ShelfOrd(id string) uint64 {
	n := tmf.SeqOf(id)
	if strings.HasPrefix(id, ROMPrefix) {
		n += 1 << 40
	}
	return n
}

// Log keeps a component's actions: the ones taken in order, the first
// outcome of each idempotency key, the assignee and notes of each item.
// With a retention, an action leaves memory for the store's shelf that
// long after it was taken (ShelfKind): the worklist API reads it there,
// and a request sent again with its key still gets its first outcome.
// Its exported fields are the component's snapshot.
type Log struct {
	Prefix string // of the actions' ids: OA-COM-, OA-ROM-
	// Done are the actions in memory, in the order taken.
	Done []Done
	// Taken counts the actions ever taken (their ids number them),
	// Shelved those that have left memory.
	Taken, Shelved int
	Assignee       map[string]string
	Notes          map[string][]Remark

	owner     engine.Address // the component, to which an action's retirement is sent
	retention time.Duration
	shelver   engine.Shelver
}

// NewLog returns an empty log of the component owner, whose actions'
// ids start with prefix and leave memory retention after they were taken
// (never when it is not positive).
func NewLog(prefix string, owner engine.Address, retention time.Duration) *Log {
	return &Log{Prefix: prefix, Assignee: map[string]string{}, Notes: map[string][]Remark{}, owner: owner, retention: retention}
}

// Replayed is the first outcome of an action with a as key, if there is
// one, marked Duplicate: in memory, or on the shelf once it left.
func (l *Log) Replayed(a Action, out *engine.Out) (Done, bool) {
	if a.Key == "" {
		return Done{}, false
	}
	for i := len(l.Done) - 1; i >= 0; i-- {
		if l.Done[i].Action.Key == a.Key {
			d := l.Done[i]
			d.Duplicate = true
			return d, true
		}
	}
	if l.Shelved == 0 {
		return Done{}, false
	}
	id, ok := out.ShelvedOwner(ShelfKind, KeyItem(l.Prefix, a.Key))
	if !ok {
		return Done{}, false
	}
	body, ok := out.Unshelve(ShelfKind, id)
	if !ok {
		return Done{}, false
	}
	d, err := Shelved(body)
	if err != nil {
		out.Error(fmt.Errorf("operator action %s on the shelf: %w", id, err))
		return Done{}, false
	}
	d.Duplicate = true
	return d, true
}

// ErrKeyReused is the error of an action whose idempotency key took
// another action: a retry sends what it sent, a new action needs a new
// key.
var ErrKeyReused = errors.New("an idempotency key is for one action: a new action needs a new key")

// Answers is nil when a, an action whose key took d, is the same action
// sent again (by the same person): d answers it. Otherwise the key took
// another, and a is refused, changing nothing (it was answered with the
// first action as if it were its own).
func (d Done) Answers(a Action) error {
	first := d.Action
	if a.Kind == first.Kind && a.Item == first.Item && a.By == first.By && a.Note == first.Note &&
		a.Assignee == first.Assignee && slices.Equal(a.Characteristics, first.Characteristics) {
		return nil
	}
	return fmt.Errorf("the action's key took %s, %s on %s by %s: %w", d.ID, first.Kind, first.Item, first.By, ErrKeyReused)
}

// KeyItem is the item by which the shelf finds the action an idempotency
// key took in the component whose ids start with prefix (store.Doc.Items):
// keys are the callers', and COM's and ROM's may meet.
func KeyItem(prefix, key string) string { return "key " + prefix + key }

// Shelved decodes an action the shelf keeps.
func Shelved(body []byte) (Done, error) {
	var d Done
	err := engine.DecodeState(body, &d)
	return d, err
}

// Take keeps action a, taken now with result, journals it with its actor
// and returns it. Assign and note are kept on the item.
func (l *Log) Take(a Action, result string, out *engine.Out) Done {
	l.Taken++
	d := Done{ID: fmt.Sprintf("%s%03d", l.Prefix, l.Taken), Action: a, At: out.Now(), Result: result}
	switch a.Kind {
	case Assign:
		l.Assignee[a.Item] = a.Assignee
	case Note:
		l.Notes[a.Item] = append(l.Notes[a.Item], Remark{At: d.At, By: a.By, Text: a.Note})
	}
	l.Done = append(l.Done, d)
	reason := result
	if a.Note != "" && a.Kind != Note {
		reason += " — " + a.Note
	}
	out.Record(store.Record{Kind: "operatorAction", Entity: a.Item, Name: d.ID, System: "operator " + a.By,
		To: a.Kind, Event: a.Kind, Reason: reason})
	if l.retention > 0 {
		out.Send(l.owner, engine.RetireAfter(out.Now(), l.retention), Retire{ID: d.ID})
	}
	return d
}

// Forget lets go the assignee and notes of the items with ids, which
// can be on the worklist no more (their order leaves memory): the actions
// that assigned and noted them keep what they said.
func (l *Log) Forget(ids iter.Seq[string]) {
	if len(l.Assignee) == 0 && len(l.Notes) == 0 {
		return
	}
	for id := range ids {
		delete(l.Assignee, id)
		delete(l.Notes, id)
	}
}

// Retire is the log's timer: the action with ID leaves memory.
type Retire struct{ ID string }

// Retire shelves the action m names and lets it go from memory.
func (l *Log) Retire(m Retire, out *engine.Out) {
	i := slices.IndexFunc(l.Done, func(d Done) bool { return d.ID == m.ID })
	if i < 0 {
		return
	}
	d := l.Done[i]
	body, err := l.shelver.Encode(&d)
	if err != nil {
		out.Error(fmt.Errorf("operator action %s: shelve: %w", d.ID, err))
		return
	}
	var items []string
	if d.Action.Key != "" {
		items = []string{KeyItem(l.Prefix, d.Action.Key)}
	}
	out.Shelve(store.Doc{Kind: ShelfKind, ID: d.ID, Ord: ShelfOrd(d.ID), Body: body, Items: items})
	if i == 0 { // the oldest, as actions mostly leave
		l.Done[0] = Done{}
		l.Done = l.Done[1:]
	} else {
		l.Done = slices.Delete(l.Done, i, i+1)
	}
	l.Shelved++
}

// Annotate adds what people said of it to a worklist item, and the
// actions every item takes.
func (l *Log) Annotate(it *Item) {
	it.Assignee = l.Assignee[it.ID]
	it.Notes = l.Notes[it.ID]
	it.Actions = append(it.Actions, Assign, Note)
}

// Check refuses an action of a kind the item does not take now, naming
// the ones it does.
func Check(a Action, it *Item) error {
	if slices.Contains(it.Actions, a.Kind) {
		return nil
	}
	return NotAllowed(a, fmt.Sprintf("%s is %s (%s); it takes %s", it.Entity, it.State, it.Kind, strings.Join(it.Actions, ", ")))
}

// Valid checks what an action says before it reaches a component: a known
// kind, an item, an assignee to assign to, a note to note.
func Valid(a Action) error {
	switch {
	case !slices.Contains(Kinds, a.Kind):
		return fmt.Errorf("action: %q is not an action (%s)", a.Kind, strings.Join(Kinds, ", "))
	case a.Item == "":
		return errors.New("worklistItem.id: names the item acted on")
	case a.Kind == Assign && strings.TrimSpace(a.Assignee) == "":
		return errors.New("assignee: an assign action names who")
	case a.Kind == Note && strings.TrimSpace(a.Note) == "":
		return errors.New("note: a note action says something")
	case a.Kind == CompleteManually && strings.TrimSpace(a.Note) == "":
		return errors.New("note: a manual completion gives its evidence")
	case a.Kind == ConfirmCapacity && len(a.Characteristics) > 0:
		return checkBuilt(a.Characteristics)
	}
	return nil
}

// checkBuilt checks what a capacity confirmation says was built: a line
// card (olt, slot, ports, and the ports occupied already) or handoff
// ports at an exchange (exchange, ports). Whether the network has that
// OLT or exchange is network planning's to say.
func checkBuilt(cs tmf.Characteristics) error {
	known := []string{"olt", "slot", "ports", "occupied", "exchange"}
	for _, c := range cs {
		if !slices.Contains(known, c.Name) {
			return fmt.Errorf("characteristic: %q is not what was built (%s)", c.Name, strings.Join(known, ", "))
		}
	}
	positive := func(name string) error {
		if n, err := strconv.Atoi(cs.Get(name)); err != nil || n <= 0 {
			return fmt.Errorf("characteristic %s: %q: want a positive whole number", name, cs.Get(name))
		}
		return nil
	}
	switch olt, exchange := cs.Get("olt"), cs.Get("exchange"); {
	case (olt == "") == (exchange == ""):
		return errors.New("characteristic: name what was built: olt and slot (a line card), or exchange (handoff ports)")
	case olt != "":
		if err := positive("slot"); err != nil {
			return err
		}
	case cs.Get("slot") != "" || cs.Get("occupied") != "":
		return errors.New("characteristic: slot and occupied are a line card's, not an exchange's")
	}
	return positive("ports")
}

// Saved is a Log in a snapshot: its maps as slices sorted by item, so
// that the encoding is deterministic.
type Saved struct {
	Done           []Done
	Taken, Shelved int
	Assignee       []Assigned
	Notes          []Noted
}

// Assigned is an item's assignee in a snapshot.
type Assigned struct{ Item, Assignee string }

// Noted is an item's notes in a snapshot.
type Noted struct {
	Item  string
	Notes []Remark
}

// Save returns the log as a snapshot keeps it.
func (l *Log) Save() Saved {
	s := Saved{Done: l.Done, Taken: l.Taken, Shelved: l.Shelved}
	for _, k := range slices.Sorted(maps.Keys(l.Assignee)) {
		s.Assignee = append(s.Assignee, Assigned{k, l.Assignee[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(l.Notes)) {
		s.Notes = append(s.Notes, Noted{k, l.Notes[k]})
	}
	return s
}

// Load sets the log to what a snapshot kept (one taken before actions
// left memory kept them all, and no count).
func (l *Log) Load(s Saved) {
	l.Done, l.Taken, l.Shelved, l.Assignee, l.Notes = s.Done, max(s.Taken, len(s.Done)), s.Shelved, map[string]string{}, map[string][]Remark{}
	for _, a := range s.Assignee {
		l.Assignee[a.Item] = a.Assignee
	}
	for _, n := range s.Notes {
		l.Notes[n.Item] = n.Notes
	}
}
