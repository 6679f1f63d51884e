package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/bench/load"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/scenarios"
)

// The operations of a load's mix.
const (
	opOrder  = load.OrderOp // a quote, then the order that carries it out
	opQuote  = load.QuoteOp // the quote of an order, measured on its own
	opChange = "change"     // a read of a placed order, then a change of its first product's speed
	opCancel = "cancel"     // the cancellation of a placed order
	opRead   = "read"       // a read of a placed order
)

// loadOps are the operations a mix may name.
var loadOps = []string{opOrder, opChange, opCancel, opRead}

// loadExample is the scenario whose customer and sites a load's quotes
// are for unless told otherwise: the worked example, which the live
// default serves.
const loadExample = "globaltech-5site.yaml"

// loadCmd sends open-loop load to a TMF622 server: arrivals due at a
// profile's times, each an operation of the mix, every latency counted
// from when its request was due; it prints the table of what it measured
// and writes the JSON report and the SVG plots when asked, and compares
// the report with a baseline's.
func loadCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	to := fs.String("to", "", "the server's base URL (http or https; every request goes to it, no redirect is followed)")
	token := fs.String("token", os.Getenv(tokenEnv), "the bearer token sent with each request (default $"+tokenEnv+")")
	scenarioFile := fs.String("scenario", "", "the scenario whose customers and sites the quotes are for (its orders', or its population's): a file, or a library name such as live/population.yaml; default the worked example")
	rate := fs.Float64("rate", 100, "arrivals a second, fixed")
	ramp := fs.String("ramp", "", "FROM:TO: arrivals a second going from FROM to TO over --duration")
	steps := fs.String("steps", "", "RATE:DURATION,...: each rate for its duration, one after the other")
	duration := fs.Duration("duration", 0, "how long arrivals come (default 10s unless --orders is given)")
	orders := fs.Int("orders", 0, "stop after this many arrivals (operations of the mix)")
	maxDuration := fs.Duration("max-duration", 10*time.Minute, "stop everything after this long, in flight or not")
	maxInFlight := fs.Int("max-in-flight", 512, "operations in flight at most; an arrival due beyond is dropped and counted an error")
	mixFlag := fs.String("mix", "order=100", "OP=WEIGHT,...: how often each operation comes (order, change, cancel, read)")
	seed := fs.Uint64("seed", 1, "draws each arrival's operation and the order it acts on")
	timeout := fs.Duration("timeout", 10*time.Second, "how long a request may take")
	jsonFile := fs.String("json", "", "write the report as JSON to this file")
	svgFile := fs.String("svg", "", "write the latency over time and the histograms as SVG to this file")
	baselineFile := fs.String("baseline", "", "a JSON report to compare with: exit 1 when a p99 or the throughput is worse by more than --fail-over")
	failOver := fs.String("fail-over", "20%", "with --baseline: how much worse a figure may be, a percentage")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the load generator to FILE")
	runName := fs.String("run", "", "the name in every externalId and Idempotency-Key the run sends: letters, digits, '.', '_' and '-' (default: the time it starts, to the millisecond, and a random part)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("load: unexpected argument %q (the scenario is --scenario FILE)", pos[0])
	}
	if *cpuProfile != "" {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return fmt.Errorf("load: --cpuprofile: %w", err)
		}
		defer stop()
	}
	base, err := serverURL("load", *to)
	if err != nil {
		return err
	}
	profile, err := loadProfile(fs, *rate, *ramp, *steps, *duration, *orders)
	if err != nil {
		return err
	}
	if _, ok := profile.Due(0); !ok {
		return fmt.Errorf("load: %s brings no arrival", profile)
	}
	mix, err := load.ParseMix(*mixFlag, loadOps)
	if err != nil {
		return fmt.Errorf("load: --mix: %w", err)
	}
	switch {
	case *maxInFlight <= 0:
		return fmt.Errorf("load: --max-in-flight %d: want at least 1", *maxInFlight)
	case *maxDuration <= 0:
		return fmt.Errorf("load: --max-duration %s: want a positive duration", *maxDuration)
	case *timeout <= 0:
		return fmt.Errorf("load: --timeout %s: want a positive duration", *timeout)
	case flagSet(fs, "fail-over") && *baselineFile == "":
		return errors.New("load: --fail-over says how much worse than --baseline a run may be: give --baseline FILE")
	}
	threshold, baseline, err := readBaseline("load", *baselineFile, *failOver, readReport)
	if err != nil {
		return err
	}
	if baseline != nil {
		if err := baseline.CheckBaseline(); err != nil {
			return fmt.Errorf("load: --baseline %s: %w; take a baseline of a whole run that was answered", *baselineFile, err)
		}
		offered := &load.Report{Profile: profile.String(), Mix: mix.Weights(), Arrivals: arrivalsDue(profile, *orders)}
		if unlike := load.Unlike(baseline, offered); len(unlike) > 0 {
			return fmt.Errorf("load: --baseline %s offered another load, its figures do not compare: this run would offer %s; run the baseline's load, or take a new baseline",
				*baselineFile, strings.Join(unlike, "; "))
		}
	}
	if *runName == "" {
		*runName = defaultRunName(time.Now())
	} else if err := checkRunName(*runName); err != nil {
		return err
	}
	if err := writable("load", map[string]string{"json": *jsonFile, "svg": *svgFile}); err != nil {
		return err
	}
	var sc *scenarios.Scenario
	if *scenarioFile == "" {
		sc, err = scenarios.LoadLibrary(loadExample)
	} else {
		sc, err = loadServed(*scenarioFile)
	}
	if err != nil {
		return fmt.Errorf("load: --scenario: %w", err)
	}
	if len(sc.Spec.Placements()) == 0 {
		return fmt.Errorf("load: --scenario %s has no customer and sites to quote for", sc.Name)
	}
	l, err := newLoadClient(base, *token, loadHTTP(*timeout, *maxInFlight), sc, *runName, *seed)
	if err != nil {
		return fmt.Errorf("load: --scenario %s: %w", sc.Name, err)
	}

	if n := arrivalsDue(profile, *orders); n > len(l.quotes) {
		if at, ok := requoted(mix, *seed, n, len(l.quotes)); ok {
			customers := fmt.Sprintf("%d customers", len(l.quotes))
			if len(l.quotes) == 1 {
				customers = "1 customer"
			}
			fmt.Fprintf(stdout, "note: %d arrivals, and %s quotes for %s: from arrival %d on (order %d), the quotes are for customers quoted already, whose orders a server may refuse (their credit, their sites in service)\n",
				n, cmp.Or(*scenarioFile, loadExample), customers, at+1, len(l.quotes)+1)
		}
	}
	expected := profile.Length()
	if expected == 0 {
		expected = time.Duration(float64(*orders) / *rate * float64(time.Second))
	}
	cfg := load.Config{Profile: profile, Count: *orders, MaxDuration: *maxDuration, MaxInFlight: *maxInFlight, Mix: mix, Seed: *seed,
		Window: max(time.Second, (min(expected, *maxDuration) / 300).Round(time.Second))}
	if isTerminal(stdout) {
		cfg.Progress = func(p load.Progress) {
			fmt.Fprintf(stdout, "\r%6.1f s  %7d arrivals  %5d in flight  %8d answered  %6d failed ", p.Elapsed.Seconds(), p.Arrivals, p.InFlight, p.Answered, p.Failed)
			if p.Last {
				fmt.Fprintln(stdout)
			}
		}
	}
	rep, err := load.Run(ctx, cfg, l.do)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	rep.Target = base
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	for _, note := range l.notes(rep) {
		fmt.Fprintln(stdout, note)
	}
	if *jsonFile != "" {
		if err := writeJSONFile(*jsonFile, rep); err != nil {
			return fmt.Errorf("load: --json: %w", err)
		}
	}
	if *svgFile != "" {
		if err := writeFileWith(*svgFile, rep.WriteSVG); err != nil {
			return fmt.Errorf("load: --svg: %w", err)
		}
	}
	if rep.Stopped != "" {
		if baseline == nil {
			return &exitError{1, fmt.Errorf("load: the run was cut short (stopped: %s): its report is of part of its profile", rep.Stopped)}
		}
		fmt.Fprintf(stdout, "not compared with the baseline %s: the run was cut short (stopped: %s)\n", *baselineFile, rep.Stopped)
		return &exitError{1, fmt.Errorf("load: the run was cut short (stopped: %s), so it is not compared with the baseline %s", rep.Stopped, *baselineFile)}
	}
	if baseline == nil {
		return nil
	}
	for _, note := range load.Uncompared(baseline, rep) {
		fmt.Fprintln(stdout, "note: "+note)
	}
	worse := load.Compare(baseline, rep, threshold)
	if len(worse) == 0 {
		fmt.Fprintf(stdout, "within %s of the baseline %s\n", percent(threshold), *baselineFile)
		return nil
	}
	var figures []string
	for _, g := range worse {
		fmt.Fprintf(stdout, "REGRESSED %s\n", g)
		figures = append(figures, g.Figure)
	}
	return &exitError{1, fmt.Errorf("load: worse than the baseline %s by more than %s: %s", *baselineFile, percent(threshold), strings.Join(figures, ", "))}
}

