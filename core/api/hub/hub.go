// Package hub is the hub of every TMF API (TMF630 hub/listener): clients
// register listeners for an API's events, see, suspend and remove them;
// the notifier (core/events) sends each listener its events (docs/api.md).
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
)

// hubPrefix prefixes the ids of listeners (HUB-001).
const hubPrefix = "HUB"

// maxCallback is the longest callback URL a listener may give.
const maxCallback = 2048

// DefaultQuota is how many listeners a tenant may register when
// Policy.Quota is 0.
const DefaultQuota = 100

// Policy is what the hubs allow.
type Policy struct {
	// Callbacks is where callbacks may go, checked at registration (the
	// notifier checks again on every address it dials); nil is the
	// default allow-list (public addresses only).
	Callbacks *events.Callbacks
	// Quota is how many listeners one tenant may have on all the hubs;
	// 0 means DefaultQuota.
	Quota int
	// Tenant, when set, is the tenant a request acts for in place of the
	// authenticated identity's party (tests of the hub alone).
	Tenant func(r *http.Request) string
}

func (p Policy) callbacks() *events.Callbacks {
	if p.Callbacks == nil {
		return events.MustCallbacks(events.DefaultAllow...)
	}
	return p.Callbacks
}

func (p Policy) quota() int {
	if p.Quota <= 0 {
		return DefaultQuota
	}
	return p.Quota
}

// tenant is the party a request acts for, and whether it is bound to it:
// the authenticated caller's (tmf630.Caller), or Tenant's. An unbound caller
// (operations, admin) counts as tenant "" for the quota and sees every
// tenant's listeners.
func (p Policy) tenant(r *http.Request) (string, bool) {
	if p.Tenant != nil {
		return p.Tenant(r), true
	}
	id, scoped := tmf630.Caller(r)
	return id.Tenant, scoped
}

// Listener states (the state of an EventSubscription, an extension of
// v4's): an active listener is sent its events; a suspended one, whose
// callback kept failing, is sent nothing until a PATCH makes it active.
const (
	listenerActive    = "active"
	listenerSuspended = "suspended"
)

// hubs serves the hubs of a node's APIs as its policy allows.
type hubs struct {
	*tmf630.Node
	policy *Policy
}

// Routes routes the hub of every API n offers that has one
// (TMF630 hub/listener; the v4 /hub of TMF620, 622, 633, 637, 638, 639,
// 641, 652 and quote management): POST {base}/hub registers a listener,
// GET {base}/hub/{id} shows it, PATCH {base}/hub/{id} suspends it or
// makes it active again, DELETE {base}/hub/{id} removes it; a tenant sees
// only its own. Listeners are documents of the docs collection "hub", so
// they outlive a restart; the notifier (core/events) sends each the
// events of the API it registered on. p is read on every request.
func Routes(n *tmf630.Node, p *Policy, mux *http.ServeMux) {
	if n.Docs == nil {
		return
	}
	s := &hubs{n, p}
	for _, a := range events.APIs() {
		if !s.offers(a) {
			continue
		}
		mux.HandleFunc("POST "+a.Base+"/hub", func(w http.ResponseWriter, r *http.Request) { s.registerListener(w, r, a) })
		mux.HandleFunc("GET "+a.Base+"/hub/{id}", func(w http.ResponseWriter, r *http.Request) { s.getListener(w, r, a) })
		mux.HandleFunc("PATCH "+a.Base+"/hub/{id}", func(w http.ResponseWriter, r *http.Request) { s.patchListener(w, r, a) })
		mux.HandleFunc("DELETE "+a.Base+"/hub/{id}", func(w http.ResponseWriter, r *http.Request) { s.unregisterListener(w, r, a) })
	}
}

