// Package worklist serves what waits on a person — the worklist of COM
// and ROM (core/operator) — and the actions people take on it, in the
// manner of a TMF task resource: GET worklist, POST operatorAction (an
// Idempotency-Key makes a repeated POST answer with the first action),
// GET operatorAction.
package worklist

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The paths of the worklist and its actions.
const (
	Base       = "/ordertwin/v1"
	ItemPath   = Base + "/worklist"
	ActionPath = Base + "/operatorAction"
)

// Item is a worklist item on the wire.
type Item struct {
	ID             string      `json:"id"`
	Href           string      `json:"href"`
	Kind           string      `json:"kind"`
	Entity         tmf630.Ref  `json:"entity"`
	State          string      `json:"state"`
	Reason         string      `json:"reason,omitempty"`
	Since          string      `json:"since"`
	SinceOffset    string      `json:"sinceOffset"`
	Deadline       string      `json:"deadline,omitempty"`
	DeadlineOffset string      `json:"deadlineOffset,omitempty"`
	Order          *tmf630.Ref `json:"order,omitempty"`
	Site           string      `json:"site,omitempty"`
	Wave           string      `json:"wave,omitempty"`
	System         string      `json:"system"`
	AllowedAction  []string    `json:"allowedAction"`
	Assignee       string      `json:"assignee,omitempty"`
	Note           []Note      `json:"note,omitempty"`
	Type           string      `json:"@type"`
}

