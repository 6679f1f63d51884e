package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hubServer serves the hubs of a server that runs COM, on an engine
// serving in the bubble; stop ends it.
func hubServer(t *testing.T) (srv *api.Server, journal *store.Memory, stop func()) {
	journal = store.NewMemory()
	e := engine.New(engine.Options{Store: journal})
	d := docs.New()
	e.Handle(engine.Docs, d)
	srv = &api.Server{Engine: e, Docs: d, COM: com.New(com.Config{}),
		Hub: api.HubPolicy{Callbacks: events.MustCallbacks("public", "127.0.0.0/8")}} // loopback: the tests' listeners
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Serve(ctx) }()
	return srv, journal, func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}
}

func call(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TMF630 hub: POST registers a listener (201, Location, the subscription
// with its id); DELETE removes it (204), then it is unknown (404), and it
// is only known on the hub of the API it registered on. The listener is a
// document, journalled like every change, and the notifier reads it back
// with its API's base path.
func TestHubRegisterAndRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, journal, stop := hubServer(t)
		defer stop()
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		w := call(h, "POST", hub, `{"callback":"https://crm.example/listener","query":"eventType=ProductOrderStateChangeEvent"}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, hub+"/HUB-001", w.Header().Get("Location"))
		assert.JSONEq(t, `{"id":"HUB-001","callback":"https://crm.example/listener","query":"eventType=ProductOrderStateChangeEvent","state":"active"}`, w.Body.String())

		l, ok, err := srv.Listeners().Listener(context.Background(), "HUB-001")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, events.Listener{ID: "HUB-001", Callback: "https://crm.example/listener",
			Query: "eventType=ProductOrderStateChangeEvent", Base: events.ProductOrdering.Base}, l)

		w = call(h, "POST", events.QuoteManagement.Base+"/hub", `{"callback":"http://127.0.0.1:9000/q"}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.JSONEq(t, `{"id":"HUB-002","callback":"http://127.0.0.1:9000/q","state":"active"}`, w.Body.String())

		w = call(h, "DELETE", events.QuoteManagement.Base+"/hub/HUB-001", "")
		assert.Equal(t, http.StatusNotFound, w.Code, "registered on another API's hub")
		assert.Contains(t, w.Body.String(), "no listener HUB-001 on the hub of quoteManagement")
		w = call(h, "DELETE", hub+"/HUB-001", "")
		assert.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
		assert.Empty(t, w.Body.String())
		w = call(h, "DELETE", hub+"/HUB-001", "")
		assert.Equal(t, http.StatusNotFound, w.Code)
		_, ok, err = srv.Listeners().Listener(context.Background(), "HUB-001")
		require.NoError(t, err)
		assert.False(t, ok)

		var kinds []string
		for _, r := range journal.Records() {
			kinds = append(kinds, r.Kind+" "+r.Entity+" "+r.Event)
		}
		assert.Equal(t, []string{"hub HUB-001 create", "hub HUB-002 create", "hub HUB-001 delete"}, kinds)
	})
}