// offers tells whether the server runs the component behind a's entities.
func (s *hubs) offers(a *events.API) bool {
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
// EventSubscription), its callback redacted (events.Redact), with its
// state and, when suspended, the last error of its callback.
type EventSubscription struct {
	ID        string `json:"id"`
	Callback  string `json:"callback"`
	Query     string `json:"query,omitempty"`
	State     string `json:"state"`
	LastError string `json:"lastError,omitempty"`
}

// hubBody is what a listener's document keeps: the registration (its
// callback intact), the base path of the API it registered on, the
// tenant that registered it, and its state once it changed.
type hubBody struct {
	Callback  string `json:"callback"`
	Query     string `json:"query,omitempty"`
	BasePath  string `json:"basePath"`
	Tenant    string `json:"tenant,omitempty"`
	State     string `json:"state,omitempty"`
	LastError string `json:"lastError,omitempty"`
}

// subscription is the wire form of a listener's document.
func subscription(d *docs.Doc) EventSubscription {
	var b hubBody
	raw, _ := json.Marshal(d.Body)
	_ = json.Unmarshal(raw, &b)
	if b.State == "" {
		b.State = listenerActive
	}
	return EventSubscription{ID: d.ID, Callback: events.Redact(b.Callback), Query: b.Query, State: b.State, LastError: b.LastError}
}

func (s *hubs) registerListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	b, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	in, e := DecodeListener(b, a)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if err := s.policy.callbacks().CheckURL(in.Callback); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, events.ErrRefused) {
			status = http.StatusUnprocessableEntity
		}
		tmf630.WriteError(w, tmf630.NewError(status, fmt.Sprintf("callback %s: %v", events.Redact(in.Callback), err)))
		return
	}
	tenant, _ := s.policy.tenant(r)
	stored, err := json.Marshal(hubBody{Callback: in.Callback, Query: in.Query, BasePath: a.Base, Tenant: tenant})
	if err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	put := docs.Put{Collection: events.HubCollection, Prefix: hubPrefix, Body: stored,
		Key: tmf630.KeyOf(r, a.Base), Limit: &docs.Limit{Field: "tenant", Max: s.policy.quota()}}
	if r.Header.Get(tmf630.ForwardedHeader) != "" {
		put.ID = r.Header.Get(tmf630.ListenerHeader) // a deployment's listener, in another shard
	}
	v, e := s.Node.Command(r.Context(), engine.Docs, put)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	res := v.(docs.Result)
	switch {
	case res.Err != nil && res.Duplicate:
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, "Idempotency-Key: "+res.Err.Error()))
		return
	case errors.Is(res.Err, docs.ErrConflict):
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, "register the listener: "+res.Err.Error()))
		return
	case errors.Is(res.Err, docs.ErrLimit):
		tmf630.WriteError(w, tmf630.NewError(http.StatusForbidden, fmt.Sprintf("the tenant has %d listeners, the most allowed: remove one first", s.policy.quota())))
		return
	case res.Err != nil:
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, "register the listener: "+res.Err.Error()))
		return
	case res.Duplicate:
		// The listener the key registered first, as it now is.
		w.Header().Set("Idempotent-Replayed", "true")
	}
	tmf630.Created(w, a.Base+"/hub/"+url.PathEscape(res.Doc.ID), subscription(res.Doc))
}

// hubDoc reads the document of listener id registered on a's hub by the
// request's tenant: a 404 when there is none (another tenant's is none).
func (s *hubs) hubDoc(r *http.Request, a *events.API, id string) (*docs.Doc, *tmf630.Error) {
	var d *docs.Doc
	if e := s.Node.Query(r.Context(), func() { d = s.Docs.Get(events.HubCollection, id) }); e != nil {
		return nil, e
	}
	var owner string
	if d != nil {
		owner, _ = d.Body["tenant"].(string)
	}
	tenant, scoped := s.policy.tenant(r)
	if d == nil || d.Body["basePath"] != a.Base || scoped && owner != tenant {
		return nil, tmf630.NewError(http.StatusNotFound, "no listener "+jsonerr.Clip(id)+" on the hub of "+a.Name)
	}
	return d, nil
}

func (s *hubs) getListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	d, e := s.hubDoc(r, a, r.PathValue("id"))
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, subscription(d))
}

