package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/bench/load"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/scenarios"
)

// loadRun runs ordertwin load with args, and reads the JSON report it
// wrote.
func loadRun(t *testing.T, args ...string) (*load.Report, string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	var out bytes.Buffer
	err := loadCmd(context.Background(), append(args, "--json", file), &out)
	if _, statErr := os.Stat(file); statErr != nil {
		return nil, out.String(), err
	}
	rep, readErr := readReport(file)
	require.NoError(t, readErr)
	return rep, out.String(), err
}

// load against a server (serve, the live default, a new store): every
// order the report counts as placed is on the server exactly once, under
// the run's externalId; the quotes, reads and cancellations are counted
// as answered; each arrival is one operation. Then the report is a
// baseline: a run against one far better fails, naming the figure; one
// against a far worse passes. (Ten answers are too few for a latency to
// be compared: the run says so.)
func TestLoadAgainstServe(t *testing.T) {
	s := serveInProcess(t)
	base := "http://" + s.addr
	token := devToken(t, s.db, auth.Admin, "")
	svg := filepath.Join(t.TempDir(), "load.svg")
	rep, out, err := loadRun(t, "--to", base, "--token", token, "--rate", "20", "--orders", "60", "--run", "t1",
		"--mix", "order=80,read=10,cancel=10", "--seed", "3", "--svg", svg)
	require.NoError(t, err, out)
	assert.Empty(t, rep.Stopped)
	assert.Equal(t, 60, rep.Arrivals)
	assert.Equal(t, base, rep.Target)
	assert.Equal(t, map[string]int{"order": 80, "read": 10, "cancel": 10}, rep.Mix)

	quote, order := rep.Operations["quote"], rep.Operations["order"]
	require.NotNil(t, quote, out)
	require.NotNil(t, order, out)
	// A server too busy to take a request says so (503) and takes nothing.
	for _, errs := range []map[string]int{quote.Errors, order.Errors} {
		for status := range errs {
			assert.Equal(t, "503", status)
		}
	}
	assert.Equal(t, quote.OK, order.OK+uint64(order.Errors["503"]))
	answered := int(order.OK) + order.Errors["503"] + quote.Errors["503"]
	for _, op := range []string{"read", "cancel"} {
		if o := rep.Operations[op]; o != nil {
			answered += int(o.OK)
			for status, n := range o.Errors {
				assert.Contains(t, []string{"409"}, status, "%s: a cancellation of an order that has ended", op)
				answered += n
			}
		}
	}
	assert.Equal(t, 60, answered, "every arrival is one operation")
	require.NotNil(t, rep.Operations["read"], out)
	assert.Positive(t, rep.Operations["read"].OK)
	assert.Greater(t, order.P50, 0.0)
	assert.LessOrEqual(t, order.P50, order.P99)
	assert.LessOrEqual(t, order.P99, order.Max)
	assert.Regexp(t, `(?m)^order +\d+ `, out)

	c := &client{base: base, http: http.DefaultClient, token: token}
	var list []tmf622.ProductOrder
	require.NoError(t, c.get(context.Background(), tmf630.ProductOrdering+"/productOrder?fields=externalId&limit=1000", &list))
	placed := map[string]int{}
	for _, po := range list {
		if strings.HasPrefix(po.ExternalID, "load-t1-") {
			placed[po.ExternalID]++
		}
	}
	assert.Len(t, placed, int(order.OK), "every order placed is on the server, and no other")
	for id, n := range placed {
		assert.Equal(t, 1, n, "%s placed once", id)
	}
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<polyline")

	// The baseline: far better fails, naming what regressed; far worse passes.
	better, worse := *rep, *rep
	better.Operations, worse.Operations = map[string]*load.OperationReport{}, map[string]*load.OperationReport{}
	for name, o := range rep.Operations {
		b, w := *o, *o
		b.P99, w.P99 = o.P99/1000, o.P99*1000
		better.Operations[name], worse.Operations[name] = &b, &w
	}
	better.OrdersPerSecond, worse.OrdersPerSecond = 1e6, 0
	for _, r := range []*load.Report{&better, &worse} { // the load of the runs below
		r.Profile, r.Mix, r.Arrivals = "200/s", map[string]int{"order": 1}, 10
	}
	dir := t.TempDir()
	for name, r := range map[string]*load.Report{"better.json": &better, "worse.json": &worse} {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	_, out, err = loadRun(t, "--to", base, "--token", token, "--rate", "200", "--orders", "10", "--run", "t2",
		"--baseline", filepath.Join(dir, "better.json"), "--fail-over", "20%")
	assert.Equal(t, 1, status(err), out)
	assert.ErrorContains(t, err, "throughput")
	assert.Contains(t, out, "REGRESSED throughput")
	assert.Regexp(t, `note: order latency not compared: 10 answers well here, \d+ in the baseline`, out)
	_, out, err = loadRun(t, "--to", base, "--token", token, "--rate", "200", "--orders", "10", "--run", "t3",
		"--baseline", filepath.Join(dir, "worse.json"))
	require.NoError(t, err, out)
	assert.Contains(t, out, "within 20% of the baseline")
}

// inMemory is a transport that hands each request to a handler in the
// same process, so that the synctest clock runs the handler's time too.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	m.h.ServeHTTP(w, r)
	res := w.Result()
	res.Request = r
	return res, nil
}

