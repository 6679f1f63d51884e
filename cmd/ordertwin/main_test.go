package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const example = "../../scenarios/globaltech-5site.yaml"

func cli(args ...string) (string, error) {
	var out bytes.Buffer
	err := dispatch(context.Background(), args, &out, &out)
	return out.String(), err
}

func status(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 2
}

// The main job prints the seed-shaped timeline and entity map.
func TestRunText(t *testing.T) {
	out, err := cli("run", example)
	require.NoError(t, err)
	for _, want := range []string{
		"End-to-end timeline", "| T+5 hr ", "ROI-001", "OLT-SOUTH-03 LC2 Port 8", "Entity map",
		"Service Order SO-PILOT (SO-001)", "Resource Orders (5)", "Billing: AUD 9000.00 monthly",
		"Expectations: 46 passed, 0 failed",
	} {
		assert.Contains(t, out, want)
	}
}

func TestRunJSON(t *testing.T) {
	out, err := cli("run", example, "--format", "json")
	require.NoError(t, err)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	for _, k := range []string{"scenario", "seed", "outcome", "finishedAt", "quote", "productOrders", "serviceOrders",
		"resourceOrders", "resources", "billing", "counts", "timeline", "expectations"} {
		assert.Contains(t, r, k)
	}
	assert.Equal(t, "P35D", r["finishedAt"])
}

// A failed expectation exits 1, bad input 2, each with a message.
func TestExitStatus(t *testing.T) {
	data, err := os.ReadFile(example)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, d := range []string{"catalog", "networks"} {
		abs, _ := filepath.Abs(filepath.Join("../../scenarios", d))
		require.NoError(t, os.Symlink(abs, filepath.Join(dir, d)))
	}
	failing := filepath.Join(dir, "failing.yaml")
	require.NoError(t, os.WriteFile(failing, []byte(strings.Replace(string(data), "finishedAt: P35D", "finishedAt: P30D", 1)), 0o644))
	out, err := cli("run", failing)
	assert.Equal(t, 1, status(err))
	assert.Contains(t, out, "FAILED finishedAt: want P30D, got P35D")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "want exactly one scenario FILE"},
		{[]string{"run", "nope.yaml"}, "nope.yaml"},
		{[]string{"run", example, "--format", "xml"}, `--format "xml"`},
		{[]string{"run", example, "--clock", "sundial"}, `--clock "sundial"`},
		// A wall clock took a scale of 0 or less as real time: a run of
		// weeks, silently.
		{[]string{"run", example, "--clock", "wall", "--scale", "-5"}, "--scale -5: want the virtual seconds a real second"},
		{[]string{"run", example, "--clock", "wall", "--scale", "Inf"}, "--scale +Inf: want"},
		{[]string{"serve", "--scale", "0"}, "--scale 0: want"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"lifecycle", "invoice"}, `unknown lifecycle "invoice"`},
		{[]string{"check", "../../scenarios/testdata/bad-unknown-site-address.yaml"}, "is not in the network"},
		{[]string{"check", "../../scenarios/testdata/bad-cycle-catalog.yaml"}, "rfs dependency cycle"},
		{[]string{"bench", "--orders", "0"}, "not a positive number"},
	} {
		_, err := cli(c.args...)
		assert.Equal(t, 2, status(err), "%v", c.args)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
	}
}

func TestLifecycle(t *testing.T) {
	out, err := cli("lifecycle", "serviceOrder")
	require.NoError(t, err)
	assert.Contains(t, out, "stateDiagram-v2")
	assert.Contains(t, out, "assessingCancellation")
	out, err = cli("lifecycle")
	require.NoError(t, err)
	assert.Contains(t, out, "shipment")
}

func TestCheckAndHelp(t *testing.T) {
	out, err := cli("check", example)
	require.NoError(t, err)
	assert.Contains(t, out, "ok")
	out, err = cli("help")
	require.NoError(t, err)
	assert.Contains(t, out, "ordertwin run FILE")
}

func TestBench(t *testing.T) {
	for _, durable := range []string{"--durable=false", "--durable"} {
		out, err := cli("bench", "--orders", "3", durable)
		require.NoError(t, err, durable)
		assert.Contains(t, out, "ROI/s")
		assert.Contains(t, out, "alloc B/ROI")
		assert.Contains(t, out, "       90 ", "three orders, 90 resource order items, all completed")
	}
	// Interrupted (Ctrl-C), it stops with the rows done, and fails.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	err := benchCmd(ctx, []string{"--orders", "3,3"}, &out, &out)
	assert.Equal(t, 1, status(err), out.String())
	assert.ErrorContains(t, err, "bench: interrupted during the run of 3 orders")
}

