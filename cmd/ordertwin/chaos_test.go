package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/bench/load"
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
	assert.Len(t, rep.Verdict.Checks, 10)
	for _, c := range rep.Verdict.Checks {
		if c.Name == chaos.CheckDiskFull {
			assert.Equal(t, "the run filled no disk", c.Skipped)
		} else {
			assert.Empty(t, c.Skipped, c.Name)
		}
	}
	assert.Contains(t, out.String(), "the uninterrupted run (seed 3, no faults):\n  40 orders acknowledged")
	assert.Contains(t, out.String(), "the run with 3 faults (seed 3), for 4s and up to 2m0s more for its orders to end:\n", "said before the faulted run")
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

	assert.Contains(t, rep.Setup.Scenario, `"ordertwin live — 15,000 customers for load and failure runs" (digest `)
	assert.Equal(t, rep.Setup.Scenario, rep.Setup.Quoted)
	assert.Equal(t, 1e6, rep.Setup.Scale)
	assert.Contains(t, out.String(), "  40 orders acknowledged; at the end completed 40\n")
	assert.NotContains(t, out.String(), "map[")

	// A second run on the same folder would start on the first's store.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--dir", filepath.Join(dir, "run")}, &out)
	assert.ErrorContains(t, err, "holds the store of an earlier run")
	// So does one of another scale (the report, as if it had no faults).
	rep.Faults = nil
	b, err = json.Marshal(rep)
	require.NoError(t, err)
	unfaulted := filepath.Join(dir, "unfaulted.json")
	require.NoError(t, os.WriteFile(unfaulted, b, 0o644))
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "3", "--rate", "10", "--scale", "1000", "--reference", unfaulted, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "runs at scale 1e+06, this run at 1000: the orders would not end alike")
	// A reference of another seed has other orders.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "4", "--reference", report, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "is of seed 3, this run's is 4: the orders would not be the same")
	// So does one of another rate, checked before anything runs.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "3", "--rate", "20", "--reference", report, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "is of a run at 10/s for 4s, this run's is at 20/s for 4s: the orders would not be the same")
	// A baseline of another run is refused before anything runs: its
	// figures would not compare.
	err = chaosCmd(context.Background(), []string{"--duration", "4s", "--seed", "4", "--rate", "10", "--faults", "3",
		"--kinds", "kill,pause,listener-down", "--baseline", report, "--dir", filepath.Join(dir, "again")}, &out)
	assert.ErrorContains(t, err, "is of another run, its figures do not compare: this run would have seed 4, the baseline's 3")
	assert.NoDirExists(t, filepath.Join(dir, "again"))
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
	failsOnly(t, chaos.Judge(ev), chaos.CheckOutcome, "k2: failed, not completed; item MEL1 failed, not completed")
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
	failsOnly(t, chaos.Judge(ev), chaos.CheckOnce, "k2: acknowledged as PO-2, which the server does not list: lost")
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
		{[]string{"--kinds", "kill", "--disk", "64m"}, "--disk is the size of the disk that disk-full faults fill: give --kinds with disk-full"},
		{[]string{"--json", filepath.Join(dir, "no", "such", "r.json")}, "--json: open"},
		{[]string{"--reference", faulted}, "is of a run with 1 fault: the reference is an uninterrupted run"},
		{[]string{"--kinds", "kill,kill"}, "--kinds: fault kind kill given twice"},
		{[]string{"no-such-scenario.yaml"}, "the scenario to serve: "},
		{[]string{"--kinds", "disk-full", "--disk", "100000g"}, "--disk 100000g: a tmpfs is held in memory, and this is more than half the memory available"},
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
	ok := rep.Load.Operations["order"].OK
	assert.Positive(t, ok)
	assert.Equal(t, int(ok), rep.Orders, "the orders acknowledged before the stop, as the load's table counts them")
	assert.Contains(t, out.String(), "how they ended was not read (the run did not get there)")
}

