package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/ui"
)

// serveStore runs serve on the store db until stop (or the test's end).
func serveStore(t *testing.T, db string, args ...string) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveCmd(ctx, append(args, "--db", db, "--addr", "127.0.0.1:0"), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "serve stopped before it served")
	go func() { _, _ = io.Copy(io.Discard, r) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			assert.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	return addr, stop
}

// call makes a request with a token, a JSON body ("" for none) and the
// header's name and value pairs, and decodes a JSON answer into out (nil:
// none).
func call(t *testing.T, method, url, token, body string, out any, header ...string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out), "%s %s: %s", method, url, b)
	}
	return res.StatusCode
}

type clockAnswer struct {
	State, VirtualTime, EngineTime, NextDue, Message string
	Scale                                            float64
}

// The clock is an operator's: paused, virtual time stands still — the
// engine takes nothing later, a step takes the next input due and no
// more — and a restart goes on paused where it stood; resumed, it runs
// again. Each change is journalled. Bad requests are 400s, a step the
// clock's state forbids a 409, and a role other than operations' a 403.
func TestServeClockControl(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	addr, stop := serveStore(t, db, example, "--scale", "1") // a real second a second: T+0 for the test
	base := "http://" + addr + ui.ClockPath
	ops := devToken(t, db, auth.Operations, "")

	for body, want := range map[string]string{
		`{}`:                   "give state",
		`{"state":"stopped"}`:  `state: "stopped": want running or paused`,
		`{"scale":0}`:          "scale: 0: want at least 0.001",
		`{"scale":1e12}`:       "at most",
		`{"paused":true}`:      `unknown member "paused"`,
		`{"state":"paused"`:    "",
		`{"scale":"fast"}`:     "scale",
		`{"state":["paused"]}`: "state",
	} {
		var e clockAnswer
		assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPatch, base, ops, body, &e), body)
		assert.Contains(t, e.Message, want, body)
	}
	var c clockAnswer
	assert.Equal(t, http.StatusConflict, call(t, http.MethodPost, base+"/step", ops, "", &c))
	assert.Contains(t, c.Message, "the clock runs: pause it")
	assert.Equal(t, http.StatusForbidden, call(t, http.MethodPatch, base, devToken(t, db, auth.Sales, "CUST-ENT-1102"), `{"state":"paused"}`, nil))

	require.Equal(t, http.StatusOK, call(t, http.MethodPatch, base, ops, `{"state":"paused"}`, &c))
	assert.Equal(t, "paused", c.State)
	paused := c.VirtualTime
	require.NotEmpty(t, c.NextDue, "the example's timers wait")
	// The example's quote is reviewed over days of virtual time: the
	// engine stands before the next timer until a step.
	var again clockAnswer
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, base, ops, "", &again))
	assert.Equal(t, paused, again.VirtualTime, "paused: virtual time stands")
	next := again.NextDue
	// A step takes no members: one given is a 400, and nothing steps.
	var e struct{ Message string }
	assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, base+"/step", ops, `{"x":1}`, &e))
	assert.Contains(t, e.Message, `unknown member "x"`)
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, base, ops, "", &again))
	assert.Equal(t, paused, again.VirtualTime, "the refused step stepped nothing")
	require.Equal(t, http.StatusOK, call(t, http.MethodPost, base+"/step", ops, "{}", &c))
	assert.Equal(t, next, c.VirtualTime, "a step goes to the next input due")
	assert.Equal(t, "paused", c.State)
	require.Equal(t, http.StatusOK, call(t, http.MethodPatch, base, ops, `{"scale":3600}`, &c))
	assert.Equal(t, 3600.0, c.Scale)
	assert.Equal(t, next, c.VirtualTime, "a rescale keeps the clock paused where it stood")
	stop()

	// A restart goes on paused where the clock stood, at its scale.
	addr, stop = serveStore(t, db, example)
	base = "http://" + addr + ui.ClockPath
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, base, ops, "", &c))
	assert.Equal(t, "paused", c.State)
	assert.Equal(t, next, c.VirtualTime)
	assert.Equal(t, 3600.0, c.Scale)
	require.Equal(t, http.StatusOK, call(t, http.MethodPatch, base, ops, `{"state":"running"}`, &c))
	assert.Equal(t, "running", c.State)
	require.Eventually(t, func() bool {
		call(t, http.MethodGet, base, ops, "", &c)
		return c.VirtualTime != next
	}, 10*time.Second, 10*time.Millisecond, "resumed, virtual time runs on")
	stop()

	// The journal has each change, as the operator made it.
	var clock []string
	for _, r := range journalOf(t, db) {
		if r.Kind == "clock" {
			clock = append(clock, r.To)
		}
	}
	assert.Equal(t, []string{"paused", "stepped to " + next, "scale 3600", "running"}, clock)
}