// requoted is the arrival (from 0), of n drawn from mix with seed, of the
// first order whose quote is for a customer quoted already: the order
// after the scenario's customers have each had one; false when fewer
// orders are drawn. An arrival of another operation before the run has
// placed an order places one too, so it may come sooner.
func requoted(mix load.Mix, seed uint64, n, customers int) (int, bool) {
	draw, orders := mix.Draws(seed), 0
	for i := range n {
		if draw() == opOrder {
			if orders++; orders > customers {
				return i, true
			}
		}
	}
	return 0, false
}

// defaultRunName is a run's name when --run is not given: when it starts,
// to the millisecond, and a random part, so that two runs started at once
// do not send each other's keys.
func defaultRunName(now time.Time) string {
	return now.UTC().Format("20060102T150405.000") + "-" + strconv.FormatUint(rand.Uint64()>>24, 36)
}

// checkRunName refuses a --run that is not a name of letters, digits,
// '.', '_' and '-': the name is sent as it is in every Idempotency-Key and
// externalId, and names that a key could hold only changed ("a b",
// "a\nb") would send one another's keys.
func checkRunName(name string) error {
	if len(name) > 100 {
		return fmt.Errorf("load: --run: a name of %d bytes: at most 100", len(name))
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("load: --run %q: a name of letters, digits, '.', '_' and '-' (it is in every Idempotency-Key and externalId), not %q", name, r)
		}
	}
	return nil
}

