package hub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hubServer serves the hubs of a server that runs COM, on an engine
// serving in the bubble; stop ends it.
func hubServer(t *testing.T) (srv *api.Server, journal *store.Memory, stop func()) {
	journal = store.NewMemory()
	e := engine.New(engine.Options{Store: journal})
	d := docs.New(tmf.IDSpace{})
	e.Handle(engine.Docs, d)
	srv = &api.Server{Engine: e, Docs: d, COM: com.New(com.Config{}),
		Hub: hub.Policy{Callbacks: events.MustCallbacks("public", "127.0.0.0/8")}} // loopback: the tests' listeners
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
			{`{"callback":"https://a.example/x"} {}`, "data after the object"},
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
			{`{"callback":"https://a.example/x","colour":"red"}`, `unknown member "colour"; the members are @baseType, @schemaLocation, @type, callback, href, id, query`},
			{`{"callback":"https://a.example/x","query":"eventType=QuoteCreateEvent"}`, `query "eventType=QuoteCreateEvent": eventType QuoteCreateEvent: not an event of productOrderingManagement`},
			{`{"callback":"https://a.example/x","query":"state=done"}`, `query "state=done": state: not a condition`},
			{`{"callback":"https://a.example/x","query":"event.productOrder.foo=1"}`, `event.productOrder.foo: foo is not an attribute of the productOrder events carry`},
			{`{"callback":"https://a.example/x","query":3}`, "query: want a string"},
			{``, "the body is empty"},
		} {
			w := call(h, "POST", hub, c.body)
			assert.Equal(t, http.StatusBadRequest, w.Code, c.body)
			var e tmf630.Error
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
		l, e := hub.DecodeListener(body, events.ProductOrdering)
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

// A callback the hub allow-list refuses is a 422 naming why; one that is
// not a plain http(s) URL (a port out of range, an odd IPv4 form) a 400.
// Nothing is registered. The test server allows loopback; the default
// does not.
func TestHubRefusesCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, journal, stop := hubServer(t)
		defer stop()
		srv.Hub.Callbacks.Self = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		for _, c := range []struct {
			callback string
			status   int
			msg      string
		}{
			{"http://169.254.169.254/latest/meta-data/", 422, "169.254.169.254: callback address refused: cloud metadata"},
			{"http://10.0.0.8/x", 422, "private (RFC 1918)"},
			{"http://192.168.1.1/x", 422, "private (RFC 1918)"},
			{"http://[fd00:ec2::254]/x", 422, "cloud metadata"},
			{"http://127.0.0.1:8080" + events.ProductOrdering.Base + "/productOrder", 422, "the server's own API"},
			{"http://127.1/x", 400, "other than dotted decimal"},
			{"http://2130706433/x", 400, "other than dotted decimal"},
			{"http://crm.example:99999/x", 400, "port 99999"},
			{"http://bob:hunter2@10.0.0.8/x?token=s3cret", 422, "http://REDACTED@10.0.0.8/x?token=REDACTED"},
		} {
			w := call(h, "POST", hub, `{"callback":"`+c.callback+`"}`)
			assert.Equal(t, c.status, w.Code, c.callback)
			var e tmf630.Error
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), c.callback)
			assert.Contains(t, e.Message, c.msg, c.callback)
			assert.NotContains(t, e.Message, "hunter2")
		}
		assert.Zero(t, journal.Len(), "nothing registered")

		srv.Hub.Callbacks = nil // the default: public addresses only
		w := call(h, "POST", hub, `{"callback":"http://127.0.0.1:9000/x"}`)
		assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
		assert.Contains(t, w.Body.String(), "loopback")
	})
}

// A callback's secrets (user and password, token-like query parameters)
// are kept for delivery but never shown: not in the 201, not in GET
// hub/{id}.
func TestHubRedactsCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _, stop := hubServer(t)
		defer stop()
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		secret := "https://bob:hunter2@crm.example/listener?token=s3cret&site=7"
		w := call(h, "POST", hub, `{"callback":"`+secret+`"}`)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		want := `{"id":"HUB-001","callback":"https://REDACTED@crm.example/listener?token=REDACTED&site=7","state":"active"}`
		assert.JSONEq(t, want, w.Body.String())
		w = call(h, "GET", hub+"/HUB-001", "")
		require.Equal(t, http.StatusOK, w.Code)
		assert.JSONEq(t, want, w.Body.String())
		l, ok, err := srv.Listeners().Listener(context.Background(), "HUB-001")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, secret, l.Callback, "kept intact for delivery")
		assert.Equal(t, http.StatusNotFound, call(h, "GET", events.QuoteManagement.Base+"/hub/HUB-001", "").Code)
	})
}

