package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
	"github.com/ordertwin/ordertwin/ui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The collections of quotes and product orders the tests post to.
const (
	quotesPath = tmf630.QuoteManagement + "/quote"
	ordersPath = tmf630.ProductOrdering + "/productOrder"
)

// The worked example's ownParty, and a party that is not it.
const (
	ownParty   = "CUST-ENT-1102"
	otherParty = "CUST-OTHER-9"
)

var peerSecret = []byte("the deployment's peer secret, 32 bytes or more")

// guarded is the worked example served to its end behind a guard that
// takes the development issuer's tokens and peers signed with
// peerSecret.
type guarded struct {
	srv *api.Server
	h   http.Handler
	key ed25519.PrivateKey
	log *bytes.Buffer
}

func serveGuarded(t testing.TB) *guarded {
	t.Helper()
	return serveGuardedWith(t, scenarios.Options{})
}

// serveGuardedWith serves the worked example with opt, behind a guard.
func serveGuardedWith(t testing.TB, opt scenarios.Options) *guarded {
	t.Helper()
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, opt)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	g, err := auth.NewGuard(&auth.Config{DevIssuer: true}, key, peerSecret)
	require.NoError(t, err)
	srv := sys.API()
	srv.Guard = g
	feed, ok := store.FeedOf(sys.Journal)
	require.True(t, ok)
	use := func(ctx context.Context) (any, error) {
		var u twin.Use
		err := srv.Node().Read(ctx, func() { u = sys.Twin.Use() })
		return u, err
	}
	srv.More = append(srv.More, (&ui.Console{Name: sc.Name, Feed: feed, Epoch: srv.Epoch, ResourceUse: use}).Routes)
	control := &ui.Control{Node: srv.Node(), Clock: engine.NewPausable(engine.ClockState{Scale: 1}), Twin: sys.Twin}
	srv.More = append(srv.More, control.Routes, (&ui.WhatIfs{}).Routes)
	buf := &bytes.Buffer{}
	srv.AccessLog = slog.New(slog.NewJSONHandler(buf, nil))
	return &guarded{srv: srv, h: srv.Handler(), key: key, log: buf}
}

// caller is who sends a request: no one, a token's holder, or a peer.
type caller struct {
	name   string
	role   auth.Role // "" with peer false: no credentials
	tenant string
	peer   bool
}

func (c caller) String() string { return c.name }

func (g *guarded) token(t testing.TB, c caller) string {
	t.Helper()
	tok, err := auth.Mint(g.key, auth.Grant{Subject: c.name, Roles: []auth.Role{c.role}, Tenant: c.tenant, TTL: time.Hour}, time.Now())
	require.NoError(t, err)
	return tok
}

func (g *guarded) do(t *testing.T, c caller, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	switch {
	case c.peer:
		auth.SignPeer(peerSecret, req, "som→com", 1, []byte(body))
	case c.role != "":
		req.Header.Set("Authorization", "Bearer "+g.token(t, c))
	}
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, req)
	return w
}

// firstID is the id of the first entity of a collection, read as admin.
func (g *guarded) firstID(t *testing.T, path string) string {
	t.Helper()
	w := g.do(t, caller{name: "root", role: auth.Admin}, http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, w.Code, path+": "+w.Body.String())
	var items []map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &items))
	require.NotEmpty(t, items, path)
	return items[0]["id"].(string)
}

// The callers of the matrix: every role (the scoped ones for their own
// party and for another), a peer process, and no one.
var callers = []caller{
	{name: "nobody"},
	{name: "sales", role: auth.Sales, tenant: ownParty},
	{name: "sales-other", role: auth.Sales, tenant: otherParty},
	{name: "approver-technical", role: auth.ApproverTechnical},
	{name: "approver-commercial", role: auth.ApproverCommercial},
	{name: "approver-customer", role: auth.ApproverCustomer, tenant: ownParty},
	{name: "approver-customer-other", role: auth.ApproverCustomer, tenant: otherParty},
	{name: "operations", role: auth.Operations},
	{name: "partner", role: auth.Partner, tenant: ownParty},
	{name: "partner-other", role: auth.Partner, tenant: otherParty},
	{name: "admin", role: auth.Admin},
	{name: "peer", peer: true},
}

// endpoint is a route of the table and a request to it; want is the
// answer to an allowed caller, other (when not 0) to an allowed caller
// bound to another party, byCaller what differs for a caller.
type endpoint struct {
	route    string
	path     string
	body     string
	want     int
	other    int
	byCaller map[string]int
}