// arrivalsDue is how many arrivals profile brings, count at most when it
// is positive (a profile without end brings count).
func arrivalsDue(profile load.Profile, count int) int {
	due := func(n int) bool { _, ok := profile.Due(n - 1); return ok && (count <= 0 || n <= count) }
	hi := 1
	for due(hi) {
		if hi > 1<<40 {
			return hi
		}
		hi *= 2
	}
	// due(hi/2) when hi > 1, not due(hi): the last n due is in between.
	return sort.Search(hi, func(n int) bool { return !due(n + 1) })
}

// serverURL checks a command's --to, a server's base URL: http or https,
// a host, no user, query or fragment; it is given back without a trailing
// /.
func serverURL(cmd, to string) (string, error) {
	if to == "" {
		return "", fmt.Errorf("%s: --to URL: say which server, such as http://127.0.0.1:8080", cmd)
	}
	if !strings.Contains(to, "://") {
		return "", fmt.Errorf("%s: --to %q: want a URL with its scheme, such as http://%s", cmd, to, to)
	}
	u, err := url.Parse(to)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: --to %q: %w", cmd, to, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s: --to %q: want an http or https URL", cmd, to)
	case u.Host == "":
		return "", fmt.Errorf("%s: --to %q: no host", cmd, to)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%s: --to %q: want a base URL, without user, query or fragment", cmd, to)
	}
	return strings.TrimSuffix(to, "/"), nil
}

// loadProfile is the arrivals' profile the flags say: --steps, --ramp over
// --duration, or --rate for --duration or --orders (default 10s).
func loadProfile(fs *flag.FlagSet, rate float64, ramp, steps string, d time.Duration, orders int) (load.Profile, error) {
	given := 0
	for _, name := range []string{"rate", "ramp", "steps"} {
		if flagSet(fs, name) {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, errors.New("load: give one of --rate, --ramp and --steps")
	case d < 0 || d == 0 && flagSet(fs, "duration"):
		return nil, fmt.Errorf("load: --duration %s: want a positive duration", d)
	case orders <= 0 && flagSet(fs, "orders"):
		return nil, fmt.Errorf("load: --orders %d: want at least 1 (leave it out to stop after --duration)", orders)
	case flagSet(fs, "steps"):
		if d > 0 {
			return nil, errors.New("load: --steps gives its own durations: leave out --duration")
		}
		p, err := load.ParseSteps(steps)
		if err != nil {
			return nil, fmt.Errorf("load: --steps: %w", err)
		}
		return p, nil
	case flagSet(fs, "ramp"):
		if d == 0 {
			d = 10 * time.Second
		}
		p, err := load.ParseRamp(ramp, d)
		if err != nil {
			return nil, fmt.Errorf("load: --ramp: %w", err)
		}
		return p, nil
	case !(rate > 0) || rate > 1e6:
		return nil, fmt.Errorf("load: --rate %g: want arrivals a second, more than 0 and at most 1000000", rate)
	case d == 0 && orders == 0:
		d = 10 * time.Second
	}
	return load.Rate(rate, d), nil
}

// parsePercent reads "20%" (or "20") as 0.2.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || !(v >= 0) || v > 1000 {
		return 0, fmt.Errorf("%q: want a percentage such as 20%%", s)
	}
	return v / 100, nil
}