// smallPopulation writes a population scenario of four customers with
// sites each, for the reference's checks to load quickly.
func smallPopulation(t *testing.T, dir string, sites int) string {
	t.Helper()
	abs, err := filepath.Abs("../../scenarios")
	require.NoError(t, err)
	waves := "    - {name: Pilot, sites: 1, target: P14D}\n    - {name: Wave 1, sites: " + strconv.Itoa(sites-1) + ", target: P45D}\n"
	body := "version: 1\nname: a small population\nseed: 1102\nstart: \"2025-02-03T09:00:00+10:00\"\n" +
		"catalog: " + filepath.Join(abs, "catalog/enterprise.yaml") + "\nnetwork: " + filepath.Join(abs, "networks/au-east.yaml") + "\n" +
		"population:\n  customers: 4\n  sitesPerCustomer: " + strconv.Itoa(sites) + "\n  offering: PO-EFCG-01\n  sla: Gold\n  speed: 500M-sym\n" +
		"  term: 36\n  rateCard: RC-ENT-2024-NEG\n  price: 1800\n  orders: api\n  waves:\n" + waves +
		"  network:\n    regions: [MEL]\n    sitesPerArea: 30\n"
	path := filepath.Join(dir, fmt.Sprintf("pop%d.yaml", sites))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// A reference taken on another scenario is refused before anything runs,
// though its seed and load are the run's: one of the same name whose
// customers have two sites, not three, would have every order end
// otherwise (the audit's run had every order "explained" by one twin
// fault). So is one that does not say what it served.
func TestChaosReferenceOfAnotherScenario(t *testing.T) {
	dir := t.TempDir()
	three, two := smallPopulation(t, dir, 3), smallPopulation(t, dir, 2)
	sc, err := loadServed(two)
	require.NoError(t, err)
	served, err := describeScenario(sc)
	require.NoError(t, err)
	reference := func(setup chaos.Setup) string {
		b, err := json.Marshal(chaos.Report{Seed: 1, Setup: setup, Load: &load.Report{Profile: load.Rate(20, 30*time.Second).String(), Mix: map[string]int{"order": 1}},
			Outcomes: map[string]chaos.Outcome{"chaos-1-0": {State: "completed"}}})
		require.NoError(t, err)
		path := filepath.Join(dir, "ref.json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path
	}
	ref := reference(chaos.Setup{Scenario: served, Quoted: served, Scale: 1e6})
	err = chaosCmd(context.Background(), []string{three, "--reference", ref, "--dir", filepath.Join(dir, "work")}, io.Discard)
	require.Error(t, err)
	assert.Regexp(t, `--reference .*ref.json serves "a small population" \(digest [0-9a-f]{16}\), this run "a small population" \(digest [0-9a-f]{16}\); `+
		`quotes for .*: the orders would not end alike`, err.Error())
	_, statErr := os.Stat(filepath.Join(dir, "work"))
	assert.True(t, os.IsNotExist(statErr), "nothing started")

	err = chaosCmd(context.Background(), []string{two, "--reference", reference(chaos.Setup{}), "--dir", filepath.Join(dir, "work")}, io.Discard)
	assert.ErrorContains(t, err, "does not say which scenario it served, nor at what scale (an older report): write it again with chaos --faults 0 --json")
	err = chaosCmd(context.Background(), []string{two, "--reference", ref, "--dir", filepath.Join(dir, "work"), "--duration", "0s"}, io.Discard)
	assert.ErrorContains(t, err, "--duration 0s", "the same scenario is taken: the flags are what is wrong")
}

// A folder an interrupted run left its uninterrupted run's store in is
// refused: the reference server would have gone on with the earlier
// run's orders (another seed's), and the verdict failed the server.
func TestChaosRefusesALeftoverReference(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "reference"), 0o755))
	err := chaosCmd(context.Background(), []string{"--seed", "2", "--dir", dir}, io.Discard)
	assert.ErrorContains(t, err, "holds the store of an earlier run (reference): a run starts on new stores")
}

// The temporary folders of runs that were killed are found at the next
// start and removed, and said so; a live run's (its lock held) and a
// folder without a run's mark are left alone. As root, a tmpfs a killed
// run left mounted is unmounted first, and a --dir with one is refused.
func TestChaosSweepsLeftovers(t *testing.T) {
	tmp := t.TempDir()
	dead := filepath.Join(tmp, chaosTemp+"1")
	require.NoError(t, os.MkdirAll(filepath.Join(dead, "run"), 0o755))
	unlock, err := markLive(dead)
	require.NoError(t, err)
	unlock() // the run is gone: its lock with it
	live := filepath.Join(tmp, chaosTemp+"2")
	require.NoError(t, os.Mkdir(live, 0o755))
	unlock, err = markLive(live)
	require.NoError(t, err)
	defer unlock()
	unmarked := filepath.Join(tmp, chaosTemp+"3")
	require.NoError(t, os.Mkdir(unmarked, 0o755))
	mounted := os.Geteuid() == 0 && exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mkdir(t, filepath.Join(dead, "disk"))).Run() == nil
	if mounted {
		require.True(t, mountPoint(filepath.Join(dead, "disk")))
		err := checkRunDir(dead)
		assert.ErrorContains(t, err, "disk is still mounted, the tmpfs of an earlier run that did not end cleanly (killed): umount it")
	}

	var out bytes.Buffer
	sweepLeftovers(tmp, &out)
	assert.Equal(t, "chaos: removed "+dead+", left by an earlier run that did not end cleanly (killed)\n", out.String())
	for _, d := range []string{live, unmarked} {
		_, err := os.Stat(d)
		assert.NoError(t, err, "left alone")
	}
	_, err = os.Stat(dead)
	assert.True(t, os.IsNotExist(err))
	assert.False(t, mountPoint(t.TempDir()))
}

