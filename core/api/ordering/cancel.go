// Package ordering is what TMF641 service ordering and TMF652 resource
// ordering share: the cancellation tasks (cancelServiceOrder,
// cancelResourceOrder), the fields of a new order the server sets, and
// how a request a peer sent (a component of this deployment in another
// process) is taken instead (FromPeer, PeerCancel).
package ordering

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The cancellation tasks of TMF641 (cancelServiceOrder) and TMF652
// (cancelResourceOrder): POST asks SOM or ROM to cancel an order placed
// over its API; the task is a document of the docs component, and its
// state follows the order's (as TMF622's cancelProductOrder does,
// core/api/tmf622).

// CancelOrder is a TMF641 v4 CancelServiceOrder or TMF652 v4
// CancelResourceOrder: the task of cancelling an order. Its state
// (TaskStateType): done once the order is cancelled (or, for a service
// order, those of its items not yet ended are), terminatedWithError when
// the order ended before the request could cancel anything, inProgress
// in between.
type CancelOrder struct {
	ID                        string      `json:"id"`
	Href                      string      `json:"href"`
	State                     string      `json:"state"`
	CancellationReason        string      `json:"cancellationReason,omitempty"`
	EffectiveCancellationDate string      `json:"effectiveCancellationDate,omitempty"`
	ServiceOrder              *tmf630.Ref `json:"serviceOrder,omitempty"`
	ResourceOrder             *tmf630.Ref `json:"resourceOrder,omitempty"`
	Type                      string      `json:"@type"`
}

var cancelOrderAttrs = tmf630.Attributes(CancelOrder{})

// Cancelling is the cancellation API of one kind of order.
type Cancelling struct {
	Base       string         // the API's base path
	Collection string         // cancelServiceOrder: the task collection and its docs collection
	Prefix     string         // CSO: the prefix of task ids
	Order      string         // serviceOrder: the field naming the order, and the orders' collection
	To         engine.Address // the component that cancels
	// Read returns what the task needs of the order with id; it runs on
	// the engine's goroutine. Shelved reads the same of an order that left
	// memory, from its body on the store's shelf (kind Order).
	Read    func(id string) (Status, bool)
	Shelved func(body []byte) (Status, error)
	// Instead says how to cancel an order a component of the process
	// placed (only its orderer may cancel it).
	Instead string
}

// Status is what a cancellation task needs of its order.
type Status struct {
	State string
	Final bool
	// Cancelled tells whether an item of the order is cancelled.
	Cancelled  bool
	Completion time.Duration
	PlacedBy   engine.Address
}

// cancelOrderIn is the body of POST cancelServiceOrder or
// cancelResourceOrder (v4 CancelServiceOrder_Create,
// CancelResourceOrder_Create).
type cancelOrderIn struct {
	ID                        json.RawMessage `json:"id"`
	Href                      json.RawMessage `json:"href"`
	State                     json.RawMessage `json:"state"`
	EffectiveCancellationDate json.RawMessage `json:"effectiveCancellationDate"`
	CancellationReason        string          `json:"cancellationReason"`
	RequestedCancellationDate string          `json:"requestedCancellationDate"`
	ServiceOrder              *tmf630.Ref     `json:"serviceOrder"`
	ResourceOrder             *tmf630.Ref     `json:"resourceOrder"`
}

// DecodeOrderCancellation reads the body of POST cancelServiceOrder (order
// "serviceOrder") or cancelResourceOrder ("resourceOrder"): the order to
// cancel, by id, and the reason. A cancellation is immediate: a requested
// date is refused. Every error is a 400 naming the field.
func DecodeOrderCancellation(body []byte, order string) (id, reason string, e *tmf630.Error) {
	var in cancelOrderIn
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return "", "", e
	}
	entity := "cancelServiceOrder"
	ref := in.ServiceOrder
	if order == "resourceOrder" {
		entity, ref = "cancelResourceOrder", in.ResourceOrder
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"id", in.ID}, {"href", in.Href}, {"state", in.State}, {"effectiveCancellationDate", in.EffectiveCancellationDate}} {
		if f.v != nil {
			return "", "", tmf630.NewError(http.StatusBadRequest, f.name+": set by the server; a new "+entity+" must not carry it")
		}
	}
	switch {
	case in.RequestedCancellationDate != "":
		return "", "", tmf630.NewError(http.StatusBadRequest, "requestedCancellationDate: a cancellation takes effect at once; leave it out")
	case ref == nil || ref.ID == "":
		return "", "", tmf630.NewError(http.StatusBadRequest, order+".id: required")
	}
	return ref.ID, in.CancellationReason, nil
}

// cancelling serves the tasks of a Cancelling from n.
type cancelling struct {
	*Cancelling
	n        *tmf630.Node
	fromPeer FromPeer
}

// Routes serves the tasks of c from n, a peer's cancellation taken by
// fromPeer.
func (c *Cancelling) Routes(n *tmf630.Node, fromPeer FromPeer, mux *http.ServeMux) {
	s := cancelling{c, n, fromPeer}
	if n.Docs == nil {
		return // no docs component to keep the tasks in
	}
	mux.HandleFunc("GET "+c.Base+"/"+c.Collection, func(w http.ResponseWriter, r *http.Request) { s.list(w, r) })
	mux.HandleFunc("GET "+c.Base+"/"+c.Collection+"/{id}", func(w http.ResponseWriter, r *http.Request) { s.get(w, r) })
	mux.HandleFunc("POST "+c.Base+"/"+c.Collection, func(w http.ResponseWriter, r *http.Request) { s.post(w, r) })
}

