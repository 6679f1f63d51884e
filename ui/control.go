package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
)

// The routes of the console's controls (docs/api.md, "Controls").
const (
	ClockPath       = "/ordertwin/v1/clock"
	FaultPath       = "/ordertwin/v1/fault"
	ScenarioRunPath = "/ordertwin/v1/scenarioRun"
	// SiteAdditionPath adds a site to a product order in progress.
	SiteAdditionPath = "/ordertwin/v1/siteAddition"
)

// Control is what the console's controls act on: the engine (through
// node), the clock serve runs it on, the twin. Every control is a route a
// program may call as well.
type Control struct {
	Node  *tmf630.Node
	Clock *engine.Pausable
	// Keep makes a clock change durable (serve: the store), so that a
	// restart goes on with the same clock; nil keeps nothing.
	Keep func(engine.ClockState) error
	// Fixed, when set, says why the clock is not steered here (the
	// processes of a deployment share one): a change is a 409.
	Fixed string
	Twin  *twin.Twin
	// Network is the name of the network the twin runs: a scenario run
	// must be of it.
	Network string
	// Self is the server's handler: a scenario run places its orders
	// through the TMF APIs, as the caller, as `ordertwin submit` does.
	Self http.Handler
}

// Routes registers the controls' routes.
func (c *Control) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ClockPath, c.getClock)
	mux.HandleFunc("PATCH "+ClockPath, c.patchClock)
	mux.HandleFunc("POST "+ClockPath+"/step", c.step)
	c.FaultRoutes(mux)
	mux.HandleFunc("POST "+ScenarioRunPath, c.runScenario)
	mux.HandleFunc("POST "+SiteAdditionPath, c.addSite)
}

// FaultRoutes registers the routes of the twin's faults alone: those a
// shard of a deployment serves (its clock is the deployment's, and a
// scenario run or a site added goes through the deployment's front).
func (c *Control) FaultRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+FaultPath, c.faults)
	mux.HandleFunc("POST "+FaultPath, c.inject)
	mux.HandleFunc("DELETE "+FaultPath+"/{name...}", c.lift)
}

// UnshardedRoutes registers, for an instance of a deployment of several
// shards, the console's routes of one system that a deployment does not
// serve (its clock, the library and its runs, a site added, what-ifs,
// resource use), each answering 404 saying so: the bare "no resource"
// read as a typo.
func UnshardedRoutes(mux *http.ServeMux) {
	notServed := func(w http.ResponseWriter, r *http.Request) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, r.Method+" "+r.URL.Path+
			": a deployment of several shards (serve --shards) does not serve the controls of one system (the clock, the scenario library and its runs, "+
			"a site added, what-ifs, resource use): serve one store for them"))
	}
	for _, route := range []string{"GET " + ClockPath, "PATCH " + ClockPath, "POST " + ClockPath + "/step",
		"GET " + LibraryPath, "GET " + LibraryPath + "/{id}", "POST " + ScenarioRunPath, "POST " + SiteAdditionPath,
		"GET " + WhatIfPath, "POST " + WhatIfPath, "GET " + WhatIfPath + "/{id}", "DELETE " + WhatIfPath + "/{id}", "GET " + ResourceUsePath} {
		mux.HandleFunc(route, notServed)
	}
}

// clockView is the clock on the wire.
type clockView struct {
	// State is running or paused.
	State string  `json:"state"`
	Scale float64 `json:"scale"`
	// VirtualTime is the clock's present as an offset from T+0, Time as
	// a date (to the second); EngineTime the engine's own time (it trails the clock while
	// it works through what is due).
	VirtualTime string `json:"virtualTime"`
	Time        string `json:"time"`
	EngineTime  string `json:"engineTime"`
	// NextDue is when the earliest input waiting is due (what a step goes
	// to); none when nothing waits.
	NextDue string `json:"nextDue,omitempty"`
}

func (c *Control) view(ctx context.Context, s engine.ClockState) (clockView, *tmf630.Error) {
	at := s.Virtual.Truncate(time.Second)
	v := clockView{State: "running", Scale: s.Scale, VirtualTime: tmf.FormatOffset(at), Time: c.Node.Date(at)}
	if s.Paused {
		v.State = "paused"
	}
	var now, next time.Duration
	var due bool
	if e := c.Node.Query(ctx, func() { now = c.Node.Engine.Now(); next, due = c.Node.Engine.NextDue() }); e != nil {
		return v, e
	}
	v.EngineTime = tmf.FormatOffset(now.Truncate(time.Second))
	if due {
		v.NextDue = tmf.FormatOffset(next)
	}
	return v, nil
}

func (c *Control) getClock(w http.ResponseWriter, r *http.Request) {
	c.answerClock(w, r, c.Clock.State())
}