// Coordinated omission, through load's HTTP client: a TMF server that
// stalls every request between 1 s and 2 s after the start until 2 s. The
// quotes due during the stall count their latency from when they were
// due: the one due at 1 s takes 1 s, and the 50 due in the stall's first
// half over 500 ms; the orders, sent when their quote was answered, do not
// wait.
func TestLoadLatencyIncludesAStall(t *testing.T) {
	sc, err := scenarios.LoadLibrary(loadExample)
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var quotes, orders atomic.Int64
		server := http.NewServeMux()
		stall := func() {
			if at := time.Since(start); at >= time.Second && at < 2*time.Second {
				time.Sleep(2*time.Second - at)
			}
		}
		server.HandleFunc("POST "+tmf630.QuoteManagement+"/quote", func(w http.ResponseWriter, r *http.Request) {
			stall()
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"QT-` + string(rune('0'+quotes.Add(1)%10)) + `","state":"inProgress"}`))
		})
		server.HandleFunc("POST "+tmf630.ProductOrdering+"/productOrder", func(w http.ResponseWriter, r *http.Request) {
			orders.Add(1)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"PO-1","state":"acknowledged"}`))
		})
		l, err := newLoadClient("http://tmf.example", "", &http.Client{Transport: inMemory{server}}, sc, "stall", 1)
		require.NoError(t, err)
		mix, err := load.ParseMix("order=1", loadOps)
		require.NoError(t, err)
		rep, err := load.Run(context.Background(), load.Config{Profile: load.Rate(100, 3*time.Second), MaxDuration: time.Minute, MaxInFlight: 1000,
			Mix: mix}, l.do)
		require.NoError(t, err)
		q, o := rep.Operations["quote"], rep.Operations["order"]
		require.NotNil(t, q)
		require.NotNil(t, o)
		assert.Equal(t, uint64(300), q.OK)
		assert.Equal(t, uint64(300), o.OK)
		assert.Equal(t, int64(300), orders.Load())
		assert.InDelta(t, 1000, q.Max, 1)
		over := uint64(0)
		for _, b := range q.Histogram {
			if b.UpToMs > 500 {
				over += b.Count
			}
		}
		assert.InDelta(t, 50, over, 1)
		assert.Less(t, o.Max, 1.0, "an order is sent when its quote is answered")
	})
}

// A server that redirects elsewhere is not followed: the redirect is
// counted as the answer, and the other host hears nothing.
func TestLoadFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	rep, out, err := loadRun(t, "--to", redirecting.URL, "--rate", "100", "--orders", "3")
	require.NoError(t, err, out)
	assert.Equal(t, map[string]int{"307": 3}, rep.Operations["quote"].Errors)
	assert.Nil(t, rep.Operations["order"])
	assert.Zero(t, elsewhere.Load())
}

