package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashServeEnv, when set, makes the test binary a server: the crash test
// runs it as a child process and kills it.
const crashServeEnv = "ORDERTWIN_CRASH_SERVE"

// crashServeLogEnv, when set, has that server write its log to its
// stderr (by default it logs nothing).
const crashServeLogEnv = "ORDERTWIN_CRASH_SERVE_LOG"

// TestMain lets the test binary serve, for the crash test.
func TestMain(m *testing.M) {
	if helping, _ := snapshotHelping(); helping {
		// A snapshot helper of a server these tests run (serve
		// --snapshot-by helper): this binary is the program.
		if err := serveCmd(context.Background(), os.Args[2:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	if args := os.Getenv(crashServeEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		var logs io.Writer = io.Discard
		if os.Getenv(crashServeLogEnv) != "" {
			logs = os.Stderr
		}
		err := serveCmd(ctx, strings.Split(args, "\x1f"), os.Stdout, logs)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(storetest.Main(m))
}

// server is a child process serving a store.
type server struct {
	cmd  *exec.Cmd
	base string
}

// startServer runs the test binary as `ordertwin serve FILE --db db` and
// waits until it listens; its log goes to logs (nil: the test's stderr).
func startServer(t *testing.T, logs io.Writer, file, db string, scale float64) *server {
	t.Helper()
	if logs == nil {
		logs = os.Stderr
	}
	// Its hub delivers to the test's listener on loopback: allowed here.
	// Snapshots every few inputs: the kills fall between snapshots, and
	// restarts replay from the latest.
	return startServe(t, logs, file, "--db", db, "--addr", "127.0.0.1:0", "--scale", fmt.Sprint(scale), "--hub-allow", "127.0.0.0/8",
		"--snapshot-every", "200")
}

// startServe runs the test binary as `ordertwin serve ARGS…`, its errors
// to logs (its log too, unless logs is the test's stderr or discards),
// and waits until it listens.
func startServe(t testing.TB, logs io.Writer, args ...string) *server {
	t.Helper()
	return startServeUnder(t, nil, logs, args...)
}

// startServeUnder is startServe with the server run under a command
// (nice -n 19), or as itself when under is empty.
func startServeUnder(t testing.TB, under []string, logs io.Writer, args ...string) *server {
	t.Helper()
	argv := append(slices.Clone(under), os.Args[0], "-test.run=^$")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), crashServeEnv+"="+strings.Join(args, "\x1f"))
	if logs != os.Stderr && logs != io.Discard {
		cmd.Env = append(cmd.Env, crashServeLogEnv+"=1")
	}
	line := startedLine(t, cmd, logs)
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	return &server{cmd: cmd, base: "http://" + addr}
}

// startedLine starts a server's process, its errors to logs, and returns
// the first line it prints (where it serves) once it has.
func startedLine(t testing.TB, cmd *exec.Cmd, logs io.Writer) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	// A test that fails before it ends the server leaves no server behind
	// (one that passes ends its servers itself, some in cleanups of their
	// own registered before this one, which runs first).
	t.Cleanup(func() {
		if t.Failed() && cmd.ProcessState == nil && cmd.Process.Kill() == nil {
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the server did not start")
	go io.Copy(io.Discard, out)
	return line
}

// devToken mints a token of the development issuer of the server that
// serves db (its key is beside the store).
func devToken(t testing.TB, db string, role auth.Role, tenant string) string {
	t.Helper()
	key, err := auth.LoadDevKey(devKeyFile(db))
	require.NoError(t, err)
	tok, err := auth.Mint(key, auth.Grant{Subject: "test-" + string(role), Roles: []auth.Role{role}, Tenant: tenant, TTL: time.Hour}, time.Now())
	require.NoError(t, err)
	return tok
}

// kill ends the server with SIGKILL: no shutdown, no last commit.
func (s *server) kill(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); !errors.Is(err, os.ErrProcessDone) {
		require.NoError(t, err)
	}
	_ = s.cmd.Wait()
}

// stop ends the server with SIGINT, as an operator would.
func (s *server) stop(t testing.TB) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	require.NoError(t, s.cmd.Wait())
}

// outcome is what must not depend on crashes: each order's state and its
// sites' states, the resources in use by type, and what is billed.
type outcome struct {
	Orders    map[string]string // externalId → state
	Sites     map[string]string // externalId/site → state
	Resources map[string]int    // type → in use
	Billing   string
}

// snapshotIsReplay checks that the system a store holds is the same
// whether it is rebuilt from the store's latest snapshot and the inputs
// after it, or replayed from T+0: run on to the same virtual time past the
// end, both reach the same state, byte for byte (§2). Each works on a copy
// of the store, which its run on writes to.
func snapshotIsReplay(t *testing.T, sc *scenarios.Scenario, db string) {
	t.Helper()
	stateOf := func(fromSnapshot bool) []byte {
		file := filepath.Join(t.TempDir(), "copy.db")
		body, err := os.ReadFile(db)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, body, 0o600))
		st, err := sqlite.Open(file, sqlite.Options{})
		require.NoError(t, err)
		defer st.Close()
		var from *store.Snapshot
		snap, ok, err := st.LatestSnapshot()
		require.NoError(t, err)
		require.True(t, ok, "the server took snapshots")
		require.NotZero(t, snap.Inputs)
		if fromSnapshot {
			from = &snap
		}
		// A replay stops after the journal's last record; the server may
		// have run on past it (timers that write nothing, orders leaving
		// memory) before its last snapshot: both run on past that.
		until := max(400*24*time.Hour, snap.At)
		keys, err := stageKeys(st, false)
		require.NoError(t, err)
		keep, err := storeRetention(st, serveClockOptions{}, false)
		require.NoError(t, err)
		sys, err := replayFrom(context.Background(), sc, st, scenarios.Options{Clock: engine.Virtual{}, StageKeys: keys, Retention: keep},
			from, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		require.NoError(t, sys.Engine.RunUntil(context.Background(), until))
		s, err := sys.Engine.Snapshot()
		require.NoError(t, err)
		return s.Body
	}
	assert.Equal(t, stateOf(false), stateOf(true), "from the latest snapshot and from T+0")
}

// outcomeOf rebuilds the system a store holds, in process, and checks
// that no resource is held twice and none is left reserved.
func outcomeOf(t *testing.T, sc *scenarios.Scenario, db string) outcome {
	t.Helper()
	return outcomeWith(t, sc, db, scenarios.Options{})
}

// outcomeWith is outcomeOf with the system rebuilt with opt: the adapters
// the store was served with, whose answers its replay takes from the
// journal.
func outcomeWith(t *testing.T, sc *scenarios.Scenario, db string, opt scenarios.Options) outcome {
	t.Helper()
	sys, st, _, err := resume(context.Background(), sc, db, serveClockOptions{approvals: "twin"}, opt, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.Close()
	out := outcome{Orders: map[string]string{}, Sites: map[string]string{}, Resources: map[string]int{}}
	orders := sys.COM.Orders()
	shelved, err := st.ShelvedAll(com.ShelfKind) // those that left memory
	require.NoError(t, err)
	for _, d := range shelved {
		po, err := com.Shelved(d.Body)
		require.NoError(t, err)
		if sys.COM.Order(po.ID) == nil {
			orders = append(orders, po)
		}
	}
	for _, po := range orders {
		key := po.ExternalID
		if key == "" {
			key = "(scenario) " + po.ID
		}
		out.Orders[key] = po.State
		for _, it := range po.Items {
			out.Sites[key+"/"+it.Place.ID] = it.State
		}
	}
	resources := sys.ROM.Resources.All()
	gone, err := st.ShelvedAll(rom.ResourceShelfKind) // those that left memory with their orders
	require.NoError(t, err)
	for _, d := range gone {
		if sys.ROM.Resources.Get(d.ID) == nil {
			res, err := rom.ShelvedResource(d.Body)
			require.NoError(t, err)
			resources = append(resources, res)
		}
	}
	held := map[string]string{}
	for _, r := range resources {
		switch r.State {
		case "released", "terminated", "replaced", "lost":
			continue
		case "reserved":
			t.Errorf("resource %s (%s %s) is still reserved: it leaked", r.ID, r.ResourceType, r.Value)
		}
		key := r.ResourceType + " " + r.Value
		if other, twice := held[key]; twice && r.ResourceType != "QoSPolicy" { // a policy is a template, bound by many
			t.Errorf("%s is held twice: by %s and %s", key, other, r.ID)
		}
		held[key] = r.ID
		out.Resources[r.ResourceType]++
	}
	// What is billed, not from when: the order placed over HTTP starts
	// at a wall-clock moment, crashes or not.
	b := sys.Report().Billing
	var billed []string
	for _, r := range b.Sites {
		billed = append(billed, fmt.Sprintf("%s %g", r.Site, r.Monthly))
	}
	slices.Sort(billed)
	out.Billing = fmt.Sprintf("%g %s %v", b.Monthly, b.Currency, billed)
	return out
}

// listener is a hub listener in the test process: it outlives the
// server's kills and keeps every event it is sent, duplicates included.
type listener struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []events.Event
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev events.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("listener: %v", err)
		}
		l.mu.Lock()
		l.events = append(l.events, ev)
		l.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// completed counts the orders the listener heard completing.
func (l *listener) completed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	done := map[string]bool{}
	for _, ev := range l.events {
		if po := ev.Event["productOrder"]; ev.EventType == "ProductOrderStateChangeEvent" && po["state"] == "completed" {
			done[po["id"].(string)] = true
		}
	}
	return len(done)
}

