package api

import (
	"encoding/json"
	"net/http"
	"strconv"
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
// cancelorder.go).

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

// orderCancelling is the cancellation API of one kind of order.
type orderCancelling struct {
	base       string         // the API's base path
	collection string         // cancelServiceOrder: the task collection and its docs collection
	prefix     string         // CSO: the prefix of task ids
	order      string         // serviceOrder: the field naming the order, and the orders' collection
	to         engine.Address // the component that cancels
	// read returns what the task needs of the order with id; it runs on
	// the engine's goroutine.
	read func(id string) (orderStatus, bool)
	// instead says how to cancel an order a component of the process
	// placed (only its orderer may cancel it).
	instead string
}

// orderStatus is what a cancellation task needs of its order.
type orderStatus struct {
	state string
	final bool
	// cancelled tells whether an item of the order is cancelled.
	cancelled  bool
	completion time.Duration
	placedBy   engine.Address
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

func (c *orderCancelling) routes(s *Server, mux *http.ServeMux) {
	if s.Docs == nil {
		return // no docs component to keep the tasks in
	}
	mux.HandleFunc("GET "+c.base+"/"+c.collection, func(w http.ResponseWriter, r *http.Request) { c.list(s, w, r) })
	mux.HandleFunc("GET "+c.base+"/"+c.collection+"/{id}", func(w http.ResponseWriter, r *http.Request) { c.get(s, w, r) })
	mux.HandleFunc("POST "+c.base+"/"+c.collection, func(w http.ResponseWriter, r *http.Request) { c.post(s, w, r) })
}

func (c *orderCancelling) post(s *Server, w http.ResponseWriter, r *http.Request) {
	if s.fromPeer(w, r, c.to, decodePeerCancel(c.to == engine.ROM)) {
		return // our own orderer, in its own process, cancels what it placed
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	id, reason, e := DecodeOrderCancellation(body, c.order)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	key := tmf630.KeyOf(r, c.collection)
	prev, e := tmf630.Replay(s.Node(), r, key, c.collection, func(id string) *CancelOrder {
		d := s.Docs.Get(c.collection, id)
		return tmf630.Ptr(d, d != nil, func(d *docs.Doc) CancelOrder { return c.task(s, d) })
	})
	if e != nil || prev != nil {
		if e != nil {
			tmf630.WriteError(w, e)
		} else {
			tmf630.Replayed(w, prev.Href, prev)
		}
		return
	}
	var st orderStatus
	var ok bool
	if e := s.Node().Query(r.Context(), func() { st, ok = c.read(id) }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	switch {
	case !ok:
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, c.order+".id: no "+c.order+" "+strconv.Quote(id)))
		return
	case st.placedBy != 0:
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.order+" "+id+" was placed by "+st.placedBy.String()+
			", which alone may cancel it: "+c.instead))
		return
	case st.final:
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.order+" "+id+" is "+st.state+": it can no longer be cancelled"))
		return
	}
	if _, e := s.Node().Command(r.Context(), c.to, &tmf.CancelRequest{OrderID: id, Reason: reason}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	b, _ := json.Marshal(map[string]any{c.order: map[string]any{"id": id}, "cancellationReason": reason}) // strings: cannot fail
	put, e := s.Node().Command(r.Context(), engine.Docs, docs.Put{Collection: c.collection, Prefix: c.prefix, Body: b, Key: key})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	res := put.(docs.Result)
	if res.Err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, "record the cancellation: "+res.Err.Error()))
		return
	}
	task, e := c.byID(s, r, res.Doc.ID)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.Created(w, task.Href, task)
}

func (c *orderCancelling) list(s *Server, w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(s.Node(), w, r, cancelOrderAttrs, func() []CancelOrder {
		return tmf630.MapAll(s.Docs.List(c.collection), func(d *docs.Doc) CancelOrder { return c.task(s, d) })
	})
}

func (c *orderCancelling) get(s *Server, w http.ResponseWriter, r *http.Request) {
	q, e := tmf630.ByIDQuery(r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	task, e := c.byID(s, r, r.PathValue("id"))
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.One(w, q, task)
}

func (c *orderCancelling) byID(s *Server, r *http.Request, id string) (*CancelOrder, *tmf630.Error) {
	var task *CancelOrder
	if e := s.Node().Query(r.Context(), func() {
		if d := s.Docs.Get(c.collection, id); d != nil {
			v := c.task(s, d)
			task = &v
		}
	}); e != nil {
		return nil, e
	}
	if task == nil {
		return nil, tmf630.NewError(http.StatusNotFound, c.collection+" "+strconv.Quote(id)+": no such cancellation")
	}
	return task, nil
}

// task maps a cancellation document to the wire, its state read off the
// order's; it runs on the engine's goroutine.
func (c *orderCancelling) task(s *Server, d *docs.Doc) CancelOrder {
	order, _ := d.Body[c.order].(map[string]any)
	id, _ := order["id"].(string)
	reason, _ := d.Body["cancellationReason"].(string)
	out := CancelOrder{ID: d.ID, Href: tmf630.EntityHref(c.base, c.collection, d.ID), CancellationReason: reason,
		Type: strings.ToUpper(c.collection[:1]) + c.collection[1:]}
	ref := &tmf630.Ref{ID: id, Href: tmf630.EntityHref(c.base, c.order, id), ReferredType: strings.ToUpper(c.order[:1]) + c.order[1:]}
	if c.order == "resourceOrder" {
		out.ResourceOrder = ref
	} else {
		out.ServiceOrder = ref
	}
	st, ok := c.read(id)
	switch {
	case !ok:
		out.State = "terminatedWithError"
	case !st.final:
		out.State = "inProgress"
	case st.cancelled:
		out.State = "done"
		out.EffectiveCancellationDate = s.Node().Date(st.completion)
	default:
		out.State = "terminatedWithError" // it ended before the request came
	}
	return out
}