// --scenario takes a library scenario's name, as serve and chaos do:
// quotes of the live population's customers.
func TestLoadScenarioFromTheLibrary(t *testing.T) {
	var customers sync.Map
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q struct {
			RelatedParty []struct{ ID string } `json:"relatedParty"`
		}
		if json.NewDecoder(r.Body).Decode(&q) == nil && len(q.RelatedParty) > 0 {
			customers.Store(q.RelatedParty[0].ID, true)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer server.Close()
	_, out, err := loadRun(t, "--to", server.URL, "--rate", "100", "--orders", "2", "--scenario", "live/population.yaml")
	require.NoError(t, err, out)
	_, worked := customers.Load("CUST-ENT-1102")
	assert.False(t, worked, "not the worked example's customer")
	n := 0
	customers.Range(func(any, any) bool { n++; return true })
	assert.Equal(t, 2, n, "the population's first two customers")
}

// Bad flags are refused before anything is sent, each with an error that
// names the flag.
func TestLoadBadFlags(t *testing.T) {
	dir := t.TempDir()
	notReport := filepath.Join(dir, "not.json")
	require.NoError(t, os.WriteFile(notReport, []byte(`{"target":"x"}`), 0o644))
	baselines := map[string]load.Report{
		"down.json": {Operations: map[string]*load.OperationReport{"quote": {Errors: map[string]int{"transport": 60}}}},
		"cut.json":  {Stopped: "interrupted", Operations: map[string]*load.OperationReport{"quote": {OK: 3}, "order": {OK: 3}}},
		"other.json": {Profile: "100/s for 30s", Mix: map[string]int{"order": 1}, Arrivals: 3000,
			Operations: map[string]*load.OperationReport{"quote": {OK: 3000}, "order": {OK: 3000}}},
	}
	for name, r := range baselines {
		require.NoError(t, writeJSONFile(filepath.Join(dir, name), r))
	}
	to := []string{"--to", "http://127.0.0.1:1"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--to URL: say which server"},
		{[]string{"--to", "ftp://example.org"}, "want an http or https URL"},
		{[]string{"--to", "127.0.0.1:8080"}, `--to "127.0.0.1:8080": want a URL with its scheme, such as http://127.0.0.1:8080`},
		{[]string{"--to", "http://example.org/?x=1"}, "without user, query or fragment"},
		{append(to, "--rate", "0"), "--rate 0: want arrivals a second"},
		{append(to, "--rate", "10", "--steps", "10:1s"), "give one of --rate, --ramp and --steps"},
		{append(to, "--duration", "0s"), "--duration 0s: want a positive duration"},
		{append(to, "--ramp", "0:0", "--duration", "2s"), "brings no arrival"},
		{append(to, "--steps", "0:1s"), "brings no arrival"},
		{append(to, "--orders", "0"), "--orders 0: want at least 1"},
		{append(to, "--json", filepath.Join(dir, "no", "such", "folder", "r.json")), "--json: open"},
		{append(to, "--svg", filepath.Join(dir, "no", "r.svg")), "--svg: open"},
		{append(to, "--steps", "100:1s", "--duration", "5s"), "--steps gives its own durations"},
		{append(to, "--steps", "100"), "--steps: step 1"},
		{append(to, "--mix", "order=90,delete=10"), `unknown operation "delete"`},
		{append(to, "--mix", "order=0"), "the weights are all 0"},
		{append(to, "--max-in-flight", "0"), "--max-in-flight 0"},
		{append(to, "--orders", "-3"), "--orders -3: want at least 1"},
		{append(to, "--steps", ""), `--steps: step 1 ""`},
		{append(to, "--ramp", ""), `--ramp: ramp ""`},
		{append(to, "--max-duration", "0s"), "--max-duration 0s: want a positive duration"},
		{append(to, "--timeout", "0s"), "--timeout 0s: want a positive duration"},
		{append(to, "--fail-over", "10%"), "give --baseline FILE"},
		{append(to, "--baseline", notReport, "--fail-over", "lots"), `--fail-over: "lots": want a percentage`},
		{append(to, "--baseline", filepath.Join(dir, "missing.json")), "--baseline: open"},
		{append(to, "--baseline", notReport), "not a load report: it has no operations"},
		// A baseline that measured nothing, or part of its profile, or another load, compares with nothing.
		{append(to, "--baseline", filepath.Join(dir, "down.json")), "down.json: it measured nothing: none of its requests was answered well (quote transport×60)"},
		{append(to, "--baseline", filepath.Join(dir, "cut.json")), "cut.json: it was cut short (stopped: interrupted): its figures are of part of its profile"},
		{append(to, "--baseline", filepath.Join(dir, "other.json"), "--rate", "10", "--duration", "1s"),
			"offered another load, its figures do not compare: this run would offer the profile 10/s for 1s, the baseline's 100/s for 30s; 10 arrivals, the baseline's 3000"},
		{append(to, "--baseline", filepath.Join(dir, "other.json"), "--rate", "100", "--duration", "30s", "--mix", "order=1,read=1"),
			"this run would offer the mix order=1,read=1, the baseline's order=1"},
		// A name a key could hold only changed would send another's keys.
		{append(to, "--run", "a b"), `--run "a b": a name of letters, digits, '.', '_' and '-' (it is in every Idempotency-Key and externalId), not ' '`},
		{append(to, "--run", "a\nb"), `--run "a\nb": a name of letters`},
		{append(to, "--run", strings.Repeat("r", 101)), "--run: a name of 101 bytes: at most 100"},
		{append(to, "--scenario", "nope.yaml"), "--scenario: "},
		{append(to, "extra"), `unexpected argument "extra"`},
		{append(to, "--rate", "fast"), "invalid value"},
		{append(to, "--duration", "5"), "(a duration with its unit, such as 30s, 5m or 1h30m)"},
	} {
		_, err := cli(append([]string{"load"}, c.args...)...)
		assert.Equal(t, 2, status(err), "%v", c.args)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
	}
}

// The mix's operations, against a fake TMF server that checks what it is
// sent: a read GETs an order the run placed; a cancellation POSTs
// cancelProductOrder naming it, each order at most once; a change reads
// the order, then POSTs a change order on its installed product with
// another speed of its offering (a 200, a site not yet active, counts as
// answered); an order without a product yet is a change's fault "no
// product yet".
func TestLoadMixAgainstAFakeServer(t *testing.T) {
	sc, err := scenarios.LoadLibrary(loadExample)
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var placed atomic.Int64
		cancelled := map[string]int{}
		var changes []tmf622.ChangeBody
		mu := make(chan struct{}, 1)
		locked := func(f func()) {
			mu <- struct{}{}
			defer func() { <-mu }()
			f()
		}
		server := http.NewServeMux()
		server.HandleFunc("POST "+tmf630.QuoteManagement+"/quote", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"QT-1"}`))
		})
		server.HandleFunc("POST "+tmf630.ProductOrdering+"/productOrder", func(w http.ResponseWriter, r *http.Request) {
			var body map[string]json.RawMessage
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			if _, ok := body["quote"]; ok {
				n := placed.Add(1)
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"id":"PO-` + strconv.FormatInt(n, 10) + `"}`))
				return
			}
			var change tmf622.ChangeBody
			b, _ := json.Marshal(body)
			require.NoError(t, json.Unmarshal(b, &change))
			locked(func() { changes = append(changes, change) })
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":"PO-1"}`))
		})
		server.HandleFunc("GET "+tmf630.ProductOrdering+"/productOrder/{id}", func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("id") == "PO-1" { // only the first has an installed product
				_, _ = w.Write([]byte(`{"id":"PO-1","productOrderItem":[{"id":"POI-001","product":{"id":"PRD-MELB"}}]}`))
				return
			}
			_, _ = w.Write([]byte(`{"id":"` + r.PathValue("id") + `","productOrderItem":[{"id":"POI-001"}]}`))
		})
		server.HandleFunc("POST "+tmf630.ProductOrdering+"/cancelProductOrder", func(w http.ResponseWriter, r *http.Request) {
			var task struct{ ProductOrder tmf630.Ref }
			require.NoError(t, json.NewDecoder(r.Body).Decode(&task))
			locked(func() { cancelled[task.ProductOrder.ID]++ })
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"CPO-1"}`))
		})
		l, err := newLoadClient("http://tmf.example", "", &http.Client{Transport: inMemory{server}}, sc, "mix", 1)
		require.NoError(t, err)
		mix, err := load.ParseMix("order=40,change=20,cancel=20,read=20", loadOps)
		require.NoError(t, err)
		rep, err := load.Run(context.Background(), load.Config{Profile: load.Rate(100, 0), Count: 400, MaxDuration: time.Minute, MaxInFlight: 1000,
			Mix: mix, Seed: 9}, l.do)
		require.NoError(t, err)
		ops := rep.Operations
		require.Len(t, ops, 5, "quote, order, change, cancel, read")
		assert.Equal(t, uint64(placed.Load()), ops["order"].OK)
		assert.Equal(t, ops["quote"].OK, ops["order"].OK)
		total := int(ops["order"].OK + ops["read"].OK + ops["cancel"].OK + ops["change"].OK)
		assert.Equal(t, 400, total+ops["change"].Errors["no product yet"])
		assert.Positive(t, ops["change"].OK, "changes of PO-1's product")
		assert.Positive(t, ops["change"].Errors["no product yet"])
		assert.Equal(t, int(ops["cancel"].OK), len(cancelled))
		for id, n := range cancelled {
			assert.Equal(t, 1, n, "%s cancelled once", id)
		}
		require.Len(t, changes, int(ops["change"].OK))
		for _, c := range changes {
			require.Len(t, c.ProductOrderItem, 1)
			it := c.ProductOrderItem[0]
			assert.Equal(t, "modify", it.Action)
			assert.Equal(t, "PRD-MELB", it.Product.ID)
			require.Len(t, it.Product.ProductCharacteristic, 1)
			assert.Equal(t, "speed", it.Product.ProductCharacteristic[0].Name)
			assert.Contains(t, []any{"100M-sym", "1G-sym"}, it.Product.ProductCharacteristic[0].Value, "another speed of PO-EFCG-01 than the quote's 500M-sym")
			assert.Equal(t, "CUST-ENT-1102", c.RelatedParty[0].ID)
		}
	})
}

// A population's customers are quoted one after the other, each wave's
// target from the order (the scenario places customer c at c·arrival).
func TestLoadQuotesOfAPopulation(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/national-rollout.yaml")
	require.NoError(t, err)
	l, err := newLoadClient("http://tmf.example", "", http.DefaultClient, sc, "pop", 1)
	require.NoError(t, err)
	require.Len(t, l.quotes, 400)
	assert.Equal(t, "CUST-ENT-00399", l.quotes[399].Customer.ID)
	for _, q := range []int{0, 1, 399} {
		assert.Equal(t, 14*24*time.Hour, l.quotes[q].Waves[0].Target, "customer %d's pilot: P14D from its order", q)
		assert.Equal(t, 75*24*time.Hour, l.quotes[q].Waves[2].Target)
	}
	assert.Equal(t, []string{"100M-sym", "500M-sym", "1G-sym"}, l.speeds[0])
}

// arrivalsDue counts a profile's arrivals, bounded by a count, for the
// note that the quotes come round again.
func TestArrivalsDue(t *testing.T) {
	for _, c := range []struct {
		spec  string
		count int
		want  int
	}{{"steps:10:1s", 0, 10}, {"steps:500:20s", 0, 10000}, {"steps:500:20s", 7, 7}, {"steps:3:1s,0:1s,2:1s", 0, 5}, {"steps:0.5:3s", 0, 1}} {
		p, err := load.ParseSteps(strings.TrimPrefix(c.spec, "steps:"))
		require.NoError(t, err, c.spec)
		assert.Equal(t, c.want, arrivalsDue(p, c.count), "%s, count %d", c.spec, c.count)
	}
}

// An answer of the status wanted without the id of what it created is not
// the JSON wanted: a quote answered 201 {"foo":1} is a "bad body", and no
// order follows it.
func TestLoadCountsAnAnswerWithoutAnIDAsBadBody(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"foo":1}`))
	}))
	defer server.Close()
	rep, out, err := loadRun(t, "--to", server.URL, "--rate", "100", "--orders", "3")
	require.NoError(t, err, out)
	assert.Equal(t, map[string]int{"bad body": 3}, rep.Operations["quote"].Errors)
	assert.Zero(t, rep.Operations["quote"].OK)
	assert.Nil(t, rep.Operations["order"])
	assert.Contains(t, out, "quotes for 1 customer: from arrival 2 on", "the worked example's one customer")
}

