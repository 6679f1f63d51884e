package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// hubPrefix prefixes the ids of listeners (HUB-001).
const hubPrefix = "HUB"

// maxCallback is the longest callback URL a listener may give.
const maxCallback = 2048

// hub routes the hub of every API this server offers that has one
// (TMF630 hub/listener; the v4 /hub of TMF620, 622, 633, 637, 638, 639,
// 641, 652 and quote management): POST {base}/hub registers a listener,
// DELETE {base}/hub/{id} removes it. Listeners are documents of the docs
// collection "hub", so they outlive a restart; the notifier (core/events)
// sends each the events of the API it registered on.
func (s *Server) hub(mux *http.ServeMux) {
	if s.Docs == nil {
		return
	}
	for _, a := range events.APIs() {
		if !s.offers(a) {
			continue
		}
		mux.HandleFunc("POST "+a.Base+"/hub", func(w http.ResponseWriter, r *http.Request) { s.registerListener(w, r, a) })
		mux.HandleFunc("DELETE "+a.Base+"/hub/{id}", func(w http.ResponseWriter, r *http.Request) { s.unregisterListener(w, r, a) })
	}
}

// offers tells whether the server runs the component behind a's entities.
func (s *Server) offers(a *events.API) bool {
	switch a {
	case events.ProductOrdering, events.QuoteManagement, events.ProductInventory:
		return s.COM != nil
	case events.ProductCatalog, events.ServiceCatalog:
		return s.Catalog != nil
	case events.ServiceOrdering, events.ServiceInventory:
		return s.SOM != nil
	case events.ResourceOrdering, events.ResourceInventory:
		return s.ROM != nil
	}
	return false
}

// EventSubscription is a registered listener on the wire (v4
// EventSubscription).
type EventSubscription struct {
	ID       string `json:"id"`
	Callback string `json:"callback"`
	Query    string `json:"query,omitempty"`
}

// hubBody is what a listener's document keeps: the registration and the
// base path of the API it registered on.
type hubBody struct {
	Callback string `json:"callback"`
	Query    string `json:"query,omitempty"`
	BasePath string `json:"basePath"`
	// Tenant is the party of the caller that registered it, when bound
	// to one: the listener hears of that party's entities only.
	Tenant string `json:"tenant,omitempty"`
}