func (c cancelling) post(w http.ResponseWriter, r *http.Request) {
	if c.fromPeer(w, r, c.To, DecodePeerCancel(c.To == engine.ROM)) {
		return // our own orderer, in its own process, cancels what it placed
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	id, reason, e := DecodeOrderCancellation(body, c.Order)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	key := tmf630.KeyOf(r, c.Collection)
	prev, e := tmf630.Replay(c.n, r, key, c.Collection, func(id string) *CancelOrder {
		d := c.n.Docs.Get(c.Collection, id)
		return tmf630.Ptr(d, d != nil, func(d *docs.Doc) CancelOrder { return c.task(d) })
	})
	if e != nil || prev != nil {
		if e != nil {
			tmf630.WriteError(w, e)
		} else {
			tmf630.Replayed(w, prev.Href, prev)
		}
		return
	}
	var st Status
	var ok bool
	if e := c.n.Query(r.Context(), func() { st, ok = c.status(id) }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	switch {
	case !ok:
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, c.Order+".id: no "+c.Order+" "+tmf630.Quote(id)))
		return
	case st.PlacedBy != 0:
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.Order+" "+id+" was placed by "+st.PlacedBy.String()+
			", which alone may cancel it: "+c.Instead))
		return
	case st.Final:
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.Order+" "+id+" is "+st.State+": it can no longer be cancelled"))
		return
	}
	if _, e := c.n.Command(r.Context(), c.To, &tmf.CancelRequest{OrderID: id, Reason: reason}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	b, _ := json.Marshal(map[string]any{c.Order: map[string]any{"id": id}, "cancellationReason": reason}) // strings: cannot fail
	put, e := c.n.Command(r.Context(), engine.Docs, docs.Put{Collection: c.Collection, Prefix: c.Prefix, Body: b, Key: key})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	res := put.(docs.Result)
	if res.Err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, "record the cancellation: "+res.Err.Error()))
		return
	}
	task, e := c.byID(r, res.Doc.ID)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.Created(w, task.Href, task)
}

func (c cancelling) list(w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(c.n, w, r, cancelOrderAttrs, func() []CancelOrder {
		return tmf630.MapAll(c.n.Docs.List(c.Collection), func(d *docs.Doc) CancelOrder { return c.task(d) })
	})
}

func (c cancelling) get(w http.ResponseWriter, r *http.Request) {
	q, e := tmf630.ByIDQuery(r, cancelOrderAttrs)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	task, e := c.byID(r, r.PathValue("id"))
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.One(w, q, task)
}

func (c cancelling) byID(r *http.Request, id string) (*CancelOrder, *tmf630.Error) {
	var task *CancelOrder
	if e := c.n.Query(r.Context(), func() {
		if d := c.n.Docs.Get(c.Collection, id); d != nil {
			v := c.task(d)
			task = &v
		}
	}); e != nil {
		return nil, e
	}
	if task == nil {
		return nil, tmf630.NewError(http.StatusNotFound, c.Collection+" "+tmf630.Quote(id)+": no such cancellation")
	}
	return task, nil
}

// status is what a task needs of order id: in memory, else on the shelf
// (a finished order that left memory, which tells not who placed it); ok
// is false when there is none.
func (c cancelling) status(id string) (Status, bool) {
	if st, ok := c.Read(id); ok || c.Shelved == nil || c.n.Shelf == nil {
		return st, ok
	}
	d, ok, err := c.n.Shelf.Shelved(c.Order, id)
	if err != nil || !ok {
		return Status{}, false
	}
	st, err := c.Shelved(d.Body)
	return st, err == nil
}

// task maps a cancellation document to the wire, its state read off the
// order's; it runs on the engine's goroutine.
func (c cancelling) task(d *docs.Doc) CancelOrder {
	order, _ := d.Body[c.Order].(map[string]any)
	id, _ := order["id"].(string)
	reason, _ := d.Body["cancellationReason"].(string)
	out := CancelOrder{ID: d.ID, Href: tmf630.EntityHref(c.Base, c.Collection, d.ID), CancellationReason: reason,
		Type: strings.ToUpper(c.Collection[:1]) + c.Collection[1:]}
	ref := &tmf630.Ref{ID: id, Href: tmf630.EntityHref(c.Base, c.Order, id), ReferredType: strings.ToUpper(c.Order[:1]) + c.Order[1:]}
	if c.Order == "resourceOrder" {
		out.ResourceOrder = ref
	} else {
		out.ServiceOrder = ref
	}
	st, ok := c.status(id)
	switch {
	case !ok:
		out.State = "terminatedWithError"
	case !st.Final:
		out.State = "inProgress"
	case st.Cancelled:
		out.State = "done"
		out.EffectiveCancellationDate = c.n.Date(st.Completion)
	default:
		out.State = "terminatedWithError" // it ended before the request came
	}
	return out
}