// journalOf is every record of the journal of the SQLite store at db,
// which no server has open.
func journalOf(t *testing.T, db string) []store.Record {
	t.Helper()
	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	records, err := st.RecordsAfter(0)
	require.NoError(t, err)
	return records
}

// A fault of the twin's kinds is injected into the running twin: listed
// with its hits; a name taken is a 409, a rule that is not valid a 400. A
// restart has it still (replayed from the input log, or restored from
// the snapshot of the clean stop).
func TestServeFaultInjection(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	addr, stop := serveStore(t, db, "--scale", "1")
	url := "http://" + addr + ui.FaultPath
	ops := devToken(t, db, auth.Operations, "")
	rule := `{"name":"bne-olt-down","kind":"down","target":{"system":"access","area":"BNE-CBD"},"until":"P2D"}`
	var e struct{ Message string }
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, ops, rule, nil))
	assert.Equal(t, http.StatusConflict, call(t, http.MethodPost, url, ops, rule, &e))
	assert.Contains(t, e.Message, "bne-olt-down")
	for body, want := range map[string]string{
		`{"name":"x","kind":"meteor"}`:                                  `unknown kind "meteor"`,
		`{"name":"y","kind":"latency"}`:                                 "needs a factor",
		`{"name":"z","kind":"hard","after":"SO-PILOT completed"}`:       "waits for no trigger",
		`{"name":"w","kind":"hard","target":{"planet":"mars"}}`:         `target: unknown member "planet"`,
		`{"name":"v","kind":"lostCPE","target":{"system":"logistics"}}`: "fault v: target: system: a lostCPE fault hits the CE router's commit, which the catalog puts on ztp, never on logistics: it can never fire",
		`{"name":"u","kind":"hard","probability":0}`:                    "probability 0 never fires",
		`{"name":"t","kind":"hard","every":0}`:                          "a count of 0: want 1 or more",
		`{"name":"s","kind":"hard","factor":2}`:                         "fault s: factor is a latency fault's: a hard fault takes none",
	} {
		assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, url, ops, body, &e), body)
		assert.Contains(t, e.Message, want, body)
		assert.NotContains(t, e.Message, "faults[0]", "one rule, named as itself")
	}
	var faults []struct {
		Name, Kind string
		Hits       int
	}
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, url, ops, "", &faults))
	require.Len(t, faults, 1)
	assert.Equal(t, "bne-olt-down", faults[0].Name)
	assert.Equal(t, "down", faults[0].Kind)
	stop()

	addr, stop = serveStore(t, db)
	url = "http://" + addr + ui.FaultPath
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, url, ops, "", &faults))
	require.Len(t, faults, 1, "the restart has the fault")
	assert.Equal(t, "bne-olt-down", faults[0].Name)
	assert.Equal(t, http.StatusConflict, call(t, http.MethodPost, url, ops, rule, &e))

	// Lifted, the rule is listed so, with its hits, after a restart too;
	// sales may not lift one, and an unknown name is a 404.
	sales := devToken(t, db, auth.Sales, "CUST-ENT-1102")
	assert.Equal(t, http.StatusForbidden, call(t, http.MethodDelete, url+"/bne-olt-down", sales, "", nil))
	assert.Equal(t, http.StatusNotFound, call(t, http.MethodDelete, url+"/bne-olt-up", ops, "", &e))
	assert.Contains(t, e.Message, "fault bne-olt-up: the twin has no fault rule of that name")
	require.Equal(t, http.StatusNoContent, call(t, http.MethodDelete, url+"/bne-olt-down", ops, "", nil))
	require.Equal(t, http.StatusNoContent, call(t, http.MethodDelete, url+"/bne-olt-down", ops, "", nil), "lifted again: as it was")
	var lifted []struct {
		Name   string
		Lifted bool
	}
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, url, ops, "", &lifted))
	assert.Equal(t, []struct {
		Name   string
		Lifted bool
	}{{"bne-olt-down", true}}, lifted)
	stop()
	addr, stop = serveStore(t, db)
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "http://"+addr+ui.FaultPath, ops, "", &lifted))
	assert.True(t, lifted[0].Lifted, "lifted after a restart")
	stop()
	lifts := 0
	for _, r := range journalOf(t, db) {
		if r.Kind == "fault" && r.To == "lifted" {
			lifts++
			assert.Equal(t, "bne-olt-down", r.Entity)
			assert.Contains(t, r.Reason, "lifted from the console by ")
		}
	}
	assert.Equal(t, 1, lifts, "one lift journalled")
}