// A bad registration is refused with 400 naming the field, and registers
// nothing.
func TestHubRefusesBadBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, journal, stop := hubServer(t)
		defer stop()
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		for _, c := range []struct{ body, msg string }{
			{`{"callback":`, "malformed JSON"},
			{`[]`, "want an object"},
			{`{"callback":"https://a.example/x"} {}`, "more than one JSON value"},
			{`{}`, "callback: missing"},
			{`{"callback":""}`, "callback: missing"},
			{`{"callback":7}`, "callback: want a string"},
			{`{"callback":"/relative/path"}`, `callback "/relative/path": want an absolute http or https URL`},
			{`{"callback":"ftp://files.example/x"}`, `callback "ftp://files.example/x": want an absolute http or https URL`},
			{`{"callback":"http://"}`, `callback "http://": want an absolute http or https URL`},
			{`{"callback":"mailto:ops@example.com"}`, "want an absolute http or https URL"},
			{`{"callback":"https://a.example/` + strings.Repeat("x", 2100) + `"}`, "callback: 2118 characters; want at most 2048"},
			{`{"id":"HUB-9","callback":"https://a.example/x"}`, "id: set by the server"},
			{`{"href":"x","callback":"https://a.example/x"}`, "href: set by the server"},
			{`{"callback":"https://a.example/x","colour":"red"}`, `unknown field "colour"`},
			{`{"callback":"https://a.example/x","query":"eventType=QuoteCreateEvent"}`, `query "eventType=QuoteCreateEvent": eventType QuoteCreateEvent: not an event of productOrderingManagement`},
			{`{"callback":"https://a.example/x","query":"state=done"}`, `query "state=done": state: not a condition`},
			{`{"callback":"https://a.example/x","query":3}`, "query: want a string"},
			{``, "the body is empty"},
		} {
			w := call(h, "POST", hub, c.body)
			assert.Equal(t, http.StatusBadRequest, w.Code, c.body)
			var e api.Error
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), c.body)
			assert.Contains(t, e.Message, c.msg, c.body)
			assert.Equal(t, "400", e.Code)
		}
		assert.Zero(t, journal.Len(), "nothing registered")
		w := call(h, "POST", hub, `{"@type":"EventSubscriptionInput","callback":"HTTPS://A.example/x"}`)
		assert.Equal(t, http.StatusCreated, w.Code, "TMF's @ fields are taken, a scheme in capitals too")
	})
}

// A server that does not run COM offers none of its hubs; one without
// documents offers no hub at all.
func TestHubOnlyWhereServed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _, stop := hubServer(t)
		defer stop()
		srv.COM = nil
		w := call(srv.Handler(), "POST", events.ProductOrdering.Base+"/hub", `{"callback":"https://a.example/x"}`)
		assert.Equal(t, http.StatusNotFound, w.Code)
		srv.Docs = nil
		_, ok, err := srv.Listeners().Listener(context.Background(), "HUB-001")
		assert.NoError(t, err)
		assert.False(t, ok)
	})
}

// Whatever a client posts, decoding never panics, and what it accepts is
// a registration the notifier can use: an absolute http(s) callback, a
// query that parses, the API's base path.
func FuzzDecodeListener(f *testing.F) {
	for _, s := range []string{`{"callback":"https://a.example/x"}`, `{"callback":"http://h/x","query":"eventType=ProductOrderCreateEvent"}`,
		`{"id":"1","callback":"http://h"}`, `{"callback":"//h/x"}`, `{"callback":"http://h","query":"event.productOrder.state=a,b"}`, `null`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		l, e := api.DecodeListener(body, events.ProductOrdering)
		if e != nil {
			assert.Equal(t, "400", e.Code)
			return
		}
		u, err := url.Parse(l.Callback)
		require.NoError(t, err)
		assert.Contains(t, []string{"http", "https"}, u.Scheme)
		assert.NotEmpty(t, u.Host)
		assert.Equal(t, events.ProductOrdering.Base, l.Base)
		_, err = events.ParseQuery(events.ProductOrdering, l.Query)
		assert.NoError(t, err)
	})
}

// A registration with an Idempotency-Key seen before is the listener the
// key registered (TMF630: a retried POST creates nothing twice); a key
// whose listener was removed is refused, and registers nothing.
func TestHubRegistrationIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, journal, stop := hubServer(t)
		defer stop()
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		post := func(body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", hub, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", "crm-listener-1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		w := post(`{"callback":"https://crm.example/listener"}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		w = post(`{"callback":"https://crm.example/listener"}`)
		assert.Equal(t, http.StatusCreated, w.Code)
		assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
		assert.JSONEq(t, `{"id":"HUB-001","callback":"https://crm.example/listener","state":"active"}`, w.Body.String())
		assert.Equal(t, http.StatusNoContent, call(h, "DELETE", hub+"/HUB-001", "").Code)
		w = post(`{"callback":"https://crm.example/listener"}`)
		assert.Equal(t, http.StatusConflict, w.Code)
		assert.Contains(t, w.Body.String(), "was deleted")
		assert.Equal(t, 2, journal.Len(), "one listener made, one removed")
	})
}