// Every route × every role × own or other party: no credentials is a 401,
// a role the table does not allow a 403, an allowed one the handler's
// answer, and another party's entity is not found.
func TestAccessMatrix(t *testing.T) {
	g := serveGuarded(t)
	po := g.firstID(t, tmf630.ProductOrdering+"/productOrder")
	quote := g.firstID(t, tmf630.QuoteManagement+"/quote")
	product := g.firstID(t, tmf630.ProductInventory+"/product")
	service := g.firstID(t, tmf630.ServiceInventory+"/service")
	resource := g.firstID(t, tmf630.ResourceInventory+"/resource")
	so := g.firstID(t, tmf630.ServiceOrdering+"/serviceOrder")
	ro := g.firstID(t, tmf630.ResourceOrdering+"/resourceOrder")
	offering := g.firstID(t, tmf630.ProductCatalog+"/productOffering")
	spec := g.firstID(t, tmf630.ProductCatalog+"/productSpecification")
	price := g.firstID(t, tmf630.ProductCatalog+"/productOfferingPrice")
	serviceSpec := g.firstID(t, tmf630.ServiceCatalog+"/serviceSpecification")
	catalog := g.firstID(t, tmf630.ProductCatalog+"/catalog")
	review := `{"authorization":[{"name":"technical","state":"approved"}]}`

	const ok, bad, missing, notAllowed, conflict = 200, 400, 404, 405, 409
	endpoints := []endpoint{
		{route: "GET /tmf-api/productOrderingManagement/v4/productOrder", path: tmf630.ProductOrdering + "/productOrder", want: ok},
		{route: "GET /tmf-api/productOrderingManagement/v4/productOrder/{id}", path: tmf630.ProductOrdering + "/productOrder/" + po, want: ok, other: missing},
		{route: "POST /tmf-api/productOrderingManagement/v4/productOrder", path: tmf630.ProductOrdering + "/productOrder", body: `{}`, want: bad},
		{route: "PATCH /tmf-api/productOrderingManagement/v4/productOrder/{id}", path: tmf630.ProductOrdering + "/productOrder/" + po,
			body: `{"description":"GlobalTech rollout"}`, want: conflict, other: missing}, // it has completed
		{route: "DELETE /tmf-api/productOrderingManagement/v4/productOrder/{id}", path: tmf630.ProductOrdering + "/productOrder/" + po, want: notAllowed},
		{route: "GET /tmf-api/productOrderingManagement/v4/cancelProductOrder", path: tmf630.ProductOrdering + "/cancelProductOrder", want: ok},
		{route: "GET /tmf-api/productOrderingManagement/v4/cancelProductOrder/{id}", path: tmf630.ProductOrdering + "/cancelProductOrder/CPO-9", want: missing},
		{route: "POST /tmf-api/productOrderingManagement/v4/cancelProductOrder", path: tmf630.ProductOrdering + "/cancelProductOrder", body: `{}`, want: bad},
		{route: "GET /tmf-api/quoteManagement/v4/quote", path: tmf630.QuoteManagement + "/quote", want: ok},
		{route: "GET /tmf-api/quoteManagement/v4/quote/{id}", path: tmf630.QuoteManagement + "/quote/" + quote, want: ok, other: missing},
		{route: "POST /tmf-api/quoteManagement/v4/quote", path: tmf630.QuoteManagement + "/quote", body: `{}`, want: bad},
		// The quote was decided by the twin's reviewers: no stage waits.
		{route: "PATCH /tmf-api/quoteManagement/v4/quote/{id}", path: tmf630.QuoteManagement + "/quote/" + quote, body: review, want: conflict, other: missing,
			byCaller: map[string]int{"approver-commercial": 403, "approver-customer": 403}},
		{route: "GET /tmf-api/productOfferingQualification/v4/productOfferingQualification", path: tmf630.OfferingQualification + "/productOfferingQualification", want: ok},
		{route: "GET /tmf-api/productOfferingQualification/v4/productOfferingQualification/{id}", path: tmf630.OfferingQualification + "/productOfferingQualification/POQ-9", want: missing},
		{route: "POST /tmf-api/productOfferingQualification/v4/productOfferingQualification", path: tmf630.OfferingQualification + "/productOfferingQualification", body: `{}`, want: bad},
		{route: "PATCH /tmf-api/productOfferingQualification/v4/productOfferingQualification/{id}", path: tmf630.OfferingQualification + "/productOfferingQualification/POQ-9", body: `{}`, want: notAllowed},
		{route: "DELETE /tmf-api/productOfferingQualification/v4/productOfferingQualification/{id}", path: tmf630.OfferingQualification + "/productOfferingQualification/POQ-9", want: notAllowed},
		{route: "GET /tmf-api/productCatalogManagement/v4/catalog", path: tmf630.ProductCatalog + "/catalog", want: ok},
		{route: "GET /tmf-api/productCatalogManagement/v4/catalog/{id}", path: tmf630.ProductCatalog + "/catalog/" + catalog, want: ok},
		{route: "GET /tmf-api/serviceCatalogManagement/v4/serviceSpecification", path: tmf630.ServiceCatalog + "/serviceSpecification", want: ok},
		{route: "GET /tmf-api/serviceCatalogManagement/v4/serviceSpecification/{id}", path: tmf630.ServiceCatalog + "/serviceSpecification/" + serviceSpec, want: ok},
		{route: "GET /tmf-api/productInventory/v4/product", path: tmf630.ProductInventory + "/product", want: ok},
		{route: "GET /tmf-api/productInventory/v4/product/{id}", path: tmf630.ProductInventory + "/product/" + product, want: ok, other: missing},
		{route: "POST /tmf-api/productInventory/v4/product", path: tmf630.ProductInventory + "/product", body: `{}`, want: notAllowed},
		{route: "PATCH /tmf-api/productInventory/v4/product/{id}", path: tmf630.ProductInventory + "/product/" + product, body: `{}`, want: notAllowed},
		{route: "DELETE /tmf-api/productInventory/v4/product/{id}", path: tmf630.ProductInventory + "/product/" + product, want: notAllowed},
		{route: "GET /tmf-api/serviceInventory/v4/service", path: tmf630.ServiceInventory + "/service", want: ok},
		{route: "GET /tmf-api/serviceInventory/v4/service/{$}", path: tmf630.ServiceInventory + "/service/", want: ok},
		{route: "GET /tmf-api/serviceInventory/v4/service/{id}", path: tmf630.ServiceInventory + "/service/" + service, want: ok, other: missing},
		{route: "POST /tmf-api/serviceInventory/v4/service", path: tmf630.ServiceInventory + "/service", body: `{}`, want: notAllowed},
		{route: "PATCH /tmf-api/serviceInventory/v4/service/{id}", path: tmf630.ServiceInventory + "/service/" + service, body: `{}`, want: notAllowed},
		{route: "DELETE /tmf-api/serviceInventory/v4/service/{id}", path: tmf630.ServiceInventory + "/service/" + service, want: notAllowed},
		// The network's resources belong to no ownParty: a partner finds
		// none of them.
		{route: "GET /tmf-api/resourceInventoryManagement/v4/resource", path: tmf630.ResourceInventory + "/resource", want: ok},
		{route: "GET /tmf-api/resourceInventoryManagement/v4/resource/{id}", path: tmf630.ResourceInventory + "/resource/" + resource, want: ok,
			byCaller: map[string]int{"partner": missing, "partner-other": missing}},
		{route: "POST /tmf-api/resourceInventoryManagement/v4/resource", path: tmf630.ResourceInventory + "/resource", body: `{}`, want: bad},
		{route: "PATCH /tmf-api/resourceInventoryManagement/v4/resource/{id}", path: tmf630.ResourceInventory + "/resource/" + resource, body: `{}`, want: 0},
		{route: "DELETE /tmf-api/resourceInventoryManagement/v4/resource/{id}", path: tmf630.ResourceInventory + "/resource/RES-9", want: missing},
		{route: "GET /tmf-api/serviceOrdering/v4/serviceOrder", path: tmf630.ServiceOrdering + "/serviceOrder", want: ok},
		{route: "GET /tmf-api/serviceOrdering/v4/serviceOrder/{id}", path: tmf630.ServiceOrdering + "/serviceOrder/" + so, want: ok},
		{route: "POST /tmf-api/serviceOrdering/v4/serviceOrder", path: tmf630.ServiceOrdering + "/serviceOrder", body: `[]`, want: bad},
		{route: "PATCH /tmf-api/serviceOrdering/v4/serviceOrder/{id}", path: tmf630.ServiceOrdering + "/serviceOrder/" + so, body: `{}`, want: notAllowed},
		{route: "DELETE /tmf-api/serviceOrdering/v4/serviceOrder/{id}", path: tmf630.ServiceOrdering + "/serviceOrder/" + so, want: notAllowed},
		{route: "GET /tmf-api/serviceOrdering/v4/cancelServiceOrder", path: tmf630.ServiceOrdering + "/cancelServiceOrder", want: ok},
		{route: "GET /tmf-api/serviceOrdering/v4/cancelServiceOrder/{id}", path: tmf630.ServiceOrdering + "/cancelServiceOrder/CSO-9", want: missing},
		{route: "POST /tmf-api/serviceOrdering/v4/cancelServiceOrder", path: tmf630.ServiceOrdering + "/cancelServiceOrder", body: `[]`, want: bad},
		{route: "GET /tmf-api/resourceOrderingManagement/v4/resourceOrder", path: tmf630.ResourceOrdering + "/resourceOrder", want: ok},
		{route: "GET /tmf-api/resourceOrderingManagement/v4/resourceOrder/{id}", path: tmf630.ResourceOrdering + "/resourceOrder/" + ro, want: ok},
		{route: "POST /tmf-api/resourceOrderingManagement/v4/resourceOrder", path: tmf630.ResourceOrdering + "/resourceOrder", body: `[]`, want: bad},
		{route: "PATCH /tmf-api/resourceOrderingManagement/v4/resourceOrder/{id}", path: tmf630.ResourceOrdering + "/resourceOrder/" + ro, body: `{}`, want: notAllowed},
		{route: "DELETE /tmf-api/resourceOrderingManagement/v4/resourceOrder/{id}", path: tmf630.ResourceOrdering + "/resourceOrder/" + ro, want: notAllowed},
		{route: "GET /tmf-api/resourceOrderingManagement/v4/cancelResourceOrder", path: tmf630.ResourceOrdering + "/cancelResourceOrder", want: ok},
		{route: "GET /tmf-api/resourceOrderingManagement/v4/cancelResourceOrder/{id}", path: tmf630.ResourceOrdering + "/cancelResourceOrder/CRO-9", want: missing},
		{route: "POST /tmf-api/resourceOrderingManagement/v4/cancelResourceOrder", path: tmf630.ResourceOrdering + "/cancelResourceOrder", body: `[]`, want: bad},
		{route: "POST /tmf-api/serviceOrdering/v4/listener/{event}", path: tmf630.ServiceOrdering + "/listener/serviceOrderStateChangeEvent", body: `[]`, want: bad},
		{route: "POST /tmf-api/resourceOrderingManagement/v4/listener/{event}", path: tmf630.ResourceOrdering + "/listener/resourceOrderStateChangeEvent", body: `[]`, want: bad},
		{route: "GET /ordertwin/v1/peerStream/{stream}", path: api.PeerStreams + "/som→com", want: ok},
		{route: "GET /metrics", path: "/metrics", want: ok},
		// The worked example has completed: nothing waits on a person.
		{route: "GET /ordertwin/v1/worklist", path: "/ordertwin/v1/worklist", want: ok},
		{route: "GET /ordertwin/v1/worklist/{id}", path: "/ordertwin/v1/worklist/TASK-001", want: missing},
		{route: "GET /ordertwin/v1/operatorAction", path: "/ordertwin/v1/operatorAction", want: ok},
		{route: "GET /ordertwin/v1/operatorAction/{id}", path: "/ordertwin/v1/operatorAction/OA-COM-001", want: missing},
		{route: "POST /ordertwin/v1/operatorAction", path: "/ordertwin/v1/operatorAction", body: `{}`, want: bad},
		{route: "GET /ordertwin/v1/resourceUse", path: "/ordertwin/v1/resourceUse", want: ok},
		// Without a WebSocket handshake the console's stream is a 400; a
		// caller bound to a party is refused it (it carries every party's
		// records).
		{route: "GET /ordertwin/v1/stream", path: "/ordertwin/v1/stream", want: bad, byCaller: map[string]int{
			"sales": http.StatusForbidden, "sales-other": http.StatusForbidden, "approver-customer": http.StatusForbidden,
			"approver-customer-other": http.StatusForbidden, "partner": http.StatusForbidden, "partner-other": http.StatusForbidden}},
	}
	// The console's controls and what-ifs (ui), asked what changes
	// nothing.
	endpoints = append(endpoints,
		endpoint{route: "GET /ordertwin/v1/scenario", path: ui.LibraryPath, want: ok},
		endpoint{route: "GET /ordertwin/v1/scenario/{id}", path: ui.LibraryPath + "/atlantis.yaml", want: missing},
		endpoint{route: "GET /ordertwin/v1/whatIf", path: ui.WhatIfPath, want: ok},
		endpoint{route: "POST /ordertwin/v1/whatIf", path: ui.WhatIfPath, body: `{}`, want: bad},
		endpoint{route: "GET /ordertwin/v1/whatIf/{id}", path: ui.WhatIfPath + "/WI-9", want: missing},
		endpoint{route: "DELETE /ordertwin/v1/whatIf/{id}", path: ui.WhatIfPath + "/WI-9", want: missing},
		endpoint{route: "GET /ordertwin/v1/clock", path: ui.ClockPath, want: ok},
		endpoint{route: "PATCH /ordertwin/v1/clock", path: ui.ClockPath, body: `{}`, want: bad},
		endpoint{route: "POST /ordertwin/v1/clock/step", path: ui.ClockPath + "/step", want: conflict}, // it runs
		endpoint{route: "GET /ordertwin/v1/fault", path: ui.FaultPath, want: ok},
		endpoint{route: "POST /ordertwin/v1/fault", path: ui.FaultPath, body: `{}`, want: bad},
		endpoint{route: "DELETE /ordertwin/v1/fault/{name...}", path: ui.FaultPath + "/no-such-rule", want: missing},
		endpoint{route: "POST /ordertwin/v1/scenarioRun", path: ui.ScenarioRunPath, body: `{}`, want: bad},
		endpoint{route: "POST /ordertwin/v1/siteAddition", path: ui.SiteAdditionPath, body: `{}`, want: bad})
	for _, c := range []struct{ base, name, id string }{{tmf630.ProductCatalog, "productOffering", offering},
		{tmf630.ProductCatalog, "productSpecification", spec}, {tmf630.ProductCatalog, "productOfferingPrice", price}} {
		coll := c.base + "/" + c.name
		route := coll
		endpoints = append(endpoints,
			endpoint{route: "GET " + route, path: coll, want: ok},
			endpoint{route: "GET " + route + "/{id}", path: coll + "/" + c.id, want: ok},
			endpoint{route: "POST " + route, path: coll, body: `{}`, want: bad},
			// The catalog file's entries are read-only.
			endpoint{route: "PATCH " + route + "/{id}", path: coll + "/" + c.id, body: `{}`, want: notAllowed},
			endpoint{route: "DELETE " + route + "/{id}", path: coll + "/" + c.id, want: notAllowed})
	}
	for _, a := range events.APIs() {
		endpoints = append(endpoints,
			endpoint{route: "POST " + a.Base + "/hub", path: a.Base + "/hub", body: `{}`, want: bad},
			endpoint{route: "GET " + a.Base + "/hub/{id}", path: a.Base + "/hub/HUB-9", want: missing},
			endpoint{route: "PATCH " + a.Base + "/hub/{id}", path: a.Base + "/hub/HUB-9", body: `{"state":"suspended"}`, want: missing},
			endpoint{route: "DELETE " + a.Base + "/hub/{id}", path: a.Base + "/hub/HUB-9", want: missing})
	}

	var routes []string
	for _, e := range endpoints {
		routes = append(routes, e.route)
	}
	var table []string
	for _, r := range auth.Table {
		table = append(table, r.Route)
	}
	slices.Sort(routes)
	slices.Sort(table)
	require.Equal(t, table, routes, "the matrix walks every route of the table")

	policy := auth.NewPolicy(false)
	for _, e := range endpoints {
		method, _, _ := strings.Cut(e.route, " ")
		for _, c := range callers {
			id := auth.Identity{Subject: c.name, Roles: []auth.Role{c.role}, Tenant: c.tenant}
			if c.peer {
				id.Roles = []auth.Role{auth.Peer}
			}
			want := e.want
			switch {
			case c.role == "" && !c.peer:
				want = http.StatusUnauthorized
			case !policy.Allows(id, e.route):
				want = http.StatusForbidden
			case e.byCaller[c.name] != 0:
				want = e.byCaller[c.name]
			case c.tenant == otherParty && e.other != 0:
				want = e.other
			}
			w := g.do(t, c, method, e.path, e.body)
			if want == 0 { // any answer of the handler
				assert.NotContains(t, []int{401, 403}, w.Code, "%s as %s: %s", e.route, c, w.Body.String())
				continue
			}
			if !assert.Equal(t, want, w.Code, "%s as %s: %s", e.route, c, w.Body.String()) {
				continue
			}
			switch want {
			case http.StatusUnauthorized:
				assert.Equal(t, `Bearer realm="ordertwin"`, w.Header().Get("WWW-Authenticate"))
				apitest.TMFError(t, w, want, "no credentials")
			case http.StatusForbidden:
				apitest.TMFError(t, w, want, c.name)
			}
			// A list shows a scoped caller its own party's entities only.
			if want == http.StatusOK && method == http.MethodGet && c.tenant != "" && strings.HasPrefix(e.route, "GET /tmf-api/") && !strings.Contains(e.route, "{") &&
				!strings.Contains(e.route, "Catalog") {
				var items []map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &items))
				for _, it := range items {
					assert.Contains(t, partiesOf(it), c.tenant, "%s as %s lists another party's %s", e.route, c, it["id"])
				}
				if c.tenant == otherParty {
					assert.Empty(t, items, "%s as %s", e.route, c)
				}
			}
		}
	}
}