// A tenant has at most Quota listeners over all the hubs: one more is a
// 403 that says so, and registers nothing; another tenant is not held by
// it, and cannot see or remove them (404); removing one makes room.
func TestHubQuotaPerTenant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _, stop := hubServer(t)
		defer stop()
		srv.Hub.Quota = 2
		srv.Hub.Tenant = func(r *http.Request) string { return r.Header.Get("X-Test-Tenant") }
		h := srv.Handler()
		post := func(tenant, base string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", base+"/hub", strings.NewReader(`{"callback":"https://crm.example/x"}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Test-Tenant", tenant)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		assert.Equal(t, http.StatusCreated, post("acme", events.ProductOrdering.Base).Code)
		assert.Equal(t, http.StatusCreated, post("acme", events.QuoteManagement.Base).Code)
		w := post("acme", events.ProductOrdering.Base)
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Contains(t, w.Body.String(), "the tenant has 2 listeners, the most allowed")
		assert.Equal(t, http.StatusCreated, post("globex", events.ProductOrdering.Base).Code, "another tenant")
		as := func(tenant, method, path string) int {
			r := httptest.NewRequest(method, path, nil)
			r.Header.Set("X-Test-Tenant", tenant)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Code
		}
		assert.Equal(t, http.StatusNotFound, as("globex", "GET", events.ProductOrdering.Base+"/hub/HUB-001"), "another tenant's")
		assert.Equal(t, http.StatusNotFound, as("globex", "DELETE", events.ProductOrdering.Base+"/hub/HUB-001"), "another tenant's")
		assert.Equal(t, http.StatusOK, as("acme", "GET", events.ProductOrdering.Base+"/hub/HUB-001"))
		assert.Equal(t, http.StatusNoContent, as("acme", "DELETE", events.QuoteManagement.Base+"/hub/HUB-002"))
		assert.Equal(t, http.StatusCreated, post("acme", events.ProductOrdering.Base).Code, "room again")

		srv.Hub = hub.Policy{}
		for i := range hub.DefaultQuota { // the default tenant, "", has none yet
			require.Equal(t, http.StatusCreated, call(h, "POST", events.ProductOrdering.Base+"/hub", `{"callback":"https://crm.example/x"}`).Code, i)
		}
		assert.Equal(t, http.StatusForbidden, call(h, "POST", events.ProductOrdering.Base+"/hub", `{"callback":"https://crm.example/x"}`).Code)
	})
}

// GET hub/{id} shows whether a listener is suspended and why (its
// callback's last error, redacted, as the notifier recorded it); a PATCH
// of its state makes it active again, or suspends it. Each change is
// journalled, so the notifier sees it.
func TestHubSuspendedVisibleAndResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, journal, stop := hubServer(t)
		defer stop()
		h := srv.Handler()
		hub := events.ProductOrdering.Base + "/hub"
		require.Equal(t, http.StatusCreated, call(h, "POST", hub, `{"callback":"https://crm.example/x"}`).Code)
		require.NoError(t, srv.Listeners().Suspend(context.Background(), "HUB-001", "suspended after 20 failed attempts: the callback answered 503"))
		w := call(h, "GET", hub+"/HUB-001", "")
		assert.JSONEq(t, `{"id":"HUB-001","callback":"https://crm.example/x","state":"suspended",
			"lastError":"suspended after 20 failed attempts: the callback answered 503"}`, w.Body.String())
		l, _, err := srv.Listeners().Listener(context.Background(), "HUB-001")
		require.NoError(t, err)
		assert.True(t, l.Suspended)

		for body, msg := range map[string]string{`{"state":"paused"}`: `state "paused": want active or suspended`,
			`{"callback":"https://x.example/"}`: `unknown member "callback"; the members are state`} {
			w = call(h, "PATCH", hub+"/HUB-001", body)
			assert.Equal(t, http.StatusBadRequest, w.Code, body)
			var e tmf630.Error
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
			assert.Contains(t, e.Message, msg)
		}
		w = call(h, "PATCH", hub+"/HUB-001", `{"state":"active"}`)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.JSONEq(t, `{"id":"HUB-001","callback":"https://crm.example/x","state":"active"}`, w.Body.String())
		l, _, err = srv.Listeners().Listener(context.Background(), "HUB-001")
		require.NoError(t, err)
		assert.False(t, l.Suspended)
		assert.Equal(t, http.StatusNotFound, call(h, "PATCH", hub+"/HUB-009", `{"state":"active"}`).Code)
		assert.Equal(t, http.StatusNotFound, call(h, "PATCH", events.QuoteManagement.Base+"/hub/HUB-001", `{"state":"active"}`).Code)
		var kinds []string
		for _, r := range journal.Records() {
			kinds = append(kinds, r.Kind+" "+r.Entity+" "+r.Event)
		}
		assert.Equal(t, []string{"hub HUB-001 create", "hub HUB-001 patch", "hub HUB-001 patch"}, kinds)
	})
}