func (c *Control) answerClock(w http.ResponseWriter, r *http.Request, s engine.ClockState) {
	v, e := c.view(r.Context(), s)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, v)
}

// MinScale is the slowest a clock may run when steered: a thousandth of
// a virtual second a second (a virtual minute in about 17 minutes). A
// slower one would all but stop virtual time; pause it instead.
const MinScale = 0.001

// clockPatch is the body of PATCH clock (a merge patch).
type clockPatch struct {
	State *string  `json:"state"`
	Scale *float64 `json:"scale"`
}

// patchClock pauses or resumes the clock, or changes its scale: the change
// is kept (Keep) and journalled (a clock record), then answered with the
// clock.
func (c *Control) patchClock(w http.ResponseWriter, r *http.Request) {
	var p clockPatch
	if e := decodeStrict(w, r, &p); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	bad := func(msg string) { tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, msg)) }
	switch {
	case c.Fixed != "":
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.Fixed))
		return
	case p.State == nil && p.Scale == nil:
		bad("give state (running or paused) or scale (virtual seconds per second)")
		return
	case p.State != nil && *p.State != "running" && *p.State != "paused":
		bad(fmt.Sprintf("state: %q: want running or paused", *p.State))
		return
	case p.Scale != nil && !(*p.Scale >= MinScale && *p.Scale <= engine.MaxScale):
		bad(fmt.Sprintf("scale: %g: want at least %g and at most %d (virtual seconds a second)", *p.Scale, MinScale, engine.MaxScale))
		return
	}
	before := c.Clock.State()
	s := before
	var did []string
	if p.Scale != nil && *p.Scale != before.Scale {
		s, _ = c.Clock.SetScale(*p.Scale)
		did = append(did, fmt.Sprintf("scale %g", *p.Scale))
	}
	if p.State != nil && (*p.State == "paused") != before.Paused {
		if *p.State == "paused" {
			s = c.Clock.Pause()
		} else {
			s = c.Clock.Resume()
		}
		did = append(did, *p.State)
	}
	if len(did) > 0 {
		if e := c.keep(r, before, s, strings.Join(did, ", ")); e != nil {
			tmf630.WriteError(w, e)
			return
		}
	}
	c.answerClock(w, r, s)
}

// keep makes a clock change durable, then journals it; a change that
// cannot be kept is undone (503).
func (c *Control) keep(r *http.Request, before, after engine.ClockState, what string) *tmf630.Error {
	if c.Keep != nil {
		if err := c.Keep(after); err != nil {
			c.Clock.Restore(before)
			e := tmf630.NewError(http.StatusServiceUnavailable, "the clock's change cannot be kept: "+err.Error()+"; nothing was changed")
			e.RetryAfter = 5
			return e
		}
	}
	state := "running"
	if after.Paused {
		state = "paused"
	}
	note := fmt.Sprintf("%s: the clock is %s at %g virtual seconds a second", what, state, after.Scale)
	_, e := c.Node.Command(r.Context(), engine.Env, scenarios.Event{Clock: what, Note: note})
	return e
}

// step moves a paused clock to the next input due: the engine takes what
// is due then. 409 when the clock runs or nothing waits.
func (c *Control) step(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		// A step takes nothing: a body is {} at most (one with members
		// was stepped on, saying nothing of them).
		if e := decodeStrict(w, r, &struct{}{}); e != nil {
			tmf630.WriteError(w, e)
			return
		}
	}
	before := c.Clock.State()
	if c.Fixed != "" {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, c.Fixed))
		return
	}
	if !before.Paused {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, "the clock runs: pause it (PATCH "+ClockPath+` {"state": "paused"}`+") before stepping"))
		return
	}
	var next time.Duration
	var due bool
	if e := c.Node.Query(r.Context(), func() { next, due = c.Node.Engine.NextDue() }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if !due {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, "nothing is due: no timer or answer waits"))
		return
	}
	after, err := c.Clock.StepTo(next)
	if err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, err.Error()))
		return
	}
	if e := c.keep(r, before, after, "stepped to "+tmf.FormatOffset(after.Virtual)); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	// The journal's record is taken at the stepped instant, after what was
	// due then: the answer shows the engine there.
	c.answerClock(w, r, after)
}

// faultView is a fault rule of the twin and how often it fired.
type faultView struct {
	Name string         `json:"name"`
	Kind twin.FaultKind `json:"kind"`
	Hits int            `json:"hits"`
	// Lifted is set once an operator took the rule out (DELETE).
	Lifted bool `json:"lifted,omitempty"`
}