func mkdir(t *testing.T, dir string) string {
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// A settle time that runs out before the orders can end fails the run
// saying so, and suggests a longer --settle: it does not blame the server
// (the audit's run listed each order as "neither ended nor held for a
// reason"). The orders by state are the run's own, not the order the
// served scenario places itself, and are written in words.
func TestChaosSettleRanOut(t *testing.T) {
	serveTestBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(context.Background(), []string{"../../scenarios/globaltech-5site.yaml", "--faults", "0", "--reference", "none", "--duration", "1s",
		"--rate", "5", "--scale", "1000", "--settle", "1s", "--dir", filepath.Join(dir, "run"), "--json", report}, &out)
	assert.ErrorContains(t, err, "the verdict is FAIL")
	assert.Contains(t, out.String(), "the settle time (1s) ran out before 6 orders could end: give a longer --settle\n")
	assert.Contains(t, out.String(), "PO-2024-01203 is ", "the scenario's own order, still under way")
	assert.NotContains(t, out.String(), "neither ended nor held")
	assert.NotContains(t, out.String(), "map[")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 5, rep.Orders)
	n := 0
	for _, c := range rep.OrderStates {
		n += c
	}
	assert.Equal(t, 5, n, "the run's orders only: %v", rep.OrderStates)
}

// chaosHelperEnv makes this test binary a helper process of the tests
// below: "orphan" starts a server as chaos does and waits to be killed;
// "listen" is that server (it says it serves, and waits); "chaos" runs
// chaos with the arguments of chaosArgsEnv, serving as serveTestBinary
// does, and exits as main does.
const (
	chaosHelperEnv = "ORDERTWIN_CHAOS_TEST_HELPER"
	chaosArgsEnv   = "ORDERTWIN_CHAOS_TEST_ARGS"
)

func init() {
	switch os.Getenv(chaosHelperEnv) {
	case "":
		return
	case "listen":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(3)
		}
		fmt.Printf("ordertwin serving on http://%s\n", ln.Addr())
		_, _ = ln.Accept() // until killed
		os.Exit(0)
	case "orphan":
		serveProcess = func([]string) (*exec.Cmd, error) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), chaosHelperEnv+"=listen")
			cmd.ExtraFiles = []*os.File{os.NewFile(3, "alive")} // the test's: open while the server lives
			return cmd, nil
		}
		logs, err := os.CreateTemp("", "chaos-orphan-*.log")
		if err != nil {
			os.Exit(3)
		}
		os.Remove(logs.Name())
		p := &chaosProc{name: "serve"}
		r := &chaosRun{logs: logs, procs: []*chaosProc{p}}
		if _, err := r.start(p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(3)
		}
		fmt.Printf("started %d\n", p.cmd.Process.Pid)
		_, _ = ln.Accept() // until killed
		os.Exit(0)
	case "chaos":
		args := strings.Split(os.Getenv(chaosArgsEnv), "\x1f")
		serveProcess = func(args []string) (*exec.Cmd, error) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), chaosHelperEnv+"=", crashServeEnv+"="+strings.Join(args, "\x1f"), crashServeLogEnv+"=1")
			return cmd, nil
		}
		err := chaosCmd(context.Background(), args, os.Stdout)
		var exit *exitError
		switch {
		case err == nil:
			os.Exit(0)
		case errors.As(err, &exit):
			fmt.Fprintln(os.Stderr, "ordertwin:", err)
			os.Exit(exit.code)
		default:
			fmt.Fprintln(os.Stderr, "ordertwin:", err)
			os.Exit(2)
		}
	}
}

