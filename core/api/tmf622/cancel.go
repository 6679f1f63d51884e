package tmf622

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
)

// CancelProductOrder is a TMF622 v4 CancelProductOrder: the task of
// cancelling an order. Its state (TaskStateType) follows the order:
// inProgress while the order is being cancelled, done once it is
// cancelled or nothing more of it can be, rejected when COM refused it all.
type CancelProductOrder struct {
	ID                        string     `json:"id"`
	Href                      string     `json:"href"`
	State                     string     `json:"state"`
	CancellationReason        string     `json:"cancellationReason,omitempty"`
	EffectiveCancellationDate string     `json:"effectiveCancellationDate,omitempty"`
	ProductOrder              tmf630.Ref `json:"productOrder"`
	// StateReason lists what COM refused to cancel and why (sites past
	// the point of no return).
	StateReason string `json:"stateReason,omitempty"`
	Type        string `json:"@type"`
}

// cancellations is the docs collection of cancellation tasks.
const cancellations = "cancelProductOrder"

var cancelAttrs = tmf630.Attributes(CancelProductOrder{})

// cancelIn is the body of POST cancelProductOrder.
type cancelIn struct {
	ID                 json.RawMessage `json:"id"`
	Href               json.RawMessage `json:"href"`
	State              json.RawMessage `json:"state"`
	CancellationReason string          `json:"cancellationReason"`
	ProductOrder       *tmf630.Ref     `json:"productOrder"`
}

// DecodeCancellation reads the body of POST cancelProductOrder.
func DecodeCancellation(body []byte) (*cancelIn, *tmf630.Error) {
	var in cancelIn
	if e := tmf630.DecodeObject(body, &in); e != nil {
		return nil, e
	}
	if e := (tmf630.ServerManaged{ID: in.ID, Href: in.Href, State: in.State}).Refuse("cancelProductOrder"); e != nil {
		return nil, e
	}
	if in.ProductOrder == nil || in.ProductOrder.ID == "" {
		return nil, tmf630.NewError(http.StatusBadRequest, "productOrder.id: required")
	}
	return &in, nil
}

func (s ordering) postCancellation(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	in, e := DecodeCancellation(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	key := tmf630.KeyOf(r, cancellations)
	if prev, e := tmf630.Replay(s.n, r, key, cancellations, s.readCancellation); e != nil || prev != nil {
		if e != nil {
			tmf630.WriteError(w, e)
		} else {
			tmf630.Replayed(w, prev.Href, prev)
		}
		return
	}
	po, e := s.productOrderByID(r, in.ProductOrder.ID)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if lc.IsFinal(lc.ProductOrder, po.State) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, "productOrder "+po.ID+" is "+po.State+": it can no longer be cancelled"))
		return
	}
	reply, e := s.n.Command(r.Context(), engine.COM, com.Cancel{Order: po.ID, Reason: in.CancellationReason})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	done := reply.(com.Cancelled)
	task := map[string]any{"productOrder": map[string]any{"id": po.ID}, "cancellationReason": in.CancellationReason,
		"rejected": done.Cancelling == 0}
	if len(done.Refused) > 0 {
		task["stateReason"] = "refused: " + strings.Join(done.Refused, "; ")
	}
	b, _ := json.Marshal(task)
	put, e := s.n.Command(r.Context(), engine.Docs, docs.Put{Collection: cancellations, Prefix: "CPO", Body: b, Key: key})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	doc := put.(docs.Result).Doc
	c, e := s.cancellationByID(r, doc.ID)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.Created(w, c.Href, c)
}

func (s ordering) listCancellations(w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(s.n, w, r, cancelAttrs, func() []CancelProductOrder { return tmf630.MapAll(s.n.Docs.List(cancellations), s.cancellation) })
}

func (s ordering) getCancellation(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, cancellations, s.readCancellation)
}

// readCancellation maps the cancellation task with id, or gives nil.
func (s ordering) readCancellation(id string) *CancelProductOrder {
	d := s.n.Docs.Get(cancellations, id)
	return tmf630.Ptr(d, d != nil, s.cancellation)
}

func (s ordering) cancellationByID(r *http.Request, id string) (*CancelProductOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.n, r, cancellations, id, s.readCancellation)
}

// cancellation maps a cancellation task to the wire, its state read off
// the order's; run it on the engine's goroutine.
func (s ordering) cancellation(d *docs.Doc) CancelProductOrder {
	order, _ := d.Body["productOrder"].(map[string]any)
	id, _ := order["id"].(string)
	reason, _ := d.Body["cancellationReason"].(string)
	why, _ := d.Body["stateReason"].(string)
	rejected, _ := d.Body["rejected"].(bool)
	c := CancelProductOrder{ID: d.ID, Href: tmf630.ProductOrdering + "/" + cancellations + "/" + d.ID, CancellationReason: reason,
		ProductOrder: tmf630.Ref{ID: id, Href: tmf630.ProductOrdering + "/productOrder/" + id, ReferredType: "ProductOrder"},
		StateReason:  why, Type: "CancelProductOrder"}
	po := s.n.COM.Order(id)
	switch {
	case po == nil && rejected:
		c.State = "terminatedWithError"
	case po == nil:
		c.State = "done" // the order ended and left memory: what could be cancelled was
	case po.State == lc.Cancelled:
		c.State = "done"
		c.EffectiveCancellationDate = s.n.Date(po.CompletionDate)
	case po.State == lc.AssessingCancellation || po.State == lc.PendingCancellation:
		c.State = "inProgress"
	case rejected:
		c.State = "terminatedWithError" // COM refused every site
	default:
		c.State = "done" // what could be cancelled was; the rest goes on
	}
	return c
}