// rollout runs the worked example's scenario on a server (its order placed
// at start) and places the same customer's second order, for two of its
// sites, over HTTP on the way, then waits until both orders have ended. With kills, it SIGKILLs the server
// that many times at random points and restarts it on the same store. The
// servers log to logs (nil: the test's stderr).
func rollout(t *testing.T, db string, kills int, rng *rand.Rand, logs io.Writer) *listener {
	t.Helper()
	hear := newListener(t)
	const scale = 1_500_000 // the 35-day rollout in about two seconds
	example := "../../scenarios/globaltech-5site.yaml"
	sc, err := scenarios.Load(example)
	require.NoError(t, err)
	// Two of its sites: the customer's credit covers a second order of
	// that size (five would be refused). Under codes of their own: the
	// scenario's order is making those sites, and a site in service or
	// being made is not ordered again.
	q := sc.Spec.Orders[0].Quote
	q.Sites, q.Waves = slices.Clone(q.Sites[:2]), q.Waves[:2]
	for k := range q.Sites {
		q.Sites[k].Code += "-2"
	}
	srv := startServer(t, logs, example, db, scale)
	c := &client{base: srv.base, http: &http.Client{Timeout: 5 * time.Second}, token: devToken(t, db, auth.Admin, "")}
	ctx := context.Background()
	var hub map[string]any
	require.NoError(t, c.post(ctx, tmf630.ProductOrdering+"/hub", "", map[string]string{"callback": hear.srv.URL}, &hub))
	placed := ""
	// place posts the second quote and order, idempotently: a request cut
	// by a kill is sent again after the restart and places nothing twice.
	place := func() error {
		var quote tmf648.Quote
		if err := c.post(ctx, tmf630.QuoteManagement+"/quote", "second", tmf648.NewQuoteBody(q, "AUD"), &quote); err != nil {
			return err
		}
		var po tmf622.ProductOrder
		if err := c.post(ctx, tmf630.ProductOrdering+"/productOrder", "second", tmf622.NewOrderBody(quote.ID, q, "SECOND-1"), &po); err != nil {
			return err
		}
		placed = po.ID
		return nil
	}
	for k := range kills {
		up := time.Duration(20+rng.IntN(180)) * time.Millisecond
		if k == kills/4 {
			// Place while the server may die under the request.
			done := make(chan error, 1)
			go func() { done <- place() }()
			time.Sleep(up)
			srv.kill(t)
			<-done // cut, or answered before the kill
		} else {
			time.Sleep(up)
			srv.kill(t)
		}
		srv = startServer(t, logs, example, db, scale)
		c.base = srv.base
		if k == kills/4 && placed == "" {
			// Cut by the kill: sent again as soon as the server is back,
			// as a client would, not a loaded machine's minutes later,
			// when the rate card has expired in virtual time.
			require.NoError(t, place())
		}
	}
	if placed == "" {
		require.NoError(t, place())
	}
	// Wait for both orders to end.
	for deadline := time.Now().Add(60 * time.Second); ; {
		var list []tmf622.ProductOrder
		require.NoError(t, c.get(ctx, tmf630.ProductOrdering+"/productOrder?fields=state", &list))
		ended := 0
		for _, po := range list {
			if lc.IsFinal(lc.ProductOrder, po.State) {
				ended++
			}
		}
		if len(list) == 2 && ended == 2 && hear.completed() == 2 {
			break // and the listener heard both end: every event before too
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("the orders did not end, or were not heard to (%d heard completed): %s", hear.completed(), whyNot(t, c, list))
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.stop(t)
	return hear
}

// whyNot says the state of each order of list, and why each item of one
// not completed is where it is.
func whyNot(t *testing.T, c *client, list []tmf622.ProductOrder) string {
	var b strings.Builder
	for _, po := range list {
		fmt.Fprintf(&b, "\n%s %s", po.ID, po.State)
		if po.State == lc.Completed {
			continue
		}
		var whole tmf622.ProductOrder
		if err := c.get(context.Background(), tmf630.ProductOrdering+"/productOrder/"+po.ID, &whole); err != nil {
			fmt.Fprintf(&b, " (%v)", err)
			continue
		}
		for _, it := range whole.ProductOrderItem {
			fmt.Fprintf(&b, "\n  %s %s: %s", it.ID, it.State, it.StateReason)
		}
	}
	return b.String()
}

// heardAll checks that the listener was sent every record of the orders,
// their items and COM's jeopardies in db's journal from its registration
// on, at least once, the first time of each in journal order (TMF688: at least once, in order; duplicates carry the
// same eventId).
func heardAll(t *testing.T, db string, hear *listener) {
	t.Helper()
	// From the listener's registration on: the orders', their items' and
	// COM's jeopardies.
	want, err := owedEvents(db)
	require.NoError(t, err)
	var first []string
	seen := map[string]bool{}
	dups := 0
	hear.mu.Lock()
	heard := slices.Clone(hear.events)
	hear.mu.Unlock()
	for _, ev := range heard {
		if seen[ev.EventID] {
			dups++
			continue
		}
		seen[ev.EventID] = true
		first = append(first, ev.EventID)
	}
	assert.Equal(t, want, first, "every order event, once at first, in journal order")
	t.Logf("the listener heard %d events, %d of them again after a kill", len(heard), dups)
}

// The server killed with SIGKILL at 20 random points of a running
// rollout, and restarted each time on its store, ends with the same
// outcome as a run never interrupted: every order and site in the same
// state, the same resources in use, none held twice or left reserved, the
// same billing, the order placed over HTTP during the crashes placed
// exactly once, and a hub listener sent every order event (issue: crash
// safety; docs/architecture.md §9: nothing is lost).
func TestCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs the server 40 times; -short skips it")
	}
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	dir := t.TempDir()

	calm := filepath.Join(dir, "calm.db")
	heardAll(t, calm, rollout(t, calm, 0, nil, nil))
	want := outcomeOf(t, sc, calm)
	require.Equal(t, map[string]string{"(scenario) PO-2024-01203": "completed", "SECOND-1": "completed"}, want.Orders)
	require.Len(t, want.Sites, 7)

	crashed := filepath.Join(dir, "crashed.db")
	heardAll(t, crashed, rollout(t, crashed, 20, rand.New(rand.NewPCG(4, 20)), nil))
	got := outcomeOf(t, sc, crashed)
	assert.Equal(t, want.Orders, got.Orders)
	assert.Equal(t, want.Sites, got.Sites)
	assert.Equal(t, want.Resources, got.Resources)
	assert.Equal(t, want.Billing, got.Billing)
	assert.NotEmpty(t, got.Resources)
	snapshotIsReplay(t, sc, crashed)
	// The journal written across the kills is one hash chain, and every
	// approval of the two quotes is signed by the stage's key.
	out, err := cli("audit", "verify", crashed)
	require.NoError(t, err)
	assert.Contains(t, out, " 6 signed approvals")
}