// partiesOf lists the ids of an entity's related parties.
func partiesOf(m map[string]any) []string {
	var ids []string
	ps, _ := m["relatedParty"].([]any)
	for _, p := range ps {
		if p, ok := p.(map[string]any); ok {
			id, _ := p["id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// The access log has a line per request: method, path with secret query
// values redacted, status, actor, request id (the client's, or one made
// and echoed) and source address.
func TestAccessLog(t *testing.T) {
	g := serveGuarded(t)
	req := httptest.NewRequest(http.MethodGet, tmf630.ProductOrdering+"/productOrder?fields=state&access_token=s3cret&apiKey=k3y", nil)
	req.Header.Set("Authorization", "Bearer "+g.token(t, caller{name: "ops-1", role: auth.Operations}))
	req.Header.Set(api.RequestIDHeader, "req-42")
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, req)
	require.Equal(t, http.StatusBadRequest, w.Code, "not attributes of a product order: "+w.Body.String())
	assert.Equal(t, "req-42", w.Header().Get(api.RequestIDHeader))
	w = g.do(t, callers[0], http.MethodGet, tmf630.QuoteManagement+"/quote", "")
	require.Equal(t, http.StatusUnauthorized, w.Code)
	made := w.Header().Get(api.RequestIDHeader)
	assert.Len(t, made, 32, "a request id is made when the client sends none")

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(g.log.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		if m["msg"] == "request" {
			delete(m, "time")
			delete(m, "ms")
			lines = append(lines, m)
		}
	}
	require.Len(t, lines, 2)
	assert.Equal(t, map[string]any{"level": "INFO", "msg": "request", "method": "GET", "status": 400.0, "actor": "ops-1", "requestId": "req-42",
		"path": tmf630.ProductOrdering + "/productOrder?fields=state&access_token=REDACTED&apiKey=REDACTED", "source": "192.0.2.1:1234"}, lines[0])
	assert.Equal(t, 401.0, lines[1]["status"])
	assert.Equal(t, "", lines[1]["actor"])
	assert.Equal(t, made, lines[1]["requestId"])
	assert.NotContains(t, g.log.String(), "s3cret")
}

// Liveness and readiness need no credentials; a peer's event without the
// deployment's signature is a 401 and reaches no component (the engine
// still answers).
func TestPublicRoutesAndUnsignedPeers(t *testing.T) {
	g := serveGuarded(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		assert.Equal(t, http.StatusOK, g.do(t, callers[0], http.MethodGet, path, "").Code, path)
	}
	event := `{"eventType":"ServiceOrderStateChangeEvent","event":{"serviceOrder":{"id":"SO-001","externalId":"PO-001/SO-PILOT","state":"failed"}}}`
	const listener = tmf630.ServiceOrdering + "/listener/serviceOrderStateChangeEvent"
	unsigned := httptest.NewRequest(http.MethodPost, listener, strings.NewReader(event))
	unsigned.Header.Set("Content-Type", "application/json")
	unsigned.Header.Set(api.PeerStream, "x")
	unsigned.Header.Set(api.PeerSeq, "1")
	unsigned.Header.Set("Authorization", "Bearer "+g.token(t, caller{name: "root", role: auth.Admin}))
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, unsigned)
	apitest.TMFError(t, w, http.StatusUnauthorized, auth.PeerSignature)

	forged := httptest.NewRequest(http.MethodPost, listener, strings.NewReader(event))
	auth.SignPeer([]byte("not the deployment's secret, but 32 bytes long"), forged, "som→com", 1, []byte(event))
	w = httptest.NewRecorder()
	g.h.ServeHTTP(w, forged)
	apitest.TMFError(t, w, http.StatusUnauthorized, "not signed with the deployment's peer secret")
	assert.Equal(t, http.StatusOK, g.do(t, callers[0], http.MethodGet, "/readyz", "").Code, "the engine carries on")
	w = g.do(t, caller{name: "peer", peer: true}, http.MethodGet, api.PeerStreams+"/x", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"stream":"x","last":0}`, w.Body.String(), "nothing of stream x was taken")
}

// Sales acts for its own customer only; each approver decides its own
// stage, and is recorded on the quote's authorization as the one who did
// (seed: technical, commercial, customer sign-off).
func TestApproversDecideTheirStage(t *testing.T) {
	l := apitest.ServeLiveWith(t, scenarios.Options{ManualReview: true})
	defer l.Stop()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	guard, err := auth.NewGuard(&auth.Config{DevIssuer: true}, key, nil)
	require.NoError(t, err)
	srv := l.Sys.API()
	srv.Guard = guard
	l.H = srv.Handler()
	as := func(subject string, role auth.Role, tenant string) []string {
		tok, err := auth.Mint(key, auth.Grant{Subject: subject, Roles: []auth.Role{role}, Tenant: tenant, TTL: time.Hour}, time.Now())
		require.NoError(t, err)
		return []string{"Authorization", "Bearer " + tok}
	}
	sales, other := as("sam", auth.Sales, ownParty), as("oz", auth.Sales, otherParty)
	quoteBody, orderBody := apitest.Worked(t)
	var e tmf630.Error
	w := l.Do(t, "POST", quotesPath, quoteBody, &e, other...)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Contains(t, e.Message, "relatedParty: oz acts for party "+otherParty+" only, not "+ownParty)
	// Two customers, in either order: a quote is for one (the other was
	// dropped, or the one the caller acts for was).
	for _, parties := range [][]tmf630.Ref{{{ID: ownParty, Role: "customer"}, {ID: otherParty, Role: "customer"}},
		{{ID: otherParty, Role: "customer"}, {ID: ownParty, Role: "customer"}}} {
		two := quoteBody
		two.RelatedParty = parties
		w = l.Do(t, "POST", quotesPath, two, &e, sales...)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Contains(t, e.Message, "relatedParty[1]: a second customer ("+parties[1].ID+" after "+parties[0].ID+"): a quote is for one")
	}
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q, sales...).Code)
	l.Idle(t)
	w = l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-1"), &e, other...)
	assert.Equal(t, http.StatusForbidden, w.Code, "another party's order")
	var po tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-1"), &po, sales...).Code)

	decide := func(stage string) string {
		signed := apitest.Decision(t, q, stage, "", apitest.ApproverKey)
		return strings.Replace(signed, `"approver":[{"name":"R. Chen"}],`, "", 1)
	}
	w = l.Do(t, "PATCH", quotesPath+"/"+q.ID, decide("technical"), &e, as("bo", auth.ApproverCommercial, "")...)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Contains(t, e.Message, "bo (roles approver-commercial) does not decide the technical stage")
	w = l.Do(t, "PATCH", quotesPath+"/"+q.ID, decide("customer"), &e, as("cy", auth.ApproverCustomer, otherParty)...)
	assert.Equal(t, http.StatusNotFound, w.Code, "another party's quote")
	w = l.Do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"technical","state":"approved","approver":[{"name":"R. Chen"}]}]}`, &e,
		as("ana", auth.ApproverTechnical, "")...)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, e.Message, `"R. Chen" is not who decides: you are ana`)

	for _, d := range []struct {
		stage, who string
		role       auth.Role
		tenant     string
	}{{"technical", "ana", auth.ApproverTechnical, ""}, {"commercial", "bo", auth.ApproverCommercial, ""}, {"customer", "cy", auth.ApproverCustomer, ownParty}} {
		w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, decide(d.stage), &q, as(d.who, d.role, d.tenant)...)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		l.Idle(t)
	}
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q, sales...)
	assert.Equal(t, "accepted", q.State)
	for i, who := range []string{"ana", "bo", "cy"} {
		assert.Equal(t, "approved", q.Authorization[i].State, q.Authorization[i].Name)
		require.NotEmpty(t, q.Authorization[i].Approver, q.Authorization[i].Name)
		assert.Equal(t, tmf630.Ref{ID: who, Name: who, Role: "approver"}, q.Authorization[i].Approver[0], q.Authorization[i].Name)
	}
}