func (s *Server) registerListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	b, e := ReadBody(w, r)
	if e != nil {
		WriteError(w, e)
		return
	}
	in, e := DecodeListener(b, a)
	if e != nil {
		WriteError(w, e)
		return
	}
	body := hubBody{Callback: in.Callback, Query: in.Query, BasePath: a.Base}
	if id, scoped := caller(r); scoped {
		body.Tenant = id.Tenant
	}
	stored, err := json.Marshal(body)
	if err != nil {
		WriteError(w, NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	v, e := s.Command(r.Context(), engine.Docs, docs.Put{Collection: events.HubCollection, Prefix: hubPrefix, Body: stored,
		Key: keyOf(r, a.Base)})
	if e != nil {
		WriteError(w, e)
		return
	}
	res := v.(docs.Result)
	switch {
	case res.Err != nil && res.Duplicate:
		WriteError(w, NewError(http.StatusConflict, "Idempotency-Key: "+res.Err.Error()))
		return
	case res.Err != nil:
		WriteError(w, NewError(http.StatusInternalServerError, "register the listener: "+res.Err.Error()))
		return
	case res.Duplicate:
		// The listener the key registered first, as it was asked.
		w.Header().Set("Idempotent-Replayed", "true")
		in.Callback, _ = res.Doc.Body["callback"].(string)
		in.Query, _ = res.Doc.Body["query"].(string)
	}
	Created(w, a.Base+"/hub/"+url.PathEscape(res.Doc.ID), EventSubscription{ID: res.Doc.ID, Callback: in.Callback, Query: in.Query})
}

func (s *Server) unregisterListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	id := r.PathValue("id")
	var l events.Listener
	var found bool
	if e := s.Query(r.Context(), func() { l, found = s.listener(id) }); e != nil {
		WriteError(w, e)
		return
	}
	notFound := NewError(http.StatusNotFound, fmt.Sprintf("no listener %s on the hub of %s", id, a.Name))
	if !found || l.Base != a.Base || !sees(r, l.Tenant) {
		WriteError(w, notFound)
		return
	}
	v, e := s.Command(r.Context(), engine.Docs, docs.Delete{Collection: events.HubCollection, ID: id})
	if e != nil {
		WriteError(w, e)
		return
	}
	switch err := v.(docs.Result).Err; {
	case errors.Is(err, docs.ErrNotFound): // removed meanwhile
		WriteError(w, notFound)
	case err != nil:
		WriteError(w, NewError(http.StatusInternalServerError, "remove the listener: "+err.Error()))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// hubInput is the body of a registration (v4 EventSubscriptionInput):
// callback and query; id and href are the server's.
type hubInput struct {
	Callback       *string         `json:"callback"`
	Query          *string         `json:"query"`
	ID             json.RawMessage `json:"id"`
	Href           json.RawMessage `json:"href"`
	Type           string          `json:"@type"`
	BaseType       string          `json:"@baseType"`
	SchemaLocation string          `json:"@schemaLocation"`
}

// DecodeListener decodes and checks the body of a registration on a's
// hub. The error is a 400 naming the field: a body that is not one JSON
// object, an unknown field, id or href given, callback missing or not an
// absolute http(s) URL, a query that is not a filter of a's events.
func DecodeListener(body []byte, a *events.API) (events.Listener, *Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in hubInput
	if err := dec.Decode(&in); err != nil {
		return events.Listener{}, DecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return events.Listener{}, NewError(http.StatusBadRequest, "the body holds more than one JSON value: want one object")
	}
	bad := func(format string, args ...any) (events.Listener, *Error) {
		return events.Listener{}, NewError(http.StatusBadRequest, fmt.Sprintf(format, args...))
	}
	switch {
	case in.ID != nil:
		return bad("id: set by the server; leave it out")
	case in.Href != nil:
		return bad("href: set by the server; leave it out")
	case in.Callback == nil || *in.Callback == "":
		return bad("callback: missing; want the absolute http(s) URL where events are POSTed")
	case len(*in.Callback) > maxCallback:
		return bad("callback: %d characters; want at most %d", len(*in.Callback), maxCallback)
	}
	cb := *in.Callback
	u, err := url.Parse(cb)
	if err != nil || !slices.Contains([]string{"http", "https"}, u.Scheme) || u.Host == "" || u.Opaque != "" {
		return bad("callback %q: want an absolute http or https URL, such as https://listener.example/events", cb)
	}
	l := events.Listener{Callback: cb, Base: a.Base}
	if in.Query != nil {
		l.Query = *in.Query
	}
	if _, err := events.ParseQuery(a, l.Query); err != nil {
		return bad("query %q: %v", l.Query, err)
	}
	return l, nil
}

// listener returns the listener with id; on the engine's goroutine.
func (s *Server) listener(id string) (events.Listener, bool) {
	d := s.Docs.Get(events.HubCollection, id)
	if d == nil {
		return events.Listener{}, false
	}
	l := events.Listener{ID: d.ID}
	l.Callback, _ = d.Body["callback"].(string)
	l.Query, _ = d.Body["query"].(string)
	l.Base, _ = d.Body["basePath"].(string)
	l.Tenant, _ = d.Body["tenant"].(string)
	return l, true
}

// Listeners is what the notifier (core/events) asks the server: the
// listeners registered on its hubs, the orders of items.
func (s *Server) Listeners() events.Directory { return directory{s} }

// directory reads the engine's state for the notifier.
type directory struct{ s *Server }

// Listener implements events.Directory.
func (d directory) Listener(ctx context.Context, id string) (l events.Listener, ok bool, err error) {
	if d.s.Docs == nil {
		return events.Listener{}, false, nil
	}
	err = d.s.read(ctx, func() { l, ok = d.s.listener(id) })
	return l, ok, err
}

// Order implements events.Directory: the newest orders are looked at
// first, since the notifier asks about recent records.
func (d directory) Order(ctx context.Context, itemKind, item string) (order string, ok bool, err error) {
	s := d.s
	err = s.read(ctx, func() {
		switch {
		case itemKind == "productOrderItem" && s.COM != nil:
			orders := s.COM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ProductOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		case itemKind == "serviceOrderItem" && s.SOM != nil:
			orders := s.SOM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ServiceOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		case itemKind == "resourceOrderItem" && s.ROM != nil:
			orders := s.ROM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ResourceOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		}
	})
	if !ok {
		order = ""
	}
	return order, ok, err
}