// percent writes a threshold parsePercent read (0.2: 20%).
func percent(v float64) string { return strconv.FormatFloat(v*100, 'g', -1, 64) + "%" }

// readReport reads a report `load --json` wrote.
func readReport(path string) (*load.Report, error) {
	return readJSONReport(path, "a load report", func(r *load.Report) bool { return len(r.Operations) > 0 }, "it has no operations")
}

// readJSONReport reads a JSON report of kind what (a load report) from
// path; ok says whether it holds what such a report must, why it does not.
func readJSONReport[R any](path, what string, ok func(*R) bool, why string) (*R, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r R
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not %s: %w", path, what, err)
	}
	if !ok(&r) {
		return nil, fmt.Errorf("%s: not %s: %s", path, what, why)
	}
	return &r, nil
}

// readBaseline reads --fail-over and, when a --baseline file is given,
// the report in it, for command cmd.
func readBaseline[R any](cmd, file, failOver string, read func(path string) (*R, error)) (float64, *R, error) {
	threshold, err := parsePercent(failOver)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: --fail-over: %w", cmd, err)
	}
	if file == "" {
		return threshold, nil, nil
	}
	r, err := read(file)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: --baseline: %w", cmd, err)
	}
	return threshold, r, nil
}

// writeJSONFile writes v as indented JSON to a new file (or replaces one).
func writeJSONFile(path string, v any) error {
	return writeFileWith(path, func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(v)
	})
}

// writeFileWith writes a new file (or replaces one) with write.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writable checks, before a run sends anything, that each output file
// named (flag → path, "" for none) can be written: a report lost after
// the run for a folder that does not exist would cost the whole run. A
// file that did not exist is not left behind.
func writable(cmd string, files map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := files[name]
		if path == "" {
			continue
		}
		_, statErr := os.Stat(path)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("%s: --%s: %w", cmd, name, err)
		}
		f.Close()
		if errors.Is(statErr, os.ErrNotExist) {
			os.Remove(path)
		}
	}
	return nil
}

// loadClient carries out a load's operations on a server.
type loadClient struct {
	c *client
	// quotes are the scenario's quotes, each wave's target from the order;
	// currency and speeds are their offering's.
	quotes []com.QuoteRequest
	// quoteBodies are the quotes as the quote API takes them, encoded once.
	quoteBodies [][]byte
	currency    []string
	speeds      [][]string
	run         string
	seed        uint64
	mu          sync.Mutex
	placed      []placedOrder // orders placed well and not cancelled by the run
	// ordered counts the orders begun: the next quotes the customer after
	// them, one after the other.
	ordered int
	// transport is the first request that got no answer, as it failed;
	// reasons the first answer of each other fault (a status, a timeout, a
	// bad body) of each operation, as it failed.
	transport string
	reasons   map[faultOf]string
}

// faultOf is a fault of an operation ("500" of "read").
type faultOf struct{ op, fault string }

// maxReason is how much of a failure's reason a note keeps.
const maxReason = 200