// A run whose requests fail says what to look at: the first request that
// got no answer, as it failed; a 401 with no token sent.
func TestLoadNotesWhatItsFailuresSuggest(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	_, out, err := loadRun(t, "--to", url, "--token", "", "--rate", "100", "--orders", "2")
	require.NoError(t, err)
	assert.Contains(t, out, "note: 2 requests got no answer; the first: ")
	assert.Contains(t, out, "connection refused")

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer refusing.Close()
	_, out, err = loadRun(t, "--to", refusing.URL, "--token", "", "--rate", "100", "--orders", "2")
	require.NoError(t, err)
	assert.Contains(t, out, "note: 2 requests answered 401: no token was sent (--token, or $ORDERTWIN_TOKEN)")
	_, out, err = loadRun(t, "--to", refusing.URL, "--token", "junk", "--rate", "100", "--orders", "2")
	require.NoError(t, err)
	assert.Contains(t, out, "note: 2 requests answered 401: the server does not take the token sent")
}

// A run that did not run its whole profile, interrupted or cut by
// --max-duration, is not compared with a baseline: it exits 1 saying so,
// its report still written.
func TestLoadCutShortIsNotCompared(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"X-1"}`))
	}))
	defer server.Close()
	dir := t.TempDir()
	baseline := filepath.Join(dir, "r1.json")
	b, err := json.Marshal(load.Report{Operations: map[string]*load.OperationReport{"order": {OK: 1, P99: 1e6}}, OrdersPerSecond: 0.001})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(baseline, b, 0o644))

	for name, run := range map[string]func(report string) (string, error){
		"interrupted": func(report string) (string, error) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var out bytes.Buffer
			err := loadCmd(ctx, []string{"--to", server.URL, "--rate", "10", "--duration", "20s", "--json", report, "--baseline", baseline}, &out)
			return out.String(), err
		},
		"cut by --max-duration": func(report string) (string, error) {
			return cli("load", "--to", server.URL, "--rate", "10", "--duration", "5s", "--max-duration", "50ms", "--json", report, "--baseline", baseline)
		},
	} {
		t.Run(name, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "r.json")
			out, err := run(report)
			assert.Equal(t, 1, status(err), out)
			assert.ErrorContains(t, err, "the run was cut short")
			assert.Contains(t, out, "not compared with the baseline "+baseline)
			assert.NotContains(t, out, "within 20%")
			rep, err := readReport(report)
			require.NoError(t, err)
			assert.NotEmpty(t, rep.Stopped)
		})
	}

	// The same run in full is compared.
	out, err := cli("load", "--to", server.URL, "--rate", "100", "--orders", "2", "--baseline", baseline)
	require.NoError(t, err, out)
	assert.Contains(t, out, "within 20% of the baseline")
}

// fakeTMF is a TMF server that takes every quote and order (PO-1, PO-2…)
// and reads each order back; readFails, when set, answers every second
// read with a 500 TMF Error (every second read, not the reads of every
// second order: on a busy machine a run's reads may all be of the first
// order answered). keys are the Idempotency-Keys of the quotes it took,
// customers their customers, in the order taken.
type fakeTMF struct {
	readFails atomic.Bool
	reads     atomic.Int64
	orders    atomic.Int64
	mu        sync.Mutex
	keys      []string
	customers []string
}

func (f *fakeTMF) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+tmf630.QuoteManagement+"/quote", func(w http.ResponseWriter, r *http.Request) {
		var q struct{ RelatedParty []struct{ ID string } }
		_ = json.NewDecoder(r.Body).Decode(&q)
		f.mu.Lock()
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if len(q.RelatedParty) > 0 {
			f.customers = append(f.customers, q.RelatedParty[0].ID)
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"QT-1"}`))
	})
	mux.HandleFunc("POST "+tmf630.ProductOrdering+"/productOrder", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"PO-` + strconv.FormatInt(f.orders.Add(1), 10) + `"}`))
	})
	mux.HandleFunc("GET "+tmf630.ProductOrdering+"/productOrder/{id}", func(w http.ResponseWriter, r *http.Request) {
		if f.readFails.Load() && f.reads.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code":"500","reason":"Internal Server Error","message":"the store cannot read ` + strings.Repeat("x", 300) + `"}`))
			return
		}
		_, _ = w.Write([]byte(`{"id":"` + r.PathValue("id") + `"}`))
	})
	return mux
}