// run and whatif take a scenario of the library built in by its name, as
// serve, load and chaos do, when no file has that name.
func TestRunAndWhatIfOfTheLibrary(t *testing.T) {
	out, err := cli("whatif", "globaltech-5site.yaml", "--runs", "4", "--cv", "0", "--seed", "9")
	require.NoError(t, err)
	assert.Contains(t, out, "4 runs from seed 9")
	out, err = cli("run", "globaltech-5site.yaml")
	require.NoError(t, err)
	assert.Contains(t, out, "Expectations:")
	_, err = cli("run", "no-such-scenario.yaml")
	assert.ErrorContains(t, err, "no-such-scenario.yaml")
}

// Interrupted, a what-if says so, and fails.
func TestWhatIfInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	err := whatifCmd(ctx, []string{example, "--runs", "100"}, &out, &out)
	assert.Equal(t, 1, status(err))
	assert.EqualError(t, err, "whatif: interrupted: no report")
}

func TestWhatIf(t *testing.T) {
	out, err := cli("whatif", example, "--runs", "8", "--cv", "0")
	require.NoError(t, err)
	assert.Contains(t, out, "8 runs from seed 1102")
	assert.Contains(t, out, "| Pilot  | SO-PILOT      | T+14 days | T+5 days")
	out, err = cli("whatif", example, "--runs", "8", "--format", "json")
	require.NoError(t, err)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Contains(t, r, "waves")
	for _, c := range [][]string{{"whatif"}, {"whatif", example, "--runs", "0"}, {"whatif", example, "--format", "xml"}, {"whatif", example, "--workers", "-2"},
		{"whatif", example, "--runs", "1000001"}, {"whatif", example, "--cv", "NaN"}, {"whatif", example, "--cv", "100"}} {
		_, err := cli(c...)
		assert.Equal(t, 2, status(err), "%v", c)
	}
}

// --db journals the run into a SQLite file; a file that already holds a
// run is refused, and left as it was.
func TestRunDurable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run.db")
	out, err := cli("run", example, "--db", file)
	require.NoError(t, err)
	assert.Contains(t, out, "Expectations: 46 passed, 0 failed")
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	n := st.Len()
	h, err := st.History("ROI-001")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	assert.Greater(t, n, 100)
	require.NotEmpty(t, h)
	assert.Equal(t, "completed", h[len(h)-1].To)

	_, err = cli("run", example, "--db", file)
	assert.Equal(t, 2, status(err))
	assert.ErrorContains(t, err, "already holds")
	st, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	assert.Equal(t, n, st.Len())
}

// --retention sends finished orders to the store's shelf as serve does:
// the report is the same as a run that kept them, and the shelf holds
// them. A retention that is no duration is refused.
func TestRunRetention(t *testing.T) {
	kept, err := cli("run", example, "--db", filepath.Join(t.TempDir(), "kept.db"))
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "left.db")
	left, err := cli("run", example, "--db", file, "--retention", "P1D")
	require.NoError(t, err)
	assert.Equal(t, kept, left)
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	_, ok, err := st.Shelved("productOrder", "PO-2024-01203")
	require.NoError(t, err)
	assert.True(t, ok, "the order left memory for the shelf")

	_, err = cli("run", example, "--retention", "a week")
	assert.Equal(t, 2, status(err))
	assert.ErrorContains(t, err, `--retention "a week"`)
}