// fault is loadFault for a request of operation op, noting the first
// request that got no answer, and the first reason of each other fault
// of op but a cancellation (the run stopping it).
func (l *loadClient) fault(ctx context.Context, op string, err error) string {
	f := loadFault(ctx, err)
	if f == "" || f == "cancelled" {
		return f
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if f == "transport" {
		l.transport = cmp.Or(l.transport, err.Error())
		return f
	}
	if _, ok := l.reasons[faultOf{op, f}]; !ok {
		if l.reasons == nil {
			l.reasons = map[faultOf]string{}
		}
		why := err.Error()
		if len(why) > maxReason {
			why = strings.ToValidUTF8(why[:maxReason], "") + "…"
		}
		l.reasons[faultOf{op, f}] = why
	}
	return f
}

// notes are what a report's failures suggest looking at: the first
// request that got no answer, a token missing or refused, and the first
// reason of each other fault of each operation.
func (l *loadClient) notes(rep *load.Report) []string {
	var transport, unauthorized int
	for _, op := range rep.Operations {
		transport += op.Errors["transport"]
		unauthorized += op.Errors["401"]
	}
	var notes []string
	if rep.Seconds > 0 && rep.GeneratorCPUSeconds/rep.Seconds >= busyGenerator {
		notes = append(notes, fmt.Sprintf("note: the generator itself took %.2f of a core: on a machine it shares with the server, that is taken from the server; "+
			"give each cores of their own (taskset) to measure the server alone", rep.GeneratorCPUSeconds/rep.Seconds))
	}
	if transport > 0 {
		notes = append(notes, fmt.Sprintf("note: %d requests got no answer; the first: %s", transport, l.transport))
	}
	switch {
	case unauthorized > 0 && l.c.token == "":
		notes = append(notes, fmt.Sprintf("note: %d requests answered 401: no token was sent (--token, or $%s)", unauthorized, tokenEnv))
	case unauthorized > 0:
		notes = append(notes, fmt.Sprintf("note: %d requests answered 401: the server does not take the token sent (--token, or $%s)", unauthorized, tokenEnv))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, op := range slices.Sorted(maps.Keys(rep.Operations)) {
		errs := rep.Operations[op].Errors
		for _, f := range slices.Sorted(maps.Keys(errs)) {
			if why, ok := l.reasons[faultOf{op, f}]; ok {
				notes = append(notes, fmt.Sprintf("note: %s %s×%d; the first: %s", op, f, errs[f], why))
			}
		}
	}
	return notes
}

// busyGenerator is the share of a core, over a run, from which the
// generator's own CPU time gets a note (what it costs a server on the
// same machine).
const busyGenerator = 0.5

// created is what a load reads of an entity a POST created.
type created struct {
	ID string `json:"id"`
}

// placedOrder is an order the run placed, with its quote's index.
type placedOrder struct {
	id    string
	quote int
}

// loadHTTP is the HTTP client of a load: no proxy, no redirect followed,
// each request bounded by timeout, up to conns connections to a server
// kept open (directTransport).
func loadHTTP(timeout time.Duration, conns int) *http.Client {
	t := &directTransport{timeout: timeout, maxIdle: conns}
	// A redirect is answered as it is: the run sends only to the URL it is given.
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func newLoadClient(base, token string, hc *http.Client, sc *scenarios.Scenario, run string, seed uint64) (*loadClient, error) {
	l := &loadClient{c: &client{base: base, http: hc, token: token}, run: run, seed: seed}
	for _, p := range sc.Spec.Placements() {
		q := p.Quote
		q.Waves = slices.Clone(q.Waves)
		for i := range q.Waves {
			q.Waves[i].Target -= p.At // from the order, as the quote API takes it
		}
		currency, speeds := "", []string(nil)
		if o, err := sc.Spec.Catalog.Offering(q.Offering); err == nil {
			currency, speeds = o.Currency, o.Speeds
		}
		body, err := json.Marshal(tmf648.NewQuoteBody(q, currency))
		if err != nil {
			return nil, fmt.Errorf("quote %d: %w", len(l.quotes), err)
		}
		l.quotes, l.currency, l.speeds = append(l.quotes, q), append(l.currency, currency), append(l.speeds, speeds)
		l.quoteBodies = append(l.quoteBodies, body)
	}
	return l, nil
}

// do carries out arrival a. A change, cancellation or read acts on an
// order the run placed, drawn at random; before the first is placed, it
// places one instead.
func (l *loadClient) do(ctx context.Context, a load.Arrival, rec *load.Recorder) {
	due := rec.Start().Add(a.Due)
	rng := rand.New(rand.NewPCG(l.seed, uint64(a.Index)))
	key := fmt.Sprintf("load-%s-%d", l.run, a.Index)
	op := a.Op
	var target placedOrder
	if op != opOrder {
		var ok bool
		if target, ok = l.pick(rng, op == opCancel); !ok {
			op = opOrder
		}
	}
	orderPath := tmf630.ProductOrdering + "/productOrder"
	switch op {
	case opOrder:
		l.mu.Lock()
		i := l.ordered % len(l.quotes) // the customers one after the other, by order
		l.ordered++
		l.mu.Unlock()
		// Of the quote and the order answered, only their ids are read:
		// decoding the whole of each was a sixth of the run's CPU, taken
		// from the server it measures when both share a machine.
		var q, po created
		err := identified(l.c.postJSON(ctx, tmf630.QuoteManagement+"/quote", key, l.quoteBodies[i], &q), q.ID)
		sent := rec.Answered(opQuote, due, l.fault(ctx, opQuote, err))
		if err != nil {
			return
		}
		err = identified(l.c.post(ctx, orderPath, key, tmf622.NewOrderBody(q.ID, l.quotes[i], key), &po), po.ID)
		rec.Answered(opOrder, sent, l.fault(ctx, opOrder, err))
		if err == nil {
			l.mu.Lock()
			l.placed = append(l.placed, placedOrder{po.ID, i})
			l.mu.Unlock()
		}
	case opRead:
		var po tmf622.ProductOrder
		err := identified(l.c.get(ctx, orderPath+"/"+target.id, &po), po.ID)
		rec.Answered(opRead, due, l.fault(ctx, opRead, err))
	case opCancel:
		var task tmf622.CancelProductOrder
		err := l.c.post(ctx, tmf630.ProductOrdering+"/cancelProductOrder", key,
			map[string]any{"productOrder": tmf630.Ref{ID: target.id}, "cancellationReason": "load " + l.run}, &task)
		rec.Answered(opCancel, due, l.fault(ctx, opCancel, err))
	case opChange:
		rec.Answered(opChange, due, l.change(ctx, target, key, rng))
	}
}

// change reads the order, then changes the speed of its first installed
// product to another its offering has; it gives the fault, or "".
func (l *loadClient) change(ctx context.Context, target placedOrder, key string, rng *rand.Rand) string {
	var po tmf622.ProductOrder
	if err := l.c.get(ctx, tmf630.ProductOrdering+"/productOrder/"+target.id, &po); err != nil {
		return l.fault(ctx, opChange, err)
	}
	q := l.quotes[target.quote]
	var others []string
	for _, s := range l.speeds[target.quote] {
		if s != q.Speed {
			others = append(others, s)
		}
	}
	for _, it := range po.ProductOrderItem {
		if it.Product == nil || it.Product.ID == "" {
			continue
		}
		if len(others) == 0 {
			return "no other speed"
		}
		var changed tmf622.ProductOrder
		err := l.c.post(ctx, tmf630.ProductOrdering+"/productOrder", key,
			tmf622.NewChangeBody(it.Product.ID, q.Customer, others[rng.IntN(len(others))], key), &changed)
		var se *statusError
		if errors.As(err, &se) && se.status == http.StatusOK { // a site not yet active, changed in its order
			return ""
		}
		return l.fault(ctx, opChange, err)
	}
	return "no product yet"
}

// pick draws an order the run placed; for a cancellation it is taken out,
// so that no order is cancelled twice.
func (l *loadClient) pick(rng *rand.Rand, take bool) (placedOrder, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.placed) == 0 {
		return placedOrder{}, false
	}
	i := rng.IntN(len(l.placed))
	p := l.placed[i]
	if take {
		l.placed[i] = l.placed[len(l.placed)-1]
		l.placed = l.placed[:len(l.placed)-1]
	}
	return p, true
}

// errNoID is an answer of the status wanted without the id of what it
// created or read: not the JSON wanted ("bad body").
var errNoID = errors.New("the answer has no id")

// identified is err, or errNoID when the request succeeded with no id.
func identified(err error, id string) error {
	if err == nil && id == "" {
		return errNoID
	}
	return err
}

// loadFault is why a request failed, as a report counts it: the HTTP
// status answered, "cancelled" when the run stopped it, "timeout",
// "bad body" (an answer that is not the JSON wanted) or "transport" (no
// answer); "" when it did not.
func loadFault(ctx context.Context, err error) string {
	var se *statusError
	var ne net.Error
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return strconv.Itoa(se.status)
	case ctx.Err() != nil:
		return "cancelled"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &syntax), errors.As(err, &typ), errors.Is(err, errNoID):
		return "bad body"
	}
	return "transport"
}