// The baseline counts errors: a run whose reads half answer 500, where
// the baseline's all answered, fails on the reads' share of errors
// though the reads answered well are as fast and the orders as many
// (before, it printed "within 20% of the baseline"); the run notes the
// server's first reason for its 500s, cut short.
func TestLoadBaselineCountsErrors(t *testing.T) {
	f := &fakeTMF{}
	server := httptest.NewServer(f.handler())
	defer server.Close()
	args := []string{"--to", server.URL, "--rate", "1000", "--orders", "100", "--mix", "order=1,read=9", "--seed", "5"}
	baseline, out, err := loadRun(t, args...)
	require.NoError(t, err, out)
	require.Empty(t, baseline.Operations["read"].Errors, out)
	file := filepath.Join(t.TempDir(), "baseline.json")
	require.NoError(t, writeJSONFile(file, baseline))

	f.readFails.Store(true)
	f.orders.Store(0)
	rep, out, err := loadRun(t, append(args, "--baseline", file)...)
	assert.Equal(t, 1, status(err), out)
	read := rep.Operations["read"]
	require.NotNil(t, read)
	assert.Positive(t, read.Errors["500"], out)
	assert.Positive(t, read.OK, out)
	assert.Regexp(t, `REGRESSED read errors: \d+ of its \d+ requests failed, \d+\.\d% \(500×\d+\), against the baseline's 0\.0%`, out)
	assert.ErrorContains(t, err, "read errors")
	assert.NotContains(t, out, "within 20%")
	assert.Regexp(t, `note: read 500×\d+; the first: GET /tmf-api/productOrderingManagement/v4/productOrder/PO-\d+: 500 the store cannot read x+…\n`, out)
	_, line, found := strings.Cut(out, "note: read 500")
	require.True(t, found, out)
	line, _, _ = strings.Cut(line, "\n")
	assert.Less(t, len(line), 300, "the reason is cut to 200 bytes: %s", line)
}

