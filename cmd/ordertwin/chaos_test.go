package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/worklist"
)

// serveTestBinary makes chaos start its servers as the crash test does:
// the test binary, serving (TestMain).
func serveTestBinary(t *testing.T) {
	t.Helper()
	was := serveProcess
	serveProcess = func(args []string) (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashServeEnv+"="+strings.Join(args, "\x1f"), crashServeLogEnv+"=1")
		return cmd, nil
	}
	t.Cleanup(func() { serveProcess = was })
}

// A short failure run: orders at 10 a second for four seconds while the
// server is killed and restarted, paused, and its listener goes down;
// every order is acknowledged once and ends, nothing is held twice, every
// event reaches the listener, and the report says what each fault cost.
func TestChaos(t *testing.T) {
	serveTestBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(context.Background(), []string{"--duration", "4s", "--rate", "10", "--faults", "3",
		"--kinds", "kill,pause,listener-down", "--seed", "3", "--dir", filepath.Join(dir, "run"), "--json", report}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "PASS")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Verdict.Pass)
	assert.Len(t, rep.Verdict.Checks, 9)
	for _, c := range rep.Verdict.Checks {
		if c.Name == chaos.CheckDiskFull {
			assert.Equal(t, "the run filled no disk", c.Skipped)
		} else {
			assert.Empty(t, c.Skipped, c.Name)
		}
	}
	assert.Contains(t, out.String(), "the uninterrupted run (seed 3, no faults):\n  40 orders acknowledged")
	require.Len(t, rep.Outcomes, 40, "each order's end, to compare with")
	for key, o := range rep.Outcomes {
		assert.NotEmpty(t, o.Items, key)
	}
	assert.Equal(t, 40, rep.Orders, "every order of the run acknowledged")
	require.Len(t, rep.Faults, 3)
	kinds := map[chaos.Kind]chaos.Hit{}
	for _, h := range rep.Faults {
		assert.Empty(t, h.Error, h.Name)
		kinds[h.Kind] = h
	}
	assert.Positive(t, kinds[chaos.Kill].RestartSeconds, "the restart was timed")
	assert.Positive(t, kinds[chaos.Pause].ForSeconds, "the pause was held")
	assert.Positive(t, kinds[chaos.ListenerDown].ForSeconds)

	// A second run on the same folder would start on the first's store.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--dir", filepath.Join(dir, "run")}, &out)
	assert.ErrorContains(t, err, "holds the store of an earlier run")
	// A reference of another seed has other orders.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "4", "--reference", report, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "is of seed 3, this run's is 4: the orders would not be the same")
	// So does one of another rate, checked before anything runs.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "3", "--rate", "20", "--reference", report, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "is of a run at 10/s for 4s, this run's is at 20/s for 4s: the orders would not be the same")
}