// A partner's hub listener is bound to its party: another party cannot
// remove it, and the notifier hears from the server whose each order is
// (events.Parties), so that it sends the partner its own party's only.
func TestPartnerHubIsBoundToItsParty(t *testing.T) {
	g := serveGuarded(t)
	partner, other := callers[8], callers[9]
	require.Equal(t, auth.Partner, partner.role)
	w := g.do(t, partner, http.MethodPost, tmf630.ProductOrdering+"/hub", `{"callback":"https://partner.example/events"}`)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var sub hub.EventSubscription
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &sub))

	dir := g.srv.Listeners()
	l, ok, err := dir.Listener(context.Background(), sub.ID)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, ownParty, l.Tenant)
	parties, ok := dir.(events.Parties)
	require.True(t, ok, "the server tells the notifier whose each entity is")
	po := g.firstID(t, tmf630.ProductOrdering+"/productOrder")
	party, err := parties.Party(context.Background(), "productOrder", po)
	require.NoError(t, err)
	assert.Equal(t, ownParty, party)
	party, err = parties.Party(context.Background(), "productOrder", "PO-NONE")
	require.NoError(t, err)
	assert.Empty(t, party)

	// It sees and changes its own listener; another party finds none.
	assert.Equal(t, http.StatusOK, g.do(t, partner, http.MethodGet, tmf630.ProductOrdering+"/hub/"+sub.ID, "").Code)
	apitest.TMFError(t, g.do(t, other, http.MethodGet, tmf630.ProductOrdering+"/hub/"+sub.ID, ""), http.StatusNotFound, sub.ID)
	apitest.TMFError(t, g.do(t, other, http.MethodPatch, tmf630.ProductOrdering+"/hub/"+sub.ID, `{"state":"suspended"}`), http.StatusNotFound, sub.ID)
	w = g.do(t, partner, http.MethodPatch, tmf630.ProductOrdering+"/hub/"+sub.ID, `{"state":"suspended"}`)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	apitest.TMFError(t, g.do(t, other, http.MethodDelete, tmf630.ProductOrdering+"/hub/"+sub.ID, ""), http.StatusNotFound, sub.ID)
	assert.Equal(t, http.StatusNoContent, g.do(t, partner, http.MethodDelete, tmf630.ProductOrdering+"/hub/"+sub.ID, "").Code)
}