// Note is a TMF Note: who said what, when.
type Note struct {
	Date   string `json:"date"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// Action is an operator action on the wire.
type Action struct {
	ID             string                  `json:"id"`
	Href           string                  `json:"href"`
	Action         string                  `json:"action"`
	WorklistItem   tmf630.Ref              `json:"worklistItem"`
	Actor          string                  `json:"actor,omitempty"`
	Note           string                  `json:"note,omitempty"`
	Assignee       string                  `json:"assignee,omitempty"`
	Characteristic []tmf630.Characteristic `json:"characteristic,omitempty"`
	State          string                  `json:"state"`
	Result         string                  `json:"result"`
	CreationDate   string                  `json:"creationDate"`
	Offset         string                  `json:"creationOffset"`
	Type           string                  `json:"@type"`
}

// actionIn is the body of POST operatorAction.
type actionIn struct {
	Action         string                  `json:"action"`
	WorklistItem   *tmf630.Ref             `json:"worklistItem"`
	Note           string                  `json:"note"`
	Assignee       string                  `json:"assignee"`
	Characteristic []tmf630.Characteristic `json:"characteristic"`
	Type           string                  `json:"@type"`
}

// worklist serves the worklist of n's COM and ROM.
type worklist struct{ n *tmf630.Node }

// Routes serves the worklist and its actions when n runs COM or ROM.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.COM == nil && n.ROM == nil {
		return
	}
	s := worklist{n}
	tmf630.ShelfWire(n, operator.ShelfKind, operator.Shelved, s.action)
	mux.HandleFunc("GET "+ItemPath, s.listItems)
	mux.HandleFunc("GET "+ItemPath+"/{id}", s.getItem)
	mux.HandleFunc("GET "+ActionPath, s.listActions)
	mux.HandleFunc("GET "+ActionPath+"/{id}", s.getAction)
	mux.HandleFunc("POST "+ActionPath, s.postAction)
}

var itemAttrs = tmf630.Attributes(Item{})
var actionAttrs = tmf630.Attributes(Action{})

// items reads every worklist item: COM's then ROM's. On the engine's
// goroutine.
func (s worklist) items() []operator.Item {
	var items []operator.Item
	if s.n.COM != nil {
		items = append(items, s.n.COM.Worklist()...)
	}
	if s.n.ROM != nil {
		items = append(items, s.n.ROM.Worklist()...)
	}
	return items
}

func (s worklist) listItems(w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(s.n, w, r, itemAttrs, func() []Item { return tmf630.MapAll(s.items(), s.item) })
}

func (s worklist) getItem(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, "worklist item", func(id string) *Item {
		for _, it := range s.items() {
			if it.ID == id {
				v := s.item(it)
				return &v
			}
		}
		return nil
	})
}

func (s worklist) item(it operator.Item) Item {
	v := Item{ID: it.ID, Href: ItemPath + "/" + url.PathEscape(it.ID), Kind: it.Kind, Entity: tmf630.Ref{ID: it.Entity}, State: it.State,
		Reason: it.Reason, Since: s.n.Date(it.Since), SinceOffset: tmf.FormatOffset(it.Since), Site: it.Site, Wave: it.Wave,
		System: it.System, AllowedAction: it.Actions, Assignee: it.Assignee, Type: "WorklistItem"}
	if it.HasDeadline {
		v.Deadline, v.DeadlineOffset = s.n.Date(it.Deadline), tmf.FormatOffset(it.Deadline)
	}
	if it.Order != "" {
		v.Order = &tmf630.Ref{ID: it.Order}
	}
	for _, n := range it.Notes {
		v.Note = append(v.Note, Note{Date: s.n.Date(n.At), Author: n.By, Text: n.Text})
	}
	return v
}

// actions reads every action in memory: COM's then ROM's, each in the
// order taken (operator.ShelfOrd); those that left memory are on the
// shelf.
func (s worklist) actions() []operator.Done {
	var ds []operator.Done
	if s.n.COM != nil {
		ds = append(ds, s.n.COM.Actions()...)
	}
	if s.n.ROM != nil {
		ds = append(ds, s.n.ROM.Actions()...)
	}
	return ds
}

func (s worklist) listActions(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.n, w, r, actionAttrs, operator.ShelfKind, func() []Action { return tmf630.MapAll(s.actions(), s.action) },
		func(a *Action) uint64 { return operator.ShelfOrd(a.ID) })
}

func (s worklist) getAction(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, operator.ShelfKind, s.readAction)
}

func (s worklist) readAction(id string) *Action {
	for _, d := range s.actions() {
		if d.ID == id {
			v := s.action(d)
			return &v
		}
	}
	return nil
}

func (s worklist) action(d operator.Done) Action {
	a := d.Action
	v := Action{ID: d.ID, Href: ActionPath + "/" + url.PathEscape(d.ID), Action: a.Kind, WorklistItem: tmf630.Ref{ID: a.Item, Href: ItemPath + "/" + url.PathEscape(a.Item)},
		Actor: a.By, Note: a.Note, Assignee: a.Assignee, State: "done", Result: d.Result, CreationDate: s.n.Date(d.At),
		Offset: tmf.FormatOffset(d.At), Type: "OperatorAction"}
	for _, c := range a.Characteristics {
		v.Characteristic = append(v.Characteristic, tmf630.Characteristic{Name: c.Name, Value: c.Value})
	}
	return v
}

// postAction takes an action on a worklist item: 201 with the action
// taken, or with the first one (and Idempotent-Replayed) for an
// Idempotency-Key seen before; 400
// for a malformed one, 404 for an unknown item, 409 for an action the
// item's state does not allow now.
func (s worklist) postAction(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	a, e := Decode(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if who, ok := auth.From(r.Context()); ok {
		a.By = who.Subject
	}
	a.Key = tmf630.KeyOf(r, "operatorAction")
	// Who owns the item (or took the action a repeated key names).
	var to engine.Address
	byKey := false
	if e := s.n.Query(r.Context(), func() { to, byKey = s.owner(a) }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if a.Key != "" && !byKey {
		// The action the key took may have left memory.
		took, e := s.shelvedOwner(a.Key)
		if e != nil {
			tmf630.WriteError(w, e)
			return
		}
		if took != 0 {
			to = took
		}
	}
	if to == 0 {
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "worklistItem.id: "+a.Item+": no such worklist item"))
		return
	}
	reply, e := s.n.Command(r.Context(), to, *a)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if err, _ := reply.(error); err != nil {
		status := http.StatusConflict
		if errors.Is(err, operator.ErrUnknownItem) {
			status = http.StatusNotFound
		}
		tmf630.WriteError(w, tmf630.NewError(status, err.Error()))
		return
	}
	d, _ := reply.(operator.Done)
	v := s.action(d)
	if d.Duplicate {
		tmf630.Replayed(w, v.Href, v)
		return
	}
	tmf630.Created(w, v.Href, v)
}

// owner is the component that owns a's item, or took the action a's key
// names in memory (byKey): COM, ROM, or 0 for none.
func (s worklist) owner(a *operator.Action) (to engine.Address, byKey bool) {
	if a.Key != "" {
		if s.n.COM != nil && slices.ContainsFunc(s.n.COM.Actions(), func(d operator.Done) bool { return d.Action.Key == a.Key }) {
			return engine.COM, true
		}
		if s.n.ROM != nil && slices.ContainsFunc(s.n.ROM.Actions(), func(d operator.Done) bool { return d.Action.Key == a.Key }) {
			return engine.ROM, true
		}
	}
	if s.n.ROM != nil && s.n.ROM.HasItem(a.Item) {
		return engine.ROM, false // a resource order item, waiting or not yet (it may be held)
	}
	for _, it := range s.items() {
		if it.ID == a.Item {
			if it.System == "ROM" {
				return engine.ROM, false
			}
			return engine.COM, false
		}
	}
	return 0, false
}

// shelvedOwner is the component whose action that left memory for the
// shelf key took: COM, ROM, or 0 for none.
func (s worklist) shelvedOwner(key string) (engine.Address, *tmf630.Error) {
	if s.n.Shelf == nil {
		return 0, nil
	}
	for _, c := range []struct {
		runs   bool
		prefix string
		to     engine.Address
	}{{s.n.COM != nil, operator.COMPrefix, engine.COM}, {s.n.ROM != nil, operator.ROMPrefix, engine.ROM}} {
		if !c.runs {
			continue
		}
		_, ok, err := s.n.Shelf.Owner(operator.ShelfKind, operator.KeyItem(c.prefix, key))
		if err != nil {
			return 0, tmf630.Unavailable(err)
		}
		if ok {
			return c.to, nil
		}
	}
	return 0, nil
}

// Decode reads the body of POST operatorAction. Every error is a 400
// naming the field.
func Decode(body []byte) (*operator.Action, *tmf630.Error) {
	var in actionIn
	if e := tmf630.DecodeStrict(body, &in); e != nil {
		return nil, e
	}
	if in.WorklistItem == nil {
		return nil, tmf630.NewError(http.StatusBadRequest, "worklistItem: names the item acted on ({\"id\": \"TASK-001\"})")
	}
	a := &operator.Action{Kind: in.Action, Item: in.WorklistItem.ID, Note: in.Note, Assignee: in.Assignee}
	for i, c := range in.Characteristic {
		v, ok := c.Value.(string)
		if !ok {
			if f, isNum := c.Value.(float64); isNum && f == float64(int64(f)) {
				v, ok = strconv.FormatInt(int64(f), 10), true
			}
		}
		if c.Name == "" || !ok {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("characteristic", i, "value")+": want a name and a string or whole-number value")
		}
		a.Characteristics = append(a.Characteristics, tmf.Characteristic{Name: c.Name, Value: v})
	}
	if err := operator.Valid(*a); err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	return a, nil
}