// The comparison with an uninterrupted run on a server made to end an
// order otherwise on purpose: k2's order failed at MEL1 where it
// completed before, and the run's faults (a kill, a pause) explain
// nothing.
func TestChaosCatchesAnOrderEndedOtherwise(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		item := func(id, site, state string) string {
			return `{"id":"` + id + `","state":"` + state + `","product":{"place":[{"id":"` + site + `","role":"installationAddress"}]}}`
		}
		switch {
		case r.URL.Path == tmf630.ProductOrdering+"/productOrder" && r.URL.Query().Get("offset") == "0":
			assert.Contains(t, r.URL.Query().Get("fields"), "productOrderItem")
			_, _ = w.Write([]byte(`[{"id":"PO-1","externalId":"k1","state":"completed","productOrderItem":[` +
				item("POI-7", "SYD1", "completed") + `]},{"id":"PO-2","externalId":"k2","state":"failed","productOrderItem":[` +
				item("POI-8", "SYD2", "completed") + "," + item("POI-9", "MEL1", "failed") + `]}]`))
		case r.URL.Path == worklist.ItemPath, r.URL.Path == tmf630.ResourceInventory+"/resource":
			_, _ = w.Write([]byte(`[]`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ev, err := gatherEvidence(context.Background(), &client{base: srv.URL, http: srv.Client()}, &client{base: srv.URL, http: srv.Client()})
	require.NoError(t, err)
	ev.Answered = map[string][]string{"k1": {"PO-1"}, "k2": {"PO-2"}}
	// The uninterrupted run numbered its items otherwise: they are
	// compared by site.
	ev.Reference = map[string]chaos.Outcome{
		"k1": {State: "completed", Items: map[string]string{"SYD1": "completed"}},
		"k2": {State: "completed", Items: map[string]string{"SYD2": "completed", "MEL1": "completed"}},
	}
	ev.Hits = []chaos.Hit{{Fault: chaos.Fault{Kind: chaos.Kill, Name: "kill-1"}}, {Fault: chaos.Fault{Kind: chaos.Pause, Name: "pause-2"}}}
	v := chaos.Judge(ev)
	assert.False(t, v.Pass)
	for _, c := range v.Checks {
		if c.Name == chaos.CheckOutcome {
			assert.Equal(t, []string{"k2: failed, not completed; item MEL1 failed, not completed"}, c.Detail)
		} else {
			assert.True(t, c.Pass, c.Name)
		}
	}
}

// The checker on a server that loses an order on purpose: it answered
// 201 for CHAOS-2, and its list has CHAOS-1 only.
func TestChaosCatchesALostOrder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == tmf630.ProductOrdering+"/productOrder" && r.URL.Query().Get("offset") == "0":
			_, _ = w.Write([]byte(`[{"id":"PO-1","externalId":"k1","state":"completed"}]`))
		case r.URL.Path == worklist.ItemPath, r.URL.Path == tmf630.ResourceInventory+"/resource", r.URL.Path == tmf630.ProductOrdering+"/productOrder":
			_, _ = w.Write([]byte(`[]`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ev, err := gatherEvidence(context.Background(), &client{base: srv.URL, http: srv.Client()}, &client{base: srv.URL, http: srv.Client()})
	require.NoError(t, err)
	ev.Answered = map[string][]string{"k1": {"PO-1"}, "k2": {"PO-2"}}
	v := chaos.Judge(ev)
	assert.False(t, v.Pass)
	for _, c := range v.Checks {
		if c.Name == chaos.CheckOnce {
			assert.Equal(t, []string{"k2: acknowledged as PO-2, which the server does not list: lost"}, c.Detail)
		} else {
			assert.True(t, c.Pass, c.Name)
		}
	}
}

// A failure run on a split deployment: COM, SOM and ROM in three
// processes (serve --role), each killed once and paused once while orders
// come to COM; the verdict covers the deployment (orders from COM,
// resources from ROM, events from COM's journal) and passes.
func TestChaosSplit(t *testing.T) {
	serveTestBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(context.Background(), []string{"--split", "--duration", "6s", "--rate", "10", "--faults", "6",
		"--kinds", "kill,pause", "--seed", "2", "--reference", "none", "--dir", filepath.Join(dir, "run"), "--json", report}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "PASS")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 60, rep.Orders, "every order of the run acknowledged")
	hit := map[string]int{}
	for _, h := range rep.Faults {
		assert.Empty(t, h.Error, h.Name)
		hit[string(h.Kind)+"@"+h.Process]++
	}
	assert.Equal(t, map[string]int{"kill@com": 1, "kill@som": 1, "kill@rom": 1, "pause@com": 1, "pause@som": 1, "pause@rom": 1}, hit)
	assert.Contains(t, out.String(), "@rom ")
	for _, c := range rep.Verdict.Checks {
		if c.Name == chaos.CheckDelivered || c.Name == chaos.CheckTwice {
			assert.Empty(t, c.Skipped, c.Name)
		}
	}
	assert.NotZero(t, rep.OrderStates["completed"])
	for _, name := range []string{"com.db", "som.db", "rom.db"} {
		_, err := os.Stat(filepath.Join(dir, "run", "run", name))
		assert.NoError(t, err, "a store for each process")
	}
}

// Bad flags are refused before anything is started, each error naming
// its flag; a reference that is not of an uninterrupted run is refused.
func TestChaosBadFlags(t *testing.T) {
	dir := t.TempDir()
	faulted := filepath.Join(dir, "faulted.json")
	require.NoError(t, os.WriteFile(faulted, []byte(`{"seed":1,"load":{"operations":{}},"outcomes":{"k":{}},"faults":[{"name":"kill-1"}]}`), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "0s"}, "--duration 0s: want a positive duration"},
		{[]string{"--settle", "0s"}, "--settle 0s: want a positive duration"},
		{[]string{"--timeout", "-1s"}, "--timeout -1s: want a positive duration"},
		{[]string{"--faults", "-1"}, "--faults -1: want a count, 0 or more"},
		{[]string{"--kinds", "disk-full", "--disk", "12q"}, `--disk "12q": want a size as mount takes it`},
		{[]string{"--json", filepath.Join(dir, "no", "such", "r.json")}, "--json: open"},
		{[]string{"--reference", faulted}, "is of a run with 1 fault: the reference is an uninterrupted run"},
		{[]string{"--kinds", "kill,kill"}, "--kinds: fault kind kill given twice"},
		{[]string{"no-such-scenario.yaml"}, "the scenario to serve: "},
	} {
		err := chaosCmd(context.Background(), append(c.args, "--dir", filepath.Join(dir, "work")), io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
		_, statErr := os.Stat(filepath.Join(dir, "work", "run"))
		assert.True(t, os.IsNotExist(statErr), "%v: nothing started", c.args)
	}
}

// A run stopped by Ctrl-C writes the report so far: the load's figures
// and the faults that hit, with no verdict, and exits 1 (it wrote
// nothing and exited as for a bad flag). Here the context ends as the
// kill's restart starts the server again.
func TestChaosInterruptedWritesTheReportSoFar(t *testing.T) {
	serveTestBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started, start := 0, serveProcess
	serveProcess = func(args []string) (*exec.Cmd, error) {
		if started++; started == 2 {
			cancel()
		}
		return start(args)
	}
	dir := t.TempDir()
	report := filepath.Join(dir, "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(ctx, []string{"--duration", "8s", "--rate", "10", "--faults", "1", "--kinds", "kill", "--seed", "3",
		"--reference", "none", "--dir", filepath.Join(dir, "run"), "--json", report}, &out)
	var exit *exitError
	require.ErrorAs(t, err, &exit, out.String())
	assert.Equal(t, 1, exit.code)
	assert.ErrorContains(t, err, "interrupted: the report so far, with no verdict")
	assert.Contains(t, out.String(), "interrupted during the load: no verdict")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.False(t, rep.Verdict.Pass)
	require.Len(t, rep.Faults, 1, "the kill hit before the stop")
	assert.Equal(t, chaos.Kill, rep.Faults[0].Kind)
	assert.Equal(t, "interrupted", rep.Load.Stopped)
}