// serve starts, answers /healthz, and on interrupt (its context ends)
// stops and closes its store; bad arguments are refused.
func TestServe(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error)
	go func() {
		done <- serveCmd(ctx, []string{example, "--db", file, "--addr", "127.0.0.1:0", "--scale", "1", "--hub-allow", "127.0.0.0/8"}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	res, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	// --hub-allow 127.0.0.0/8 replaces the default (public): loopback
	// callbacks are taken, public and private ones not, nor the server's
	// own API address.
	for callback, want := range map[string]int{
		"http://127.0.0.1:1/listener":                          http.StatusCreated,
		"http://" + addr + "/tmf-api/quoteManagement/v4/quote": http.StatusUnprocessableEntity,
		"http://93.184.215.14/listener":                        http.StatusUnprocessableEntity,
		"http://10.0.0.1/listener":                             http.StatusUnprocessableEntity,
	} {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/tmf-api/productOrderingManagement/v4/hub",
			strings.NewReader(`{"callback":"`+callback+`","query":"eventType=ProductOrderCreateEvent"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+devToken(t, file, auth.Admin, ""))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, want, res.StatusCode, "%s: %s", callback, b)
	}
	// Until the engine has taken the quote at T+0 (a metrics scrape
	// commits what was handled before it answers).
	metrics, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	require.NoError(t, err)
	metrics.Header.Set("Authorization", "Bearer "+devToken(t, file, auth.Operations, ""))
	for handled := false; !handled; {
		res, err := http.DefaultClient.Do(metrics)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		handled = !strings.Contains(string(b), "ordertwin_engine_inputs_total 0\n")
	}
	cancel()
	go io.Copy(io.Discard, r)
	require.NoError(t, <-done)
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	assert.Positive(t, st.Len(), "the quote was journalled at T+0")
	require.NoError(t, st.Close())

	_, err = cli("serve", example, example)
	assert.ErrorContains(t, err, "want at most one scenario FILE")
	_, err = cli("serve", "--db", file, "--addr", "127.0.0.1:0")
	assert.ErrorContains(t, err, "it serves \"GlobalTech")
	_, err = cli("serve", example, "--db", file, "--addr", "127.0.0.1:0", "--scale", "2")
	assert.ErrorContains(t, err, "it runs at --scale 1, not 2")
	// A T+0 so far back that virtual time is past its end already (a
	// day a second for eleven months) is refused before a store is made.
	past := filepath.Join(t.TempDir(), "past.db")
	_, err = cli("serve", example, "--db", past, "--addr", "127.0.0.1:0", "--start", "2026-01-05T09:00:00Z", "--scale", "86400")
	assert.ErrorContains(t, err, "--start 2026-01-05T09:00:00Z at --scale 86400 puts virtual time past its end (292 years) already")
	assert.NoFileExists(t, past)
	// A quota of 0 was taken for the default (hubs "turned off" took a
	// hundred).
	_, err = cli("serve", example, "--db", past, "--addr", "127.0.0.1:0", "--hub-quota", "0")
	assert.ErrorContains(t, err, "--hub-quota 0: want 1 or more")
	_, err = cli("serve", example, "--db", past, "--addr", "127.0.0.1:0", "--order-quota", "-1")
	assert.ErrorContains(t, err, "--order-quota -1: want 1 or more")
	assert.NoFileExists(t, past)
	// A T+0 ahead of now: virtual time stood before it, the server ready,
	// taking orders and running none.
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	_, err = cli("serve", example, "--db", past, "--addr", "127.0.0.1:0", "--start", later)
	assert.ErrorContains(t, err, "--start "+later+" is 59m")
	assert.NoFileExists(t, past)
	// An address taken stops serve before its store is made.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	_, err = cli("serve", example, "--db", past, "--addr", taken.Addr().String())
	assert.ErrorContains(t, err, "address already in use")
	assert.NoFileExists(t, past)
	assert.NoFileExists(t, past+".issuer.pem")
	secret := filepath.Join(t.TempDir(), "peer.secret")
	require.NoError(t, os.WriteFile(secret, []byte("a secret the processes share, 32 bytes or more"), 0o600))
	_, err = cli("serve", example, "--db", filepath.Join(t.TempDir(), "com.db"), "--role", "com", "--peer", "som=http://127.0.0.1:1")
	assert.ErrorContains(t, err, "--role com: give --peer-secret FILE")
	_, err = cli("serve", example, "--db", file, "--addr", "127.0.0.1:0", "--role", "com", "--peer", "som=http://127.0.0.1:1", "--peer-secret", secret)
	assert.ErrorContains(t, err, `it served role "", not "com"`)
	_, err = cli("serve", example, "--db", filepath.Join(t.TempDir(), "som.db"), "--role", "som", "--peer", "com=http://127.0.0.1:1")
	assert.ErrorContains(t, err, "--role som talks to rom: give --peer rom=URL")
	_, err = cli("serve", example, "--hub-allow", "10.0.0.0/33")
	assert.ErrorContains(t, err, `hub allow-list entry "10.0.0.0/33": not a network`)
	_, err = cli("serve", example, "--peer", "billing=http://x")
	assert.ErrorContains(t, err, "want ROLE=URL with ROLE com, som or rom")
	_, err = cli("serve", example, "--snapshot-by", "someone")
	assert.ErrorContains(t, err, `--snapshot-by "someone": want auto, helper or engine`)
	_, err = cli("serve", example, "--snapshot-by", "helper", "--db", "postgres://nobody@127.0.0.1:1/none")
	assert.ErrorContains(t, err, "a helper reads a SQLite store; on PostgreSQL give auto or engine")
	runDB := filepath.Join(t.TempDir(), "run.db")
	_, err = cli("run", example, "--db", runDB)
	require.NoError(t, err)
	_, err = cli("serve", example, "--db", runDB, "--addr", "127.0.0.1:0")
	assert.ErrorContains(t, err, "records of a run, not of a server")
}

// ordertwin journal reads a store: every record with its seq, one
// entity's, as text or JSON lines; a missing file or a bad flag is an
// error naming it.
func TestJournal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "run.db")
	_, err := cli("run", example, "--db", db)
	require.NoError(t, err)
	out, err := cli("journal", db, "--entity", "PO-2024-01203")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Contains(t, lines[0], "productOrder")
	assert.Contains(t, lines[0], "→ acknowledged [create]")
	assert.Contains(t, lines[len(lines)-1], "inProgress → completed")
	// JSON lines in the report's terms: an ISO 8601 offset from T+0, the
	// state gone to as state (the seed: technical approval at T+20 min).
	out, err = cli("journal", db, "--after", "4", "--format", "json")
	require.NoError(t, err)
	assert.JSONEq(t, `{"seq":5,"at":"PT20M","entity":"QT-001/technical","kind":"approval","system":"Approval Workflow",
		"from":"pending","state":"approved","event":"approve"}`, strings.SplitN(out, "\n", 2)[0])
	_, err = cli("journal", filepath.Join(t.TempDir(), "none.db"))
	assert.ErrorContains(t, err, "none.db")
	_, err = cli("journal", db, "--format", "xml")
	assert.ErrorContains(t, err, `--format "xml"`)
	// A negative seq said the store had been compacted; an entity of the
	// input log was ignored.
	_, err = cli("journal", db, "--after", "-5")
	assert.ErrorContains(t, err, "--after -5: want a seq, 0 or more")
	_, err = cli("journal", db, "--inputs", "--entity", "PO-001")
	assert.ErrorContains(t, err, "--entity is for records")
}

// A store keeps the retention it was first served with: a restart goes on
// with it, and a --retention given that differs is refused (a replay must
// run as the store did); a store served before it had one keeps every
// order.
func TestStoreRetention(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "serve.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	keep, err := storeRetention(st, serveClockOptions{}, false)
	require.NoError(t, err)
	assert.Zero(t, keep, "a store that never said keeps every order")
	week := 7 * 24 * time.Hour
	keep, err = storeRetention(st, serveClockOptions{retention: week, retentionSet: true}, true)
	require.NoError(t, err)
	assert.Equal(t, week, keep)
	keep, err = storeRetention(st, serveClockOptions{}, false)
	require.NoError(t, err)
	assert.Equal(t, week, keep, "a restart without --retention goes on with the store's")
	_, err = storeRetention(st, serveClockOptions{retention: time.Hour, retentionSet: true}, false)
	assert.ErrorContains(t, err, "it keeps finished orders P7D, not PT1H")
}

// A command's -h or --help lists its flags (main prints them and exits
// 0), instead of "flag: help requested".
func TestCommandHelp(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"serve", "-h"}, {"load", "--help"}, {"twin", "serve", "--help"}} {
		err := dispatch(t.Context(), args, io.Discard, io.Discard)
		h, ok := errors.AsType[*helpShown](err)
		require.True(t, ok, "%v: %v", args, err)
		assert.Contains(t, h.text, "ordertwin "+args[0], "%v", args)
		assert.Contains(t, h.text, "  -", "%v: its flags", args)
	}
	// The commands of subcommands name them.
	for _, args := range [][]string{{"audit", "--help"}, {"twin", "-h"}} {
		err := dispatch(t.Context(), args, io.Discard, io.Discard)
		h, ok := errors.AsType[*helpShown](err)
		require.True(t, ok, "%v: %v", args, err)
		assert.Contains(t, h.text, args[0]+": want `"+args[0]+" ", "%v", args)
	}
}