func (c *Control) faults(w http.ResponseWriter, r *http.Request) {
	var hits []twin.Hits
	if e := c.Node.Query(r.Context(), func() { hits = c.Twin.FaultHits() }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	out := make([]faultView, len(hits))
	for i, h := range hits {
		out[i] = faultView{Name: h.Name, Kind: h.Kind, Hits: h.Hits, Lifted: h.Lifted}
	}
	tmf630.WriteJSON(w, http.StatusOK, out)
}

// inject adds a fault rule to the running twin, through the engine (a
// logged input: a restart injects it again at the same instant). 400 for
// a rule that is not valid, 409 for a name the twin has.
func (c *Control) inject(w http.ResponseWriter, r *http.Request) {
	var rule twin.FaultRule
	if e := decodeStrict(w, r, &rule); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := c.injectRule(r, rule, "injected from the console"); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.Created(w, FaultPath, faultView{Name: rule.Name, Kind: rule.Kind})
}

func (c *Control) injectRule(r *http.Request, rule twin.FaultRule, note string) *tmf630.Error {
	var err error
	if e := c.Node.Query(r.Context(), func() { err = c.Twin.CheckLive(rule) }); e != nil {
		return e
	}
	switch {
	case errors.Is(err, twin.ErrFaultNameTaken):
		return tmf630.NewError(http.StatusConflict, err.Error())
	case err != nil:
		return tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	if err := twin.CheckFaultFields([]twin.FaultRule{rule}); err != nil { // one rule: named as itself
		return tmf630.NewError(http.StatusBadRequest, strings.ReplaceAll(err.Error(), "faults[0] ("+rule.Name+"): ", "fault "+rule.Name+": "))
	}
	if why := scenarios.NeverFires(c.Node.Catalog, rule); why != "" {
		return tmf630.NewError(http.StatusBadRequest, "fault "+rule.Name+": "+why)
	}
	_, e := c.Node.Command(r.Context(), engine.Env, scenarios.Event{Fault: &rule, Note: note})
	return e
}

// lift takes a fault rule out of the running twin, through the engine (a
// logged input, as an injection is): it fires no more, and GET lists it
// lifted, with its hits. 204; 404 for a name the twin has no rule of; a
// rule lifted already is 204 again, and nothing is logged.
func (c *Control) lift(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var has, lifted bool
	if e := c.Node.Query(r.Context(), func() { has, lifted = c.Twin.Lifted(name) }); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if !has {
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, fmt.Sprintf("fault %s: %v", name, twin.ErrNoSuchFault)))
		return
	}
	if !lifted {
		note := "lifted from the console"
		if id, ok := auth.From(r.Context()); ok {
			note += " by " + id.Subject
		}
		if _, e := c.Node.Command(r.Context(), engine.Env, scenarios.Event{Lift: name, Note: note}); e != nil {
			tmf630.WriteError(w, e)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// scenarioRunRequest is the body of POST scenarioRun.
type scenarioRunRequest struct {
	Scenario string `json:"scenario"`
	// Faults, when set, injects the scenario's fault rules too, each
	// named "RUN/RULE", their windows counting from now.
	Faults bool `json:"faults"`
}

// scenarioRun is what a scenario run placed.
type scenarioRun struct {
	Scenario string      `json:"scenario"`
	Orders   []placedRun `json:"orders"`
	Faults   []string    `json:"faults"`
}

type placedRun struct {
	Quote        string `json:"quote"`
	ProductOrder string `json:"productOrder"`
	State        string `json:"state"`
}

// runScenario places a library scenario's orders on the running server as
// `ordertwin submit` does — its quote (TMF648), then the order that
// carries it out (TMF622), each through the server's own routes with the
// caller's credentials and an Idempotency-Key made of the request's (or
// the scenario's name) — and with faults, injects its fault rules.
func (c *Control) runScenario(w http.ResponseWriter, r *http.Request) {
	var in scenarioRunRequest
	if e := decodeStrict(w, r, &in); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	sc, e := lib.scenario("scenario", in.Scenario)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if c.Network != "" && sc.Spec.Network.Name != c.Network {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, fmt.Sprintf("scenario %s runs on network %q, this server's twin is %q", in.Scenario, sc.Spec.Network.Name, c.Network)))
		return
	}
	if id, ok := auth.From(r.Context()); ok && in.Faults && !policy.Allows(id, "POST "+FaultPath) {
		// Placing orders is a placer's; injecting faults into the twin
		// every order shares, operations' (POST fault), as a run does it.
		tmf630.WriteError(w, tmf630.NewError(http.StatusForbidden,
			"faults: a run injects the scenario's faults as POST "+FaultPath+" does, which is for operations and admin: run it without faults, or as one of them"))
		return
	}
	run := r.Header.Get("Idempotency-Key")
	if run == "" {
		run = in.Scenario
	}
	out := scenarioRun{Scenario: in.Scenario, Orders: []placedRun{}, Faults: []string{}}
	for i, p := range sc.Spec.Orders {
		key := fmt.Sprintf("%s#%d", run, i+1)
		var q tmf648.Quote
		if e := c.self(r, "/tmf-api/quoteManagement/v4/quote", key, quoteBody(sc, p), &q); e != nil {
			e.Message = fmt.Sprintf("quote %d of %s: %s", i+1, in.Scenario, e.Message)
			tmf630.WriteError(w, e)
			return
		}
		external := p.OrderID
		if external == "" {
			external = key
		}
		var po tmf622.ProductOrder
		if e := c.self(r, "/tmf-api/productOrderingManagement/v4/productOrder", key, tmf622.NewOrderBody(q.ID, p.Quote, external), &po); e != nil {
			e.Message = fmt.Sprintf("order %d of %s (quote %s): %s", i+1, in.Scenario, q.ID, e.Message)
			tmf630.WriteError(w, e)
			return
		}
		out.Orders = append(out.Orders, placedRun{Quote: q.ID, ProductOrder: po.ID, State: po.State})
	}
	if in.Faults {
		for _, f := range sc.Spec.Faults {
			f.Name = run + "/" + f.Name
			f.After = "" // counts from now
			e := c.injectRule(r, f, "fault of scenario "+in.Scenario)
			if e != nil && e.Status != "409" { // a repeated run: injected already
				tmf630.WriteError(w, e)
				return
			}
			out.Faults = append(out.Faults, f.Name)
		}
	}
	tmf630.WriteJSON(w, http.StatusCreated, out)
}

// self makes a POST through the server's own routes as the caller of r,
// decoding a 2xx answer into v, or giving the route's error.
func (c *Control) self(r *http.Request, path, key string, body, v any) *tmf630.Error {
	b, err := json.Marshal(body)
	if err != nil {
		return tmf630.NewError(http.StatusInternalServerError, err.Error())
	}
	req := httptest.NewRequestWithContext(r.Context(), http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("X-Request-Id", r.Header.Get("X-Request-Id"))
	req.RemoteAddr = r.RemoteAddr
	rec := httptest.NewRecorder()
	c.Self.ServeHTTP(rec, req)
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		var e tmf630.Error
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e = *tmf630.NewError(res.StatusCode, strings.TrimSpace(string(data)))
		}
		return tmf630.NewError(res.StatusCode, e.Message)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return tmf630.NewError(http.StatusInternalServerError, fmt.Sprintf("%s answered what does not decode: %v", path, err))
	}
	return nil
}