// The cost of the front (request id, authentication, authorization, the
// access log line) on a read of one product order: with a token of the
// development issuer and an API key, against no guard at all.
func BenchmarkFront(b *testing.B) {
	g := serveGuarded(b)
	g.srv.AccessLog = slog.New(slog.DiscardHandler)
	guardedH := g.srv.Handler()
	plain := *g.srv
	plain.Guard = nil
	unguarded := plain.Handler()
	path := tmf630.ProductOrdering + "/productOrder/PO-2024-01203?fields=state"
	tok := g.token(b, caller{name: "ops", role: auth.Operations})
	for _, bc := range []struct {
		name   string
		h      http.Handler
		header string
	}{{"none", unguarded, ""}, {"EdDSA", guardedH, "Bearer " + tok}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				if bc.header != "" {
					req.Header.Set("Authorization", bc.header)
				}
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

// A change order by a caller bound to a party: another party's product
// is not found, its own is changed.
func TestChangeOrderOfAnotherPartysProduct(t *testing.T) {
	g := serveGuarded(t)
	product := g.firstID(t, tmf630.ProductInventory+"/product")
	change := func(party string) string {
		return `{"relatedParty":[{"id":"` + party + `","role":"customer"}],"productOrderItem":[{"id":"1","action":"modify","product":{"id":"` +
			product + `","productCharacteristic":[{"name":"speed","value":"1G-sym"}]}}]}`
	}
	w := g.do(t, callers[2], http.MethodPost, tmf630.ProductOrdering+"/productOrder", change(otherParty))
	apitest.TMFError(t, w, http.StatusBadRequest, "no product "+strconv.Quote(product))
	w = g.do(t, callers[2], http.MethodPost, tmf630.ProductOrdering+"/productOrder", change(ownParty))
	apitest.TMFError(t, w, http.StatusForbidden, "acts for party "+otherParty+" only")
	w = g.do(t, callers[1], http.MethodPost, tmf630.ProductOrdering+"/productOrder", change(ownParty))
	assert.Equal(t, http.StatusCreated, w.Code, w.Body.String())
}