// patchListener changes a listener's state: {"state": "active"} makes a
// suspended listener active again (it is sent the events it missed, from
// the one that failed), {"state": "suspended"} suspends it. Nothing else
// of a listener changes: register a new one instead.
func (s *hubs) patchListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	b, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	var in struct {
		State string `json:"state"`
	}
	if e := tmf630.DecodeStrict(b, &in); e != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "want {\"state\": \"active\"} or {\"state\": \"suspended\"}; "+e.Message))
		return
	}
	if in.State != listenerActive && in.State != listenerSuspended {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("state %q: want active or suspended", in.State)))
		return
	}
	id := r.PathValue("id")
	if _, e := s.hubDoc(r, a, id); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	patch := map[string]any{"state": in.State, "lastError": nil}
	if in.State == listenerSuspended {
		patch["lastError"] = "suspended by a PATCH"
	}
	d, err := patchHub(r.Context(), s.Node, id, patch)
	switch {
	case errors.Is(err, docs.ErrNotFound): // removed meanwhile
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no listener "+jsonerr.Clip(id)+" on the hub of "+a.Name))
	case err != nil:
		tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable, "change the listener: "+err.Error()))
	default:
		tmf630.WriteJSON(w, http.StatusOK, subscription(d))
	}
}

// patchHub merges patch into listener id's document.
func patchHub(ctx context.Context, n *tmf630.Node, id string, patch map[string]any) (*docs.Doc, error) {
	body, err := json.Marshal(patch)
	if err != nil {
		return nil, err
	}
	v, e := n.Command(ctx, engine.Docs, docs.Patch{Collection: events.HubCollection, ID: id, Body: body})
	if e != nil {
		return nil, e
	}
	res := v.(docs.Result)
	return res.Doc, res.Err
}

func (s *hubs) unregisterListener(w http.ResponseWriter, r *http.Request, a *events.API) {
	id := r.PathValue("id")
	if _, e := s.hubDoc(r, a, id); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	v, e := s.Node.Command(r.Context(), engine.Docs, docs.Delete{Collection: events.HubCollection, ID: id})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	switch err := v.(docs.Result).Err; {
	case errors.Is(err, docs.ErrNotFound): // removed meanwhile
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no listener "+jsonerr.Clip(id)+" on the hub of "+a.Name))
	case err != nil:
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, "remove the listener: "+err.Error()))
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
func DecodeListener(body []byte, a *events.API) (events.Listener, *tmf630.Error) {
	var in hubInput
	if e := tmf630.DecodeStrict(body, &in); e != nil {
		return events.Listener{}, e
	}
	bad := func(format string, args ...any) (events.Listener, *tmf630.Error) {
		return events.Listener{}, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf(format, args...))
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
func listener(n *tmf630.Node, id string) (events.Listener, bool) {
	d := n.Docs.Get(events.HubCollection, id)
	if d == nil {
		return events.Listener{}, false
	}
	l := events.Listener{ID: d.ID}
	l.Callback, _ = d.Body["callback"].(string)
	l.Query, _ = d.Body["query"].(string)
	l.Base, _ = d.Body["basePath"].(string)
	l.Tenant, _ = d.Body["tenant"].(string)
	l.Suspended = d.Body["state"] == listenerSuspended
	return l, true
}

// Listener is the listener with id (events.Directory).
func Listener(ctx context.Context, n *tmf630.Node, id string) (l events.Listener, ok bool, err error) {
	if n.Docs == nil {
		return events.Listener{}, false, nil
	}
	err = n.Read(ctx, func() { l, ok = listener(n, id) })
	return l, ok, err
}

// Suspend records that listener id is suspended, and why
// (events.Directory); a listener removed meanwhile stays removed.
func Suspend(ctx context.Context, n *tmf630.Node, id, reason string) error {
	_, err := patchHub(ctx, n, id, map[string]any{"state": listenerSuspended, "lastError": reason})
	if errors.Is(err, docs.ErrNotFound) {
		return nil
	}
	return err
}