// Two runs started at once, each with the default --run, send none of
// each other's keys: the name is the start to the millisecond and a
// random part (before, the start's second only). A --run is sent as it
// is; one a key could hold only changed is refused (TestLoadBadFlags).
func TestLoadRunsStartedAtOnceSendTheirOwnKeys(t *testing.T) {
	f := &fakeTMF{}
	server := httptest.NewServer(f.handler())
	defer server.Close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_, err := cli("load", "--to", server.URL, "--rate", "1000", "--orders", "3")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, f.keys, 6)
	seen := map[string]bool{}
	for _, k := range f.keys {
		assert.Regexp(t, `^load-\d{8}T\d{6}\.\d{3}-[0-9a-z]+-[0-2]$`, k)
		assert.False(t, seen[k], "%s sent by both runs", k)
		seen[k] = true
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	assert.NotEqual(t, defaultRunName(at), defaultRunName(at))

	f.keys = nil
	_, err := cli("load", "--to", server.URL, "--rate", "1000", "--orders", "1", "--run", "nightly_2.a-b")
	require.NoError(t, err)
	assert.Equal(t, []string{"load-nightly_2.a-b-0"}, f.keys)
}

// With a mix, the customers are quoted one after the other by order, not
// by arrival: 60 arrivals of order=1,read=1 quote the population's first
// customers, each once, as many as there were orders (before, the order
// of arrival i quoted customer i, leaving out those of the reads'
// arrivals).
func TestLoadQuotesCustomersInTurnWithAMix(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/national-rollout.yaml")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTMF{}
		l, err := newLoadClient("http://tmf.example", "", &http.Client{Transport: inMemory{f.handler()}}, sc, "turn", 1)
		require.NoError(t, err)
		mix, err := load.ParseMix("order=1,read=1", loadOps)
		require.NoError(t, err)
		rep, err := load.Run(context.Background(), load.Config{Profile: load.Rate(100, 0), Count: 60, MaxDuration: time.Minute, MaxInFlight: 100,
			Mix: mix, Seed: 3}, l.do)
		require.NoError(t, err)
		n := int(rep.Operations["quote"].OK)
		require.Less(t, n, 50, "reads took some arrivals")
		require.Len(t, f.customers, n)
		for i, c := range f.customers {
			assert.Equal(t, fmt.Sprintf("CUST-ENT-%05d", i), c, "order %d", i)
		}
	})
}