// A library scenario is started on the running server: its quote and
// order placed through the TMF APIs as its caller, its faults injected;
// started again with the same key, it places nothing twice. An unknown
// scenario is a 400 that lists the library; a role that may not place
// orders is a 403.
func TestServeScenarioRun(t *testing.T) {
	s := serveInProcess(t, "--scale", "1")
	url := "http://" + s.addr + ui.ScenarioRunPath
	admin := devToken(t, s.db, auth.Admin, "")
	var run struct {
		Orders []struct{ Quote, ProductOrder, State string }
		Faults []string
	}
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, admin, `{"scenario":"flaky-netconf.yaml","faults":true}`, &run))
	require.Len(t, run.Orders, 1)
	assert.NotEmpty(t, run.Orders[0].ProductOrder)
	assert.NotEmpty(t, run.Faults)
	first := run.Orders[0].ProductOrder
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, admin, `{"scenario":"flaky-netconf.yaml","faults":true}`, &run))
	assert.Equal(t, first, run.Orders[0].ProductOrder, "the same run again is the same order")
	var e struct{ Message string }
	assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, url, admin, `{"scenario":"atlantis.yaml"}`, &e))
	assert.Contains(t, e.Message, "globaltech-5site.yaml")
	assert.Equal(t, http.StatusForbidden, call(t, http.MethodPost, url, devToken(t, s.db, auth.Operations, ""), `{"scenario":"flaky-netconf.yaml"}`, nil))
	// Sales places orders, and injected the run's faults into the twin
	// every order shares, which POST fault refuses it; now refused, with
	// nothing placed. Without faults, its run is taken.
	sales := devToken(t, s.db, auth.Sales, "CUST-ENT-1102")
	assert.Equal(t, http.StatusForbidden, call(t, http.MethodPost, url, sales, `{"scenario":"pilot-sla-breach.yaml","faults":true}`, &e))
	assert.Contains(t, e.Message, "faults: a run injects the scenario's faults as POST /ordertwin/v1/fault does")
	var faults []map[string]any
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "http://"+s.addr+ui.FaultPath, admin, "", &faults))
	for _, f := range faults {
		assert.NotContains(t, f["name"], "pilot-sla-breach", "no fault of the refused run")
	}
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, `{"scenario":"pilot-sla-breach.yaml"}`, &run))

	// A site added to the order: refused while the order is not in
	// progress; stepped there on the paused clock, it is taken.
	add := func(code string) string {
		return `{"productOrder":"` + first + `","code":"` + code + `","address":"Level 12, 120 Collins Street, Melbourne VIC 3000","wave":"Wave 2"}`
	}
	sites := "http://" + s.addr + ui.SiteAdditionPath
	assert.Equal(t, http.StatusConflict, call(t, http.MethodPost, sites, admin, add("MELB2"), &e))
	assert.Contains(t, e.Message, "the order is acknowledged")
	for body, want := range map[string]string{
		`{"productOrder":"PO-404","code":"X","address":"Level 12, 120 Collins Street, Melbourne VIC 3000","wave":"Wave 2"}`: `no product order "PO-404"`,
		`{"productOrder":"` + first + `","code":"X","address":"1 Nowhere Lane","wave":"Wave 2"}`:                            "not an address the network serves",
		`{"productOrder":"` + first + `","address":"Level 12, 120 Collins Street, Melbourne VIC 3000","wave":"Wave 2"}`:     "code: missing",
	} {
		assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, sites, admin, body, &e), body)
		assert.Contains(t, e.Message, want, body)
	}
	clock := "http://" + s.addr + ui.ClockPath
	require.Equal(t, http.StatusOK, call(t, http.MethodPatch, clock, admin, `{"state":"paused"}`, nil))
	orderURL := "http://" + s.addr + "/tmf-api/productOrderingManagement/v4/productOrder/" + first
	var order struct{ State string }
	for steps := 0; order.State != "inProgress"; steps++ {
		require.Less(t, steps, 200, "the order goes in progress within 200 steps")
		require.Equal(t, http.StatusOK, call(t, http.MethodPost, clock+"/step", admin, "", nil))
		require.Equal(t, http.StatusOK, call(t, http.MethodGet, orderURL, admin, "", &order))
	}
	var added struct{ ProductOrder, Site string }
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, sites, admin, add("MELB2"), &added))
	assert.Equal(t, first, added.ProductOrder)
	assert.Equal(t, http.StatusConflict, call(t, http.MethodPost, sites, admin, add("MELB2"), &e))
	assert.Contains(t, e.Message, "MELB2")
	// A wave the order's plan does not have (it went into a late wave).
	nowave := strings.Replace(add("MELB3"), `"wave":"Wave 2"`, `"wave":"Wave 9"`, 1)
	assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, sites, admin, nowave, &e))
	assert.Contains(t, e.Message, `wave: "Wave 9" is not a wave of `+first+`'s plan`)
}

