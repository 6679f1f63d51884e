package engine

import (
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Out collects the effects of handling inputs. Handlers only append to it.
type Out struct {
	from    Address
	now     time.Duration
	records []store.Record
	sends   []Input
	calls   []call
	err     error
	// reply is the answer to the input being handled, if it is a command;
	// answers the replies of the step's commands, sent after the commit.
	reply   any
	replied bool
	answers []reply
	// docs are the read models to shelve (Shelve).
	docs []store.Doc
	// engine reads the shelf (Unshelve).
	engine *Engine
}

type reply struct {
	to answer
	v  any
}

// call is a request as the handler made it: Out keeps its own copy, so a
// handler builds requests where it likes (on its stack) and keeps none.
type call struct {
	from Address
	req  port.Request
	// update: req is a new version of a call in flight (Out.Update).
	update bool
}

func (o *Out) reset() {
	clear(o.records)
	clear(o.sends)
	clear(o.calls)
	clear(o.answers)
	clear(o.docs)
	o.records, o.sends, o.calls, o.answers, o.docs = o.records[:0], o.sends[:0], o.calls[:0], o.answers[:0], o.docs[:0]
	o.err = nil
}

// Shelve keeps the read model of a finished entity in the store's shelf
// (store.Shelf), committed before the records of the step: the component
// may then let the entity leave its memory, and the APIs read it from the
// shelf.
func (o *Out) Shelve(d store.Doc) { o.docs = append(o.docs, d) }

// Send queues msg for component to, after a delay.
func (o *Out) Send(to Address, after time.Duration, msg any) {
	o.sends = append(o.sends, Input{At: o.now + after, To: to, from: o.from, Msg: msg})
}

// Call queues an adapter request; its answers come back to the caller as
// *port.Result inputs. Out copies req: the caller keeps nothing.
func (o *Out) Call(req port.Request) {
	o.calls = append(o.calls, call{from: o.from, req: req})
}

// Update queues a new version of a call in flight, under its key: what
// the caller learnt since it made the call (ROM: a CE router's Day-1
// configuration, completed by the items done since). An adapter outside
// the process that takes updates (port.Updater) takes it into the call it
// has (docs/adapters.md); an adapter in the process took the call whole
// and is not told, nor is one whose call has ended. No answer comes of it.
func (o *Out) Update(req port.Request) {
	o.calls = append(o.calls, call{from: o.from, req: req, update: true})
}

// Record journals a record.
func (o *Out) Record(r store.Record) {
	r.At = o.now
	if r.System == "" {
		r.System = o.from.String()
	}
	o.records = append(o.records, r)
}

// Jeopardy journals a jeopardy alert about entity (TMF641 v4.1
// jeopardyAlert: jeopardyType typ, message) and returns it.
func (o *Out) Jeopardy(entity, typ, message string) tmf.Jeopardy {
	o.Record(store.Record{Kind: "jeopardy", Entity: entity, To: typ, Event: "jeopardyAlert", Reason: message})
	return tmf.Jeopardy{At: o.now, Entity: entity, Type: typ, Message: message}
}

// ShelveJeopardies shelves the alerts raised on an order that leaves
// memory, each as a doc of kind with id prefix and its number (JEO-C007),
// for reports of everything that happened; the journal has them too.
func (o *Out) ShelveJeopardies(kind, prefix, party string, alerts []tmf.Jeopardy) error {
	for _, j := range alerts {
		body, err := EncodeState(&j)
		if err != nil {
			return fmt.Errorf("shelve jeopardy %s: %w", j.ID(prefix), err)
		}
		o.Shelve(store.Doc{Kind: kind, ID: j.ID(prefix), Ord: uint64(j.N), Party: party, Body: body})
	}
	return nil
}

// ShelvedJeopardy decodes an alert Out.ShelveJeopardies shelved.
func ShelvedJeopardy(body []byte) (tmf.Jeopardy, error) {
	var j tmf.Jeopardy
	if err := DecodeDoc(body, &j); err != nil {
		return j, fmt.Errorf("jeopardy on the shelf: %w", err)
	}
	return j, nil
}

// Fire applies event to an entity through its lifecycle machine, updates
// *state and journals the transition. An illegal event is an error naming
// the entity, its state and the event, and changes nothing: the input being
// handled is refused with it (Error).
func (o *Out) Fire(m *lifecycle.Set, k lifecycle.Kind, id, name string, state *string, event, reason, system string) bool {
	to, err := m.Fire(k, id, *state, event)
	if err != nil {
		o.Error(err)
		return false
	}
	if to != *state {
		o.Transition(lifecycle.Transition{Kind: k, Entity: id, From: *state, To: to, Event: event, Reason: reason}, name, system)
		*state = to
	}
	return true
}

// Cancel takes an entity through the TMF cancellation: assessing,
// pending, cancelled, each transition journalled.
func (o *Out) Cancel(m *lifecycle.Set, k lifecycle.Kind, id, name string, state *string, reason, system string) bool {
	for _, ev := range [...]string{lifecycle.Cancel, lifecycle.AcceptCancel, lifecycle.ConfirmCancel} {
		if !o.Fire(m, k, id, name, state, ev, reason, system) {
			return false
		}
	}
	return true
}

// Created journals the creation of an entity in its initial state.
func (o *Out) Created(k lifecycle.Kind, id, name, state, system string) {
	o.Record(store.Record{Kind: string(k), Entity: id, Name: name, System: system, To: state, Event: "create"})
}

// Error refuses the input being handled: it cannot be applied. The engine
// takes back what handling it added to Out, journals the refusal with err
// as its reason, answers a waiting command with it (ErrRefused) and carries
// on. A handler checks an input before it changes its own state, so that a
// refused input changes nothing.
func (o *Out) Error(err error) {
	if o.err == nil {
		o.err = err
	}
}

// Refused reports whether the input being handled has been refused
// (Error): a handler that changed something before it learnt so puts it
// back.
func (o *Out) Refused() bool { return o.err != nil }

// Transition journals a lifecycle transition.
func (o *Out) Transition(t lifecycle.Transition, name, system string) {
	o.Record(store.Record{Kind: string(t.Kind), Entity: t.Entity, Name: name, System: system,
		From: t.From, To: t.To, Event: t.Event, Reason: t.Reason})
}

// Now is the virtual time of the inputs being handled.
func (o *Out) Now() time.Duration { return o.now }

// Inventory journals a change of an inventory entity (kind "product",
// "service" or "resource", TMF637/638/639): its creation when from is
// "", else its change of state. Listeners of the inventory hubs learn of
// it from the journal.
func (o *Out) Inventory(kind, id, name, from, to string) {
	event := "change"
	if from == "" {
		event = "create"
	}
	o.Record(store.Record{Kind: kind, Entity: id, Name: name, From: from, To: to, Event: event})
}

// InventoryModify is the event of a record of an inventory entity whose
// attributes changed (InventoryModified).
const InventoryModify = "modify"

// InventoryModified journals a change of an existing inventory entity's
// attributes (a modify order's new characteristics or price), in state
// to: what says what changed. It is no creation, even when the entity was
// rebuilt: listeners of the inventory hubs learn of it as an attribute
// value change.
func (o *Out) InventoryModified(kind, id, name, to, what string) {
	o.Record(store.Record{Kind: kind, Entity: id, Name: name, From: to, To: to, Event: InventoryModify, Reason: what})
}

// RetireAfter is how long after now an entity that ended then leaves
// memory, when finished entities stay retention: the retention, rounded
// up to the next multiple of a seventh of it, an hour at most and a
// minute at least, so that the entities that ended close together leave
// in one step (one commit of their shelved read models, not one each).
// Not more than an hour's: served at a day a second under 500 orders a
// second, a day's were a thousand orders leaving at once, four steps of
// 12-170 ms each second that every command waited out; an hour's are
// about twenty (docs/load.md).
func RetireAfter(now, retention time.Duration) time.Duration {
	grain := max(min(retention/7, time.Hour), time.Minute)
	at := now + retention
	if rem := at % grain; rem > 0 {
		at += grain - rem
	}
	return at - now
}