// The note that the quotes come round again names the arrival of the
// order that first quotes a customer again, as the mix draws it: with
// the worked example's one customer, the second order drawn.
func TestLoadNotesWhenQuotesComeRoundWithAMix(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer server.Close()
	mix, err := load.ParseMix("order=1,read=3", loadOps)
	require.NoError(t, err)
	draw, orders, second := mix.Draws(4), 0, 0
	for i := range 20 {
		if draw() == opOrder {
			if orders++; orders == 2 {
				second = i
				break
			}
		}
	}
	require.Positive(t, second, "the second order is drawn after arrival 1")
	_, out, err := loadRun(t, "--to", server.URL, "--rate", "1000", "--orders", "20", "--mix", "order=1,read=3", "--seed", "4")
	require.NoError(t, err, out)
	assert.Contains(t, out, fmt.Sprintf("quotes for 1 customer: from arrival %d on (order 2)", second+1))
}

// A run cut short exits 1 without a baseline too, as an interrupted chaos
// run does: its report, printed and written, is of part of its profile.
func TestLoadCutShortExits1(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"X-1"}`))
	}))
	defer server.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	report := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	err := loadCmd(ctx, []string{"--to", server.URL, "--rate", "10", "--duration", "20s", "--json", report}, &out)
	assert.Equal(t, 1, status(err), out.String())
	assert.EqualError(t, err, "load: the run was cut short (stopped: interrupted): its report is of part of its profile")
	assert.Contains(t, out.String(), "(stopped: interrupted)")
	rep, err := readReport(report)
	require.NoError(t, err)
	assert.Equal(t, "interrupted", rep.Stopped)
}

// A generator that took half a core or more says so: on a shared machine
// that is the server's.
func TestLoadNotesABusyGenerator(t *testing.T) {
	l := &loadClient{c: &client{token: "t"}}
	busy := &load.Report{Seconds: 10, GeneratorCPUSeconds: 6.2}
	assert.Contains(t, l.notes(busy), "note: the generator itself took 0.62 of a core: on a machine it shares with the server, that is taken from the server; "+
		"give each cores of their own (taskset) to measure the server alone")
	assert.Empty(t, l.notes(&load.Report{Seconds: 10, GeneratorCPUSeconds: 2}))
	assert.Empty(t, l.notes(&load.Report{Seconds: 0, GeneratorCPUSeconds: 2}), "a run of no length")
}
