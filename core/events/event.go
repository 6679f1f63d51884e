package events

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Event is the TMF event envelope (TMF688 Event, the body of every
// /listener/<name>Event of the v4 APIs), as POSTed to a listener.
type Event struct {
	// EventID is the journal record's sequence number (in a shard of a
	// deployment, numbered in the shard's space: unique across shards):
	// the same however often the event is sent, so a listener can drop a
	// duplicate.
	EventID   string `json:"eventId"`
	EventTime string `json:"eventTime"`
	EventType string `json:"eventType"`
	// Domain is the API's name (productOrderingManagement).
	Domain      string `json:"domain,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// TimeOcurred is spelt as in the v4 specifications.
	TimeOcurred string `json:"timeOcurred"`
	// Event holds the entity under its field (productOrder): its id, href,
	// @type and what changed (its new state, an item's); a GET of its href
	// gives the rest.
	Event map[string]map[string]any `json:"event"`
}

// Directory answers what a journal record leaves out, from the state of
// the engine that wrote it: a listener's registration, the order an item
// belongs to. Both are facts that do not change once recorded, so the
// notifier may ask late. An error means "ask again later" (the engine does
// not answer); ok false means there is no such thing (any more). A
// Directory may answer more: the party of an entity (Parties), the @type
// of an entity that has its own (Types).
type Directory interface {
	// Listener returns the hub listener with id.
	Listener(ctx context.Context, id string) (l Listener, ok bool, err error)
	// Order returns the id of the order whose item, of journal kind
	// itemKind (productOrderItem, serviceOrderItem, resourceOrderItem),
	// has id item.
	Order(ctx context.Context, itemKind, item string) (order string, ok bool, err error)
	// Suspend records that the listener with id is suspended, and why
	// (its callback's last error, redacted); it is journalled as a
	// change of the listener.
	Suspend(ctx context.Context, id, reason string) error
}

// Listener is a registration on a hub.
type Listener struct {
	ID       string
	Callback string
	// Query filters its events (see ParseQuery).
	Query string
	// Base is the base path of the API it registered on: it gets that
	// API's events.
	Base string
	// Tenant, when set, is the party whose events it hears (it was
	// registered by a caller bound to that party; see Parties).
	Tenant string
	// Suspended: its callback kept failing; it is sent nothing until it
	// is made active again (PATCH of its state).
	Suspended bool
}

// translator turns journal records into events.
type translator struct {
	baseURL string
	epoch   time.Time
	dir     Directory
	ids     tmf.IDSpace
	// owners caches the order of an item: itemKind + "\x00" + id → order;
	// it starts afresh when it holds maxOwners.
	mu     sync.Mutex
	owners map[string]string
	// types caches the lasting @types of entities (Types): field +
	// "\x00" + id → @type; it starts afresh when it holds maxOwners.
	types map[string]EntityType
}

// apiOf is the API whose event e is, or nil.
func apiOf(e store.Entry) *API {
	var r rule
	var ok bool
	if e.Kind == jeopardyKind {
		r, ok = jeopardyOf[e.System]
	} else {
		r, ok = byKind[e.Kind]
	}
	if !ok {
		return nil
	}
	return r.entity.API
}

// event returns the event of api that e is; ok is false when e is no
// event of api. An error is the Directory's: try again later.
func (t *translator) event(ctx context.Context, api *API, e store.Entry) (ev Event, ok bool, err error) {
	jeopardy := e.Kind == jeopardyKind
	var r rule
	if jeopardy {
		r, ok = jeopardyOf[e.System]
	} else {
		r, ok = byKind[e.Kind]
	}
	if !ok || r.entity.API != api {
		return Event{}, false, nil
	}
	ent := r.entity
	id := e.Entity
	if r.item {
		if id, ok, err = t.owner(ctx, ent, e.Entity); err != nil || !ok {
			return Event{}, false, err
		}
	}
	typ, err := t.typeOf(ctx, ent, id)
	if err != nil {
		return Event{}, false, err
	}
	at := t.epoch.Add(e.At).UTC().Format(time.RFC3339)
	payload := map[string]any{"id": id, "href": t.baseURL + api.Base + "/" + ent.Path + "/" + url.PathEscape(id), "@type": typ.Type}
	if typ.BaseType != "" {
		payload["@baseType"] = typ.BaseType
	}
	var suffix, state string
	switch {
	case jeopardy:
		suffix = jeopardyEvent
		payload["jeopardyAlert"] = []any{map[string]any{"name": e.Entity, "jeopardyType": e.To, "message": e.Reason,
			"alertDate": at, "@type": "JeopardyAlert"}}
	case r.milestone:
		suffix = milestoneEvent
		payload["milestone"] = []any{map[string]any{"name": e.To, "milestoneDate": at, "status": "reached",
			"message": e.Name + " " + e.To, "orderItem": []any{map[string]any{"id": e.Entity}}, "@type": "Milestone"}}
	case r.item:
		suffix = attributeChange
		payload[ent.Items] = []any{map[string]any{"id": e.Entity, "state": e.To, "@type": ent.ItemType}}
	case e.Event == docCreate:
		suffix = createEvent
		if e.To != docCreatedState {
			state = e.To
		}
	case e.Event == docPatch:
		suffix = attributeChange
	case e.Event == inventoryModify:
		suffix, state = attributeChange, e.To
	case e.Event == docDelete:
		suffix = deleteEvent
	default:
		suffix, state = stateChange, e.To
	}
	if api.changeOnly && (suffix == attributeChange || suffix == stateChange) {
		suffix = changeEvent
	}
	switch {
	case state == "" || ent.State == "":
	case ent.onWire != nil:
		ent.onWire(payload, state)
	default:
		payload[ent.State] = state
	}
	title := ent.Type + " " + id
	switch {
	case jeopardy:
		title += " in jeopardy (" + e.To + "): " + e.Entity
	case r.milestone:
		title += " milestone " + e.To + ": " + e.Entity
	case r.item:
		title += " " + ent.ItemType + " " + e.Entity + " " + e.To
	case e.Event == inventoryModify:
		title += " changed"
	case e.To != "":
		title += " " + e.To
	}
	return Event{EventID: strconv.FormatInt(int64(t.ids.Nth(int(e.Seq))), 10), EventTime: at, EventType: ent.Type + suffix, Domain: api.Name,
		Title: title, Description: e.Reason, TimeOcurred: at, Event: map[string]map[string]any{ent.Field: payload}}, true, nil
}

// maxOwners is the most items whose order the translator remembers.
const maxOwners = 1 << 16

// owner returns the order of ent that part belongs to: an item, or a part
// named <order>/<part> (a wave).
func (t *translator) owner(ctx context.Context, ent *Entity, part string) (string, bool, error) {
	if order, _, ok := strings.Cut(part, "/"); ok {
		return order, true, nil
	}
	kind := ent.itemKind()
	key := kind + "\x00" + part
	t.mu.Lock()
	order, ok := t.owners[key]
	t.mu.Unlock()
	if ok {
		return order, true, nil
	}
	order, ok, err := t.dir.Order(ctx, kind, part)
	if err != nil || !ok {
		return "", false, err
	}
	t.mu.Lock()
	if t.owners == nil || len(t.owners) >= maxOwners {
		// The cache holds the items of recent records: a long-lived
		// server's items are not all kept for ever.
		t.owners = map[string]string{}
	}
	t.owners[key] = order
	t.mu.Unlock()
	return order, true, nil
}