// A chaos killed with SIGKILL takes its server with it: the server is
// started to end with it (the audit found it serving for ever). The
// server holds a pipe open: it reads EOF once the server is gone.
func TestChaosServerEndsWithChaos(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux ends a child with its parent")
	}
	alive, aliveW, err := os.Pipe()
	require.NoError(t, err)
	defer alive.Close()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), chaosHelperEnv+"=orphan")
	helper.ExtraFiles = []*os.File{aliveW}
	helper.Stderr = os.Stderr
	stdout, err := helper.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, helper.Start())
	aliveW.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "started ")))
	require.NoError(t, err, line)
	defer syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // gone already, when the test passes

	require.NoError(t, helper.Process.Kill())
	_ = helper.Wait()
	require.NoError(t, alive.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = alive.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the server ended with the chaos that started it")
}

// A chaos whose standard output is closed (chaos … | head -1) stops at
// its first line, as an interrupted run does, and cleans up after itself:
// its temporary folder removed, exit 1 with a message, not killed by
// SIGPIPE (exit 141) with its folder left.
func TestChaosStdoutClosed(t *testing.T) {
	tmp := t.TempDir()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, r.Close()) // the reader ended before anything was written
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), chaosHelperEnv+"=chaos", "TMPDIR="+tmp,
		chaosArgsEnv+"="+strings.Join([]string{"--faults", "0", "--duration", "1s", "--rate", "2", "--settle", "1s"}, "\x1f"))
	helper.Stdout = w
	var stderr bytes.Buffer
	helper.Stderr = &stderr
	err = helper.Run()
	w.Close()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode(), "exited, not killed by SIGPIPE: %s", stderr.String())
	assert.Contains(t, stderr.String(), "chaos: the standard output was closed (its reader ended): the run stopped, and cleaned up after itself")
	left, err := filepath.Glob(filepath.Join(tmp, chaosTemp+"*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the run's temporary folder is removed")
}

// failsOnly asserts that v fails, on check alone, saying detail.
func failsOnly(t *testing.T, v chaos.Verdict, check string, detail ...string) {
	t.Helper()
	assert.False(t, v.Pass)
	for _, c := range v.Checks {
		if c.Name == check {
			assert.Equal(t, detail, c.Detail)
		} else {
			assert.True(t, c.Pass, c.Name)
		}
	}
}

// A baseline is compared with only when its figures would be of a run
// alike: a whole run that passed, of the same seed, load, setup,
// deployment and fault plan. Any other was taken, and a run compared
// with nothing said PASS.
func TestChaosBaselineOfAnotherRun(t *testing.T) {
	setup := chaos.Setup{Scenario: "s (1)", Quoted: "s (1)", Scale: 86400}
	plan, err := chaos.Plan(5, 6*time.Second, 2, []chaos.Kind{chaos.Kill, chaos.Pause})
	require.NoError(t, err)
	good := func() *chaos.Report {
		r := &chaos.Report{Seed: 5, Deployment: "SQLite, one process", Setup: setup, Verdict: chaos.Verdict{Pass: true},
			Load: &load.Report{Profile: "4/s for 6s", Operations: map[string]*load.OperationReport{"order": {OK: 24}}}}
		for _, f := range plan {
			r.Faults = append(r.Faults, chaos.Hit{Fault: f})
		}
		return r
	}
	check := func(r *chaos.Report) error {
		return checkChaosBaseline("b.json", r, 5, "4/s for 6s", setup, "SQLite, one process", plan)
	}
	require.NoError(t, check(good()))
	for want, edit := range map[string]func(r *chaos.Report){
		"is of a run whose load it was cut short (stopped: interrupted)": func(r *chaos.Report) { r.Load.Stopped = "interrupted" },
		"is of a run whose verdict was FAIL":                             func(r *chaos.Report) { r.Verdict.Pass = false },
		"this run would have seed 5, the baseline's 9":                   func(r *chaos.Report) { r.Seed = 9 },
		"the load 4/s for 6s, the baseline's 8/s for 5s":                 func(r *chaos.Report) { r.Load.Profile = "8/s for 5s" },
		"SQLite, one process, the baseline's PostgreSQL, 2 instances":    func(r *chaos.Report) { r.Deployment = "PostgreSQL, 2 instances, 2 shards" },
		"the baseline runs at scale 3600, this run at 86400":             func(r *chaos.Report) { r.Setup.Scale = 3600 },
		"faults pause, kill, the baseline's pause":                       func(r *chaos.Report) { r.Faults = r.Faults[:1] },
		"faults pause, kill, the baseline's none":                        func(r *chaos.Report) { r.Faults = nil },
	} {
		r := good()
		edit(r)
		err := check(r)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "--baseline b.json")
	}
}