type whatIfAnswer struct {
	ID, State, Message string
	Done               int
	Result             json.RawMessage
	Distribution       []struct {
		Of        string
		Target    string
		OnTime    float64
		Completed int
		Bins      []struct {
			From, To float64
			Count    int
		}
		CDF []struct{ At, Share float64 }
	}
}

// A what-if of a library scenario runs beside the engine and answers each
// wave's and the order's distribution; the same seed gives the same
// answer, another seed another. Asking too much, or of a scenario not in
// the library, is a 400; a finished what-if is not cancelled (409), a
// queued one is.
func TestServeWhatIf(t *testing.T) {
	s := serveInProcess(t, "--scale", "1")
	url := "http://" + s.addr + ui.WhatIfPath
	sales := devToken(t, s.db, auth.Sales, "CUST-ENT-1102")
	wait := func(id string) whatIfAnswer {
		var w whatIfAnswer
		require.Eventually(t, func() bool {
			require.Equal(t, http.StatusOK, call(t, http.MethodGet, url+"/"+id, sales, "", &w))
			return w.State != "queued" && w.State != "running"
		}, 60*time.Second, 20*time.Millisecond)
		return w
	}
	ask := `{"scenario":"globaltech-5site.yaml","runs":40,"cv":0.3,"seed":7,"bins":10}`
	var a, b, c whatIfAnswer
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, ask, &a))
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, ask, &b))
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, strings.Replace(ask, `"seed":7`, `"seed":8`, 1), &c))
	a, b, c = wait(a.ID), wait(b.ID), wait(c.ID)
	require.Equal(t, "completed", a.State, a.Message)
	assert.Equal(t, 40, a.Done)
	assert.JSONEq(t, string(a.Result), string(b.Result), "the same seed, the same answer")
	cliSays, err := cli("whatif", example, "--runs", "40", "--cv", "0.3", "--seed", "7", "--format", "json")
	require.NoError(t, err)
	assert.JSONEq(t, cliSays, string(a.Result), "what ordertwin whatif prints")
	assert.Equal(t, a.Distribution, b.Distribution)
	assert.NotEqual(t, a.Distribution, c.Distribution, "another seed, other runs")
	require.Len(t, a.Distribution, 4, "the order and its three waves")
	assert.Equal(t, "order", a.Distribution[0].Of)
	for _, d := range a.Distribution {
		assert.Len(t, d.Bins, 10, d.Of)
		assert.NotEmpty(t, d.CDF, d.Of)
		assert.NotEmpty(t, d.Target, d.Of)
	}
	var e whatIfAnswer
	assert.Equal(t, http.StatusConflict, call(t, http.MethodDelete, url+"/"+a.ID, sales, "", &e))
	assert.Contains(t, e.Message, "is completed")

	for body, want := range map[string]string{
		`{"scenario":"atlantis.yaml","runs":10}`:                 `no scenario "atlantis.yaml" in the library`,
		`{"scenario":"globaltech-5site.yaml","runs":0}`:          "runs: 0: want 1 to 2000",
		`{"scenario":"globaltech-5site.yaml","runs":10,"cv":-1}`: "cv: -1",
		`{"scenario":"globaltech-5site.yaml","runs":2,"bins":0}`: "bins: 0: want 1 to 200",    // was taken for 24
		`{"scenario":"globaltech-5site.yaml"}`:                   "runs: required, 1 to 2000", // was "runs: 0"
		`{"scenario":"national-rollout.yaml","runs":100}`:        "at most 100000 site runs",
		`{"scenario":"globaltech-5site.yaml","runs":10,"x":1}`:   `unknown member "x"`,
	} {
		assert.Equal(t, http.StatusBadRequest, call(t, http.MethodPost, url, sales, body, &e), body)
		assert.Contains(t, e.Message, want, body)
	}
	// One runs, the next waits: the waiting one is cancelled at once.
	var long, queued whatIfAnswer
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, `{"scenario":"globaltech-5site.yaml","runs":2000}`, &long))
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, url, sales, `{"scenario":"globaltech-5site.yaml","runs":2000}`, &queued))
	require.Equal(t, http.StatusOK, call(t, http.MethodDelete, url+"/"+queued.ID, sales, "", &e))
	assert.Equal(t, "cancelled", e.State)
	require.Equal(t, http.StatusOK, call(t, http.MethodDelete, url+"/"+long.ID, sales, "", &e))
	assert.Equal(t, "cancelled", wait(long.ID).State)
	assert.Equal(t, http.StatusForbidden, call(t, http.MethodPost, url, devToken(t, s.db, auth.Partner, "CUST-X"), ask, nil))
}