// siteAddition is the body of POST siteAddition: a site added to a
// product order in progress, in a wave of its plan (a late wave when that
// wave has gone).
type siteAddition struct {
	ProductOrder string `json:"productOrder"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Address      string `json:"address"`
	Wave         string `json:"wave"`
}

// addSite asks COM to add a site to an order in progress: 201 with the
// order; 400 for a field missing or an address the network does not know;
// 409 when COM refuses (the order not in progress, the site in it
// already, another change in flight).
func (c *Control) addSite(w http.ResponseWriter, r *http.Request) {
	var in siteAddition
	if e := decodeStrict(w, r, &in); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	for _, f := range []struct{ name, v string }{{"productOrder", in.ProductOrder}, {"code", in.Code}, {"address", in.Address}, {"wave", in.Wave}} {
		if f.v == "" {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, f.name+": missing"))
			return
		}
	}
	if c.Node.KnownAddress != nil && !c.Node.KnownAddress(in.Address) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("address: %q is not an address the network serves", in.Address)))
		return
	}
	if in.Name == "" {
		in.Name = in.Code
	}
	// A caller bound to a party adds sites to its party's orders only.
	party, found := "", false
	var waves []string
	if e := c.Node.Query(r.Context(), func() {
		if po := c.Node.COM.Order(in.ProductOrder); po != nil {
			found = true
			for _, w := range c.Node.COM.Plan(in.ProductOrder) {
				waves = append(waves, w.Name)
			}
			for _, p := range po.RelatedParty {
				if strings.EqualFold(p.Role, "customer") {
					party = p.ID
				}
			}
		}
	}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if !found || !tmf630.Sees(r, party) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "productOrder: no product order "+strconv.Quote(in.ProductOrder)+" in progress"))
		return
	}
	if len(waves) > 0 && !slices.Contains(waves, in.Wave) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("wave: %q is not a wave of %s's plan%s (waves: %s)",
			in.Wave, in.ProductOrder, hint.DidYouMean(in.Wave, waves), strings.Join(waves, ", "))))
		return
	}
	reply, e := c.Node.Command(r.Context(), engine.COM, com.AddSite{Order: in.ProductOrder, Site: com.Site{Code: in.Code, Name: in.Name, Address: in.Address, Wave: in.Wave}})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	done, _ := reply.(com.Changed)
	if done.Refused != "" {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, done.Refused))
		return
	}
	tmf630.WriteJSON(w, http.StatusCreated, map[string]string{"productOrder": done.Order, "site": in.Code})
}
