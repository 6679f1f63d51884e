package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/bench/load"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/events"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/ui"
)

// chaosServed is what chaos serves unless told: customers enough for
// every order of a run to have its own credit.
const chaosServed = "live/population.yaml"

// serveProcess is how chaos starts a server: this binary's `serve` with
// args. Tests replace it (the test binary serves another way).
var serveProcess = func(args []string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(self, append([]string{"serve"}, args...)...), nil
}

// chaosCmd runs a server under open-loop load, injects faults on a seeded
// schedule (kills and restarts, pauses, its hub listener down or slow,
// faults in its twin), waits for the orders to end, and judges what the
// server's APIs and journal say: the verdict, and what each fault cost.
//
// A standard output whose reader ended (chaos … | head -1) stops the run
// as Ctrl-C does, and it cleans up after itself: a write to it is an
// error, not the end of the process (SIGPIPE).
func chaosCmd(ctx context.Context, args []string, stdout io.Writer) error {
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	out := &stdoutWatch{w: stdout, stop: stop}
	err := chaosCommand(ctx, args, out)
	if out.broken.Load() {
		return &exitError{1, errors.New("chaos: the standard output was closed (its reader ended): the run stopped, and cleaned up after itself")}
	}
	return err
}

// stdoutWatch is the run's standard output: a write that finds it closed
// (EPIPE) stops the run.
type stdoutWatch struct {
	w      io.Writer
	stop   context.CancelFunc
	broken atomic.Bool
}

func (s *stdoutWatch) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		s.broken.Store(true)
		s.stop()
	}
	return n, err
}

func chaosCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	scenarioFile := fs.String("scenario", "", "the scenario whose customers and sites the quotes are for; default the scenario served")
	rate := fs.Float64("rate", 20, "orders a second (each a quote, then its order)")
	duration := fs.Duration("duration", 30*time.Second, "how long orders come")
	faults := fs.Int("faults", 6, "how many faults to inject, spread over the run")
	kindsFlag := fs.String("kinds", "kill,pause,listener-down", "the kinds of fault, taking turns: kill, pause, listener-down, listener-slow, twin, disk-full (needs root: it mounts a tmpfs)")
	seed := fs.Uint64("seed", 1, "draws the faults' times and kinds, and the load's")
	scale := fs.Float64("scale", 1_000_000, "the server's virtual seconds a second: how fast orders run their course")
	settle := fs.Duration("settle", 2*time.Minute, "after the load, how long orders may take to end")
	timeout := fs.Duration("timeout", 2*time.Second, "how long one request may take before it is sent again")
	dir := fs.String("dir", "", "keep the server's store and log in this folder (default a temporary one, removed after)")
	jsonFile := fs.String("json", "", "write the report as JSON to this file")
	baselineFile := fs.String("baseline", "", "a JSON report to compare with: exit 1 when a figure is worse by more than --fail-over")
	failOver := fs.String("fail-over", "20%", "with --baseline: how much worse a figure may be, a percentage")
	referenceFlag := fs.String("reference", "run", "what each order's end is compared with: run (an uninterrupted run of the same seed first), none, or a JSON report of one (chaos --faults 0 --json)")
	split := fs.Bool("split", false, "serve COM, SOM and ROM in three processes (serve --role), each kill or pause hitting one of them in turn")
	diskFlag := fs.String("disk", "256m", "with disk-full faults: the size of the tmpfs the server's store is on (mount's notation), at most half the memory available")
	db := fs.String("db", "", "serve on this PostgreSQL database (postgres://USER@HOST:PORT/DB), several instances of serve --shards, in a schema each run makes and drops after; default SQLite stores in the run's folder")
	instances := fs.Int("instances", 2, "with --db: how many instances of serve the deployment runs, each kill or pause hitting one of them in turn")
	shards := fs.Int("shards", 0, "with --db: over how many shards the deployment spreads its orders, by customer (serve --shards); default one an instance")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		pos = []string{chaosServed}
	case 1:
	default:
		return fmt.Errorf("chaos: want at most one scenario to serve, got %q", pos)
	}
	if *scenarioFile == "" {
		*scenarioFile = pos[0]
	}
	kinds, err := chaos.ParseKinds(*kindsFlag)
	if err != nil {
		return fmt.Errorf("chaos: --kinds: %w", err)
	}
	switch {
	case !(*rate > 0) || *rate > 10_000:
		return fmt.Errorf("chaos: --rate %g: want orders a second, more than 0 and at most 10000", *rate)
	case *duration <= 0:
		return fmt.Errorf("chaos: --duration %s: want a positive duration", *duration)
	case *settle <= 0:
		return fmt.Errorf("chaos: --settle %s: want a positive duration", *settle)
	case *timeout <= 0:
		return fmt.Errorf("chaos: --timeout %s: want a positive duration", *timeout)
	case *faults < 0:
		return fmt.Errorf("chaos: --faults %d: want a count, 0 or more", *faults)
	case !diskSize.MatchString(*diskFlag):
		return fmt.Errorf("chaos: --disk %q: want a size as mount takes it, such as 256m, 1g or 50%%", *diskFlag)
	case checkScale("chaos", *scale) != nil:
		return checkScale("chaos", *scale)
	case *referenceFlag == "":
		return errors.New("chaos: --reference: want run, none or a JSON report's file")
	case flagSet(fs, "fail-over") && *baselineFile == "":
		return errors.New("chaos: --fail-over says how much worse than --baseline a run may be: give --baseline FILE")
	}
	if flagSet(fs, "disk") && !slices.Contains(kinds, chaos.DiskFull) {
		return errors.New("chaos: --disk is the size of the disk that disk-full faults fill: give --kinds with disk-full")
	}
	pg, err := checkChaosDB(*db, *instances, *shards, flagSet(fs, "instances"), flagSet(fs, "shards"), *split, kinds)
	if err != nil {
		return err
	}
	threshold, baseline, err := readBaseline("chaos", *baselineFile, *failOver, readChaosReport)
	if err != nil {
		return err
	}
	if err := writable("chaos", map[string]string{"json": *jsonFile}); err != nil {
		return err
	}
	if slices.Contains(kinds, chaos.DiskFull) {
		if err := diskFits(*diskFlag); err != nil {
			return fmt.Errorf("chaos: --disk %s: %w", *diskFlag, err)
		}
	}
	plan, err := chaos.Plan(*seed, *duration, *faults, kinds)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	sc, err := loadServed(*scenarioFile)
	if err != nil {
		if !flagSet(fs, "scenario") {
			return fmt.Errorf("chaos: the scenario to serve: %w", err)
		}
		return fmt.Errorf("chaos: --scenario: %w", err)
	}
	if len(sc.Spec.Placements()) == 0 {
		return fmt.Errorf("chaos: --scenario %s has no customer and sites to quote for", sc.Name)
	}
	setup := chaos.Setup{Scale: *scale}
	if setup.Quoted, err = describeScenario(sc); err != nil {
		return fmt.Errorf("chaos: --scenario: %w", err)
	}
	setup.Scenario = setup.Quoted
	if *scenarioFile != pos[0] {
		served, err := loadServed(pos[0])
		if err != nil {
			return fmt.Errorf("chaos: the scenario to serve: %w", err)
		}
		if setup.Scenario, err = describeScenario(served); err != nil {
			return fmt.Errorf("chaos: the scenario to serve: %w", err)
		}
	}
	var reference map[string]chaos.Outcome
	if *referenceFlag != "run" && *referenceFlag != "none" {
		if reference, err = readReference(*referenceFlag, *seed, load.Rate(*rate, *duration).String(), setup); err != nil {
			return err
		}
	}
	if baseline != nil {
		if err := checkChaosBaseline(*baselineFile, baseline, *seed, load.Rate(*rate, *duration).String(), setup, deploymentOf(pg, *split), plan); err != nil {
			return err
		}
	}
	if *dir != "" {
		if err := checkRunDir(*dir); err != nil {
			return err
		}
	}
	if pg != nil {
		if err := pg.reach(ctx); err != nil {
			return err
		}
	}
	sweepLeftovers(os.TempDir(), stdout)
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", chaosTemp+"*"); err != nil {
			return err
		}
		unlock, err := markLive(work)
		if err != nil {
			os.RemoveAll(work)
			return fmt.Errorf("chaos: %w", err)
		}
		defer unlock() // last: once the folder is gone
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("chaos: --dir: %w", err)
	}

	disk := ""
	if slices.Contains(kinds, chaos.DiskFull) {
		if disk, err = mountDisk(filepath.Join(work, "disk"), *diskFlag); err != nil {
			return fmt.Errorf("chaos: --kinds disk-full: %w", err)
		}
		defer unmountDisk(disk, stdout)
	}
	run := chaosSetup{pos: pos, sc: sc, setup: setup, split: *split, db: pg, seed: *seed, rate: *rate, d: *duration, settle: *settle,
		timeout: *timeout, stdout: stdout, kept: *dir != ""}
	if *referenceFlag == "run" {
		fmt.Fprintf(stdout, "the uninterrupted run (seed %d, no faults):\n", *seed)
		ref, err := runChaos(ctx, run, filepath.Join(work, "reference"), "", nil, nil)
		if errors.Is(err, errInterrupted) {
			return &exitError{1, errors.New("chaos: interrupted during the uninterrupted run, before the faulted one")}
		} else if err != nil {
			return fmt.Errorf("chaos: the uninterrupted run: %w", err)
		}
		fmt.Fprintf(stdout, "  %d orders acknowledged; at the end %s\n", ref.Orders, chaos.States(ref.OrderStates))
		reference = ref.Outcomes
	}
	if len(plan) > 0 {
		fmt.Fprintf(stdout, "the run with %d faults (seed %d), for %s and up to %s more for its orders to end:\n", len(plan), *seed, *duration, *settle)
	}
	rep, err := runChaos(ctx, run, filepath.Join(work, "run"), disk, plan, reference)
	if err != nil && rep == nil {
		if errors.Is(err, errInterrupted) {
			return &exitError{1, errors.New("chaos: interrupted, before any report")}
		}
		return fmt.Errorf("chaos: %w", err)
	}
	if *jsonFile != "" { // first: a standard output closed does not lose it
		if err := writeJSONFile(*jsonFile, rep); err != nil {
			return fmt.Errorf("chaos: --json: %w", err)
		}
	}
	if err := rep.Load.WriteText(stdout); err != nil {
		return err
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if err != nil {
		return &exitError{1, errors.New("chaos: interrupted: the report so far, with no verdict")}
	}
	var worse []string
	if baseline != nil && rep.Load.Stopped != "" {
		fmt.Fprintf(stdout, "not compared with the baseline %s: the load was cut short (stopped: %s)\n", *baselineFile, rep.Load.Stopped)
		if rep.Verdict.Pass {
			return &exitError{1, fmt.Errorf("chaos: the load was cut short (stopped: %s), so the run is not compared with the baseline %s", rep.Load.Stopped, *baselineFile)}
		}
	} else if baseline != nil {
		for _, g := range chaos.Compare(baseline, rep, threshold) {
			fmt.Fprintf(stdout, "REGRESSED %s\n", g)
			worse = append(worse, g.Figure)
		}
		if len(worse) == 0 {
			fmt.Fprintf(stdout, "within %s of the baseline %s\n", percent(threshold), *baselineFile)
		}
	}
	switch {
	case !rep.Verdict.Pass:
		return &exitError{1, errors.New("chaos: the verdict is FAIL: see the checks above")}
	case len(worse) > 0:
		return &exitError{1, fmt.Errorf("chaos: worse than the baseline %s by more than %s: %s", *baselineFile, percent(threshold), strings.Join(worse, ", "))}
	}
	return nil
}

// chaosSetup is what a run serves and how: the same for the
// uninterrupted run and the faulted one.
type chaosSetup struct {
	pos                []string // serve's FILE
	sc                 *scenarios.Scenario
	setup              chaos.Setup // the report's: what decides how orders end
	split              bool
	db                 *chaosDB // the PostgreSQL deployment; nil: SQLite
	seed               uint64
	rate               float64
	d, settle, timeout time.Duration
	stdout             io.Writer
	// kept says the run's folder stays after it (--dir): its log can be
	// read there.
	kept bool
}

// runChaos serves the setup on new stores in work (on disk, the tmpfs to
// fill, when set), runs the load and the plan, and judges.
func runChaos(ctx context.Context, s chaosSetup, work, disk string, plan []chaos.Fault, reference map[string]chaos.Outcome) (*chaos.Report, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	store := work
	if disk != "" {
		store = disk
	}
	r := &chaosRun{disk: disk, seed: s.seed, setup: s.setup, stdout: s.stdout, reference: reference, db: s.db}
	var err error
	if r.logs, err = os.Create(filepath.Join(work, "serve.log")); err != nil {
		return nil, err
	}
	defer r.logs.Close()
	switch {
	case s.db != nil:
		var name string
		if r.schema, name, err = s.db.newSchema(work, filepath.Base(work), s.seed); err != nil {
			return nil, fmt.Errorf("a schema for the run: %w", err)
		}
		if s.kept {
			defer keptSchema(s.stdout, s.db.url, name)
		} else {
			defer func() {
				if err := dropSchema(s.db.url, name, r.schema); err != nil {
					fmt.Fprintf(s.stdout, "chaos: %v\n", err)
				}
			}()
		}
		for i := range s.db.instances {
			p := &chaosProc{name: fmt.Sprintf("instance-%d", i+1), db: r.schema}
			if p.addr, err = freeLoopbackAddr(); err != nil {
				return nil, err
			}
			r.procs = append(r.procs, p)
		}
	case s.split:
		for _, role := range []string{"com", "som", "rom"} {
			p := &chaosProc{name: role, role: role, db: filepath.Join(store, role+".db")}
			if p.addr, err = freeLoopbackAddr(); err != nil {
				return nil, err
			}
			r.procs = append(r.procs, p)
		}
	default:
		p := &chaosProc{name: "serve", db: filepath.Join(store, "serve.db")}
		if p.addr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
		r.procs = append(r.procs, p)
	}
	common := append(slices.Clone(s.pos), "--scale", strconv.FormatFloat(s.setup.Scale, 'g', -1, 64), "--hub-allow", "127.0.0.0/8")
	if s.split {
		secret := filepath.Join(work, "peer.secret")
		if err := os.WriteFile(secret, []byte("chaos-"+strconv.FormatUint(s.seed, 10)+"-deployment-secret-of-32-bytes\n"), 0o600); err != nil {
			return nil, err
		}
		common = append(common, "--peer-secret", secret, "--start", time.Now().UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	for _, p := range r.procs {
		p.args = append(slices.Clone(common), "--db", p.db, "--addr", p.addr)
		if s.db != nil {
			p.args = append(p.args, "--shards", strconv.Itoa(s.db.shards))
		}
		if p.role != "" {
			p.args = append(p.args, "--role", p.role)
			for _, to := range system.Roles[p.role].Needs {
				peer := strings.ToLower(to.String())
				p.args = append(p.args, "--peer", peer+"=http://"+r.proc(peer).addr)
			}
		}
	}
	defer r.kill()
	starting := slices.Backward(r.procs) // ROM first: the ones it serves come after
	if s.db != nil {
		starting = slices.All(r.procs) // the first takes every shard, and hands them over as the others join
	}
	for _, p := range starting {
		if _, err := r.start(p); err != nil {
			return nil, err
		}
	}
	if s.db != nil {
		if err := s.db.spread(ctx, r.schema, r.procs, time.Minute); err != nil {
			return nil, err
		}
	}
	rep, err := r.run(ctx, s.sc, plan, s.rate, s.d, s.settle, s.timeout)
	switch {
	case errors.Is(err, errInterrupted):
		return rep, err
	case err != nil && ctx.Err() != nil:
		return nil, errInterrupted
	case err != nil && s.kept:
		return nil, fmt.Errorf("%w (the servers' log: %s)", err, r.logs.Name())
	case err != nil:
		return nil, fmt.Errorf("%w (give --dir DIR to keep the servers' log)", err)
	}
	return rep, nil
}

// chaosRun is one failure run: its server processes, its hub listener,
// and what it was answered.
type chaosRun struct {
	// procs are the servers: one, or COM, SOM and ROM (--split), the
	// first taking the orders and the last allocating resources; or the
	// instances of a deployment on PostgreSQL, each taking orders in turn.
	procs []*chaosProc
	// db is the deployment on PostgreSQL, schema its URL in this run's
	// schema; nil on SQLite.
	db     *chaosDB
	schema string
	// via are the clients orders are sent with: the front's, or each
	// instance's of a deployment (set before the load, then only read).
	via       []*client
	disk      string // the tmpfs the stores are on, for disk-full faults
	reference map[string]chaos.Outcome
	seed      uint64
	setup     chaos.Setup
	stdout    io.Writer
	logs      *os.File

	mu sync.Mutex
	// answered: order ids answered per key; sent: when each key's order
	// was first sent; requests: every request's time and outcome, for the
	// faults' cost; spent: when each twin fault had failed its calls.
	answered map[string][]string
	sent     map[string]time.Duration
	requests []chaos.Request
	spent    map[string]time.Duration
	start0   time.Time
}

// key is the run's key of its i-th order (Idempotency-Key and externalId).
func (r *chaosRun) key(i int) string { return fmt.Sprintf("chaos-%d-%d", r.seed, i) }

// own says whether an order's externalId is one of the run's keys, not
// an order of the scenario served.
func (r *chaosRun) own(externalID string) bool {
	return strings.HasPrefix(externalID, fmt.Sprintf("chaos-%d-", r.seed))
}

// chaosProc is one server process of a run.
type chaosProc struct {
	name, role string // role "": COM, SOM and ROM in one process
	db, addr   string
	args       []string
	cmd        *exec.Cmd // nil while it is not running
}

// proc is the run's process of a role.
func (r *chaosRun) proc(role string) *chaosProc {
	for _, p := range r.procs {
		if p.role == role {
			return p
		}
	}
	return nil
}

// front takes the orders and the listener; inventory allocates the
// resources and runs the twin.
func (r *chaosRun) front() *chaosProc     { return r.procs[0] }
func (r *chaosRun) inventory() *chaosProc { return r.procs[len(r.procs)-1] }

// freeLoopbackAddr picks a loopback port free now: the server takes it
// again each time it starts, so that clients find it after a restart.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lastLine is the last line of the file at path that says something, ""
// when there is none: what a server that did not start said last.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// start starts a server and waits until it listens; it gives how long
// that took.
func (r *chaosRun) start(p *chaosProc) (time.Duration, error) {
	began := time.Now()
	cmd, err := serveProcess(p.args)
	if err != nil {
		return 0, err
	}
	cmd.Stderr = r.logs
	dieWithParent(cmd) // a chaos killed (kill -9) leaves no server running
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", p.name, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, " on http://") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if said := lastLine(r.logs.Name()); said != "" {
			return 0, fmt.Errorf("%s did not start: %s", p.name, said)
		}
		return 0, fmt.Errorf("%s did not start (%q)", p.name, line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	r.mu.Lock()
	p.cmd = cmd
	r.mu.Unlock()
	return time.Since(began), nil
}

// take is p's process, no longer the run's.
func (r *chaosRun) take(p *chaosProc) *exec.Cmd {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := p.cmd
	p.cmd = nil
	return cmd
}

// kill ends the servers with SIGKILL (those given, or all), if they run.
func (r *chaosRun) kill(ps ...*chaosProc) {
	if len(ps) == 0 {
		ps = r.procs
	}
	for _, p := range ps {
		if cmd := r.take(p); cmd != nil {
			_ = cmd.Process.Signal(syscall.SIGCONT) // a paused one dies too
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
}

// stop ends the servers as an operator would (SIGINT), the one taking
// orders last, for the journal to be read.
func (r *chaosRun) stop() error {
	var errs []error
	for _, p := range slices.Backward(r.procs) {
		if cmd := r.take(p); cmd != nil {
			_ = cmd.Process.Signal(os.Interrupt)
			if err := cmd.Wait(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *chaosRun) signal(p *chaosProc, s os.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s is not running", p.name)
	}
	return p.cmd.Process.Signal(s)
}

// token mints an admin's token of p's development issuer, for ttl.
func token(p *chaosProc, ttl time.Duration) (string, error) {
	key, err := auth.LoadDevKey(devKeyFile(p.db))
	if err != nil {
		return "", err
	}
	return auth.Mint(key, auth.Grant{Subject: "chaos", Roles: []auth.Role{auth.Admin}, TTL: ttl}, time.Now())
}

// run places the load, injects the plan, lets the orders end and judges.
func (r *chaosRun) run(ctx context.Context, sc *scenarios.Scenario, plan []chaos.Fault, rate float64, d, settle, timeout time.Duration) (*chaos.Report, error) {
	tok, err := token(r.front(), d+settle+time.Hour)
	if err != nil {
		return nil, err
	}
	invTok, err := token(r.inventory(), d+settle+time.Hour)
	if err != nil {
		return nil, err
	}
	base := "http://" + r.front().addr
	inv := &client{base: "http://" + r.inventory().addr, token: invTok, http: loadHTTP(time.Minute, 4)}
	hear := newChaosListener()
	defer hear.close()
	l, err := newLoadClient(base, tok, loadHTTP(timeout, 256), sc, "chaos-"+strconv.FormatUint(r.seed, 10), r.seed)
	if err != nil {
		return nil, err
	}
	// The orders go to the front, or to a deployment's instances in turn:
	// each request (a quote, its order, a re-send) to the next instance,
	// as a balancer that tries another would.
	r.via = []*client{l.c}
	if r.db != nil {
		for _, p := range r.procs[1:] {
			r.via = append(r.via, &client{base: "http://" + p.addr, token: tok, http: l.c.http})
		}
	}
	var hub map[string]any
	if err := l.c.post(ctx, tmf630.ProductOrdering+"/hub", "", map[string]string{"callback": hear.url}, &hub); err != nil {
		return nil, fmt.Errorf("registering the run's listener: %w", err)
	}
	r.answered, r.sent, r.spent = map[string][]string{}, map[string]time.Duration{}, map[string]time.Duration{}

	mix, err := load.ParseMix(opOrder+"=1", loadOps)
	if err != nil {
		return nil, err
	}
	cfg := load.Config{Profile: load.Rate(rate, d), MaxDuration: d + settle, MaxInFlight: 1024, Mix: mix, Seed: r.seed,
		Window: max(time.Second, (d / 60).Round(time.Second))}
	hits := make([]chaos.Hit, len(plan))
	injected := make(chan struct{})
	var rep *load.Report
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep, runErr = load.Run(ctx, cfg, func(ctx context.Context, a load.Arrival, rec *load.Recorder) {
			r.mu.Lock()
			if r.start0.IsZero() {
				r.start0 = rec.Start()
				close(injected)
			}
			r.mu.Unlock()
			r.order(ctx, l, a, rec, d+settle)
		})
	}()
	select {
	case <-injected:
	case <-done:
		return nil, fmt.Errorf("the load ended before it began: %v", runErr)
	}
	watch, stopWatching := context.WithCancel(ctx)
	var watching sync.WaitGroup
	defer func() { stopWatching(); watching.Wait() }()
	r.inject(ctx, watch, &watching, inv, hear, plan, hits)
	<-done
	if runErr != nil {
		return nil, runErr
	}
	rep.Target = base
	if ctx.Err() != nil {
		return r.interrupted(rep, hits, "the load"), errInterrupted
	}

	ev, states, err := r.settle(ctx, l.c, inv, hear, settle)
	stopWatching()
	watching.Wait()
	if err != nil && ctx.Err() != nil {
		return r.interrupted(rep, hits, "the wait for the orders to end"), errInterrupted
	}
	if err != nil {
		return nil, err
	}
	stop := r.stop
	if r.db != nil {
		stop = r.stopAll
	}
	if err := stop(); err != nil {
		fmt.Fprintf(r.logs, "chaos: the server's stop: %v\n", err)
	}
	if r.db != nil {
		if ev.Journals, err = owedShards(r.schema, r.db.shards); err != nil {
			return nil, fmt.Errorf("reading the shards' journals: %w", err)
		}
	} else {
		owed, err := owedEvents(r.front().db)
		if err != nil {
			return nil, fmt.Errorf("reading the journal: %w", err)
		}
		ev.Journals = [][]string{owed}
	}
	owed := make([]int, len(ev.Journals))
	for i, j := range ev.Journals {
		owed[i] = len(j)
	}
	for reason, n := range rep.Operations[opOrder].Errors {
		ev.Unanswered = append(ev.Unanswered, fmt.Sprintf("%d orders: %s", n, reason))
	}
	slices.Sort(ev.Unanswered)
	r.mu.Lock()
	ev.Answered = r.answered
	chaos.Cost(hits, r.requests)
	ev.Flights = map[string]chaos.Flight{}
	for key, at := range r.sent {
		ev.Flights[key] = chaos.Flight{Sent: at}
	}
	for i := range hits {
		if at, ok := r.spent[hits[i].Name]; ok {
			hits[i].SpentSeconds = at.Seconds()
		}
	}
	r.mu.Unlock()
	ended := hear.endedAt() // by order id: a flight is by key
	for _, o := range ev.Orders {
		if f, ok := ev.Flights[o.ExternalID]; ok && !ended[o.ID].IsZero() {
			f.Ended = ended[o.ID].Sub(r.start0)
			ev.Flights[o.ExternalID] = f
		}
	}
	ev.Hits, ev.Reference = hits, r.reference
	return &chaos.Report{Seed: r.seed, Target: base, Deployment: r.deployment(), Setup: r.setup, Load: rep, Faults: hits, Verdict: chaos.Judge(ev),
		Orders: len(ev.Answered), OrderStates: states, Outcomes: ev.Outcomes, Owed: owed, Heard: len(ev.Heard)}, nil
}

// errInterrupted is runChaos's error for a run stopped by its context
// (Ctrl-C), with the report so far.
var errInterrupted = errors.New("interrupted")

// interrupted is the report so far of a run stopped during what: the
// load's figures and each fault that hit, with its cost, and no verdict.
func (r *chaosRun) interrupted(rep *load.Report, hits []chaos.Hit, what string) *chaos.Report {
	var hit []chaos.Hit // those injected before the stop
	for _, h := range hits {
		if h.Name != "" {
			hit = append(hit, h)
		}
	}
	r.mu.Lock()
	chaos.Cost(hit, r.requests)
	acked := len(r.answered)
	r.mu.Unlock()
	return &chaos.Report{Seed: r.seed, Target: rep.Target, Deployment: r.deployment(), Setup: r.setup, Load: rep, Faults: hit, Orders: acked, Verdict: chaos.Verdict{Checks: []chaos.Check{{
		Name: "the run ran to its end", Detail: []string{"interrupted during " + what + ": no verdict (the report so far)"}}}}}
}

// order places one order: its quote, then the order, each sent again with
// the same Idempotency-Key until it is answered well or the run gives up.
func (r *chaosRun) order(ctx context.Context, l *loadClient, a load.Arrival, rec *load.Recorder, giveUp time.Duration) {
	due := rec.Start().Add(a.Due)
	key := r.key(a.Index)
	i := a.Index % len(l.quotes)
	ctx, cancel := context.WithDeadline(ctx, due.Add(giveUp))
	defer cancel()
	try := a.Index
	next := func() *client { // each try to the next instance
		c := r.via[try%len(r.via)]
		try++
		return c
	}
	var q tmf648.Quote
	if err := r.resend(ctx, due, func() error {
		return next().post(ctx, tmf630.QuoteManagement+"/quote", key, tmf648.NewQuoteBody(l.quotes[i], l.currency[i]), &q)
	}); err != nil {
		rec.Answered(opOrder, due, loadFault(ctx, err))
		return
	}
	r.mu.Lock()
	r.sent[key] = time.Since(r.start0) // the server cannot have the order before
	r.mu.Unlock()
	err := r.resend(ctx, due, func() error {
		var po tmf622.ProductOrder
		err := next().post(ctx, tmf630.ProductOrdering+"/productOrder", key, tmf622.NewOrderBody(q.ID, l.quotes[i], key), &po)
		if err == nil {
			r.mu.Lock()
			r.answered[key] = append(r.answered[key], po.ID)
			r.mu.Unlock()
		}
		return err
	})
	rec.Answered(opOrder, due, loadFault(ctx, err))
}

// resend calls send until it succeeds, it fails for a reason a re-send
// cannot mend (a 4xx), or ctx ends; every try is counted for the faults'
// cost.
func (r *chaosRun) resend(ctx context.Context, due time.Time, send func() error) error {
	for {
		err := send()
		now := time.Now()
		r.mu.Lock()
		status := "2xx"
		if err != nil {
			status = loadFault(ctx, err)
		}
		r.requests = append(r.requests, chaos.Request{Due: due.Sub(r.start0), Answered: now.Sub(r.start0), OK: err == nil, Status: status})
		r.mu.Unlock()
		var se *statusError
		if err == nil || errors.As(err, &se) && se.status < 500 && se.status != http.StatusTooManyRequests {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
		due = time.Now() // a re-send's latency counts from when it is sent
	}
}

// inject hits the servers with each fault of the plan at its time: a
// kill or a pause hits one process of a split deployment, each in turn; a
// twin fault goes to the one whose twin allocates, and is watched (in
// watching, until watch ends) for when it has failed its calls; a full
// disk is all the stores'.
func (r *chaosRun) inject(ctx, watch context.Context, watching *sync.WaitGroup, inv *client, hear *chaosListener, plan []chaos.Fault, hits []chaos.Hit) {
	turns := map[chaos.Kind]int{}
	for i, f := range plan {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(r.start0.Add(f.At))):
		}
		h := &hits[i]
		h.Fault = f
		h.AtSeconds = time.Since(r.start0).Seconds()
		target := r.procs[turns[f.Kind]%len(r.procs)]
		turns[f.Kind]++
		if len(r.procs) > 1 && (f.Kind == chaos.Kill || f.Kind == chaos.Pause) {
			h.Process = target.name
		}
		held := time.Now()
		var err error
		switch f.Kind {
		case chaos.Kill:
			r.kill(target)
			var took time.Duration
			took, err = r.start(target)
			h.RestartSeconds = took.Seconds()
		case chaos.Pause:
			if err = r.signal(target, syscall.SIGSTOP); err == nil {
				time.Sleep(f.For)
				err = r.signal(target, syscall.SIGCONT)
			}
		case chaos.ListenerDown, chaos.ListenerSlow:
			hear.fail(f.Kind)
			time.Sleep(f.For)
			hear.fail("")
		case chaos.Twin:
			rule := map[string]any{"name": f.Name, "kind": "transient", "target": map[string]string{"system": "access"}, "first": chaos.TwinCalls,
				"message": "chaos: NETCONF session dropped"}
			var view map[string]any
			if err = inv.post(ctx, ui.FaultPath, "", rule, &view); err == nil {
				watching.Go(func() { r.watchTwin(watch, inv, f.Name) })
			}
		case chaos.DiskFull:
			err = r.fillDisk(ctx, f.For, h)
		}
		h.ForSeconds = time.Since(held).Seconds()
		switch f.Kind {
		case chaos.Kill, chaos.Twin:
			h.ForSeconds = 0
		case chaos.DiskFull:
			h.ForSeconds -= h.RecoverSeconds // full from the filling to the freeing
		}
		if err != nil {
			h.Error = err.Error()
		}
		fmt.Fprintf(r.logs, "chaos: %s at %.2f s (%s)\n", f.Name, h.AtSeconds, orElse(h.Error, "injected"))
	}
}

// twinRuleHits is a fault rule of the twin as GET fault lists it.
type twinRuleHits struct {
	Name string `json:"name"`
	Hits int    `json:"hits"`
}

// watchTwin reads the twin's faults until the one named has failed every
// call it fails, and keeps when the run saw that: the last moment it may
// have hit an order. A server down (a kill) is read again.
func (r *chaosRun) watchTwin(ctx context.Context, inv *client, name string) {
	for ctx.Err() == nil {
		var rules []twinRuleHits
		if err := inv.get(ctx, ui.FaultPath, &rules); err == nil {
			if i := slices.IndexFunc(rules, func(v twinRuleHits) bool { return v.Name == name }); i >= 0 && rules[i].Hits >= chaos.TwinCalls {
				r.mu.Lock()
				r.spent[name] = time.Since(r.start0)
				r.mu.Unlock()
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// diskSize is a tmpfs size as mount takes it: bytes, k, m or g, or a
// percentage of memory.
var diskSize = regexp.MustCompile(`^[1-9][0-9]*[kKmMgG%]?$`)

// diskFits checks that a tmpfs of size (mount's notation, checked) fits
// in half the memory available now: a tmpfs is held in memory, and one
// larger would be filled into memory the server and the machine need.
// Where memory cannot be read (not Linux), any size is taken.
func diskFits(size string) error {
	total, available, err := freeMemory()
	if err != nil {
		return nil
	}
	n, _ := strconv.ParseUint(strings.TrimRight(size, "kKmMgG%"), 10, 64)
	switch size[len(size)-1] {
	case 'k', 'K':
		n <<= 10
	case 'm', 'M':
		n <<= 20
	case 'g', 'G':
		n <<= 30
	case '%':
		n = total / 100 * n
	}
	if most := available / 2; n > most {
		return fmt.Errorf("a tmpfs is held in memory, and this is more than half the memory available (%d MiB of %d MiB): give at most %dm", n>>20, available>>20, most>>20)
	}
	return nil
}

// freeMemory is the machine's memory and how much of it is available, in
// bytes (/proc/meminfo).
func freeMemory() (total, available uint64, err error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			total = kb << 10
		case "MemAvailable:":
			available = kb << 10
		}
	}
	if total == 0 || available == 0 {
		return 0, 0, errors.New("/proc/meminfo gives no MemTotal or MemAvailable")
	}
	return total, available, nil
}

// mountDisk mounts a tmpfs of size (mount's notation: 256m) on dir, for
// the server's store to be on a disk the run can fill. It needs root.
func mountDisk(dir, size string) (string, error) {
	if uid := os.Geteuid(); uid != 0 {
		return "", fmt.Errorf("a full disk is a tmpfs the run mounts for the server's store, and mounting needs root (this runs as uid %d)", uid)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mounting a tmpfs of %s on %s: %v: %s", size, dir, err, strings.TrimSpace(string(out)))
	}
	// A store needs room to start before any fault fills it: found now,
	// not after the uninterrupted run.
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err == nil && uint64(fs.Blocks)*uint64(fs.Bsize) < minDisk {
		unmountDisk(dir, io.Discard)
		return "", fmt.Errorf("--disk %s: the server's store needs %d MiB at least to start", size, minDisk>>20)
	}
	return dir, nil
}

// minDisk is the smallest tmpfs a store is put on.
const minDisk = 16 << 20

// unmountDisk unmounts the run's tmpfs once its server has ended.
func unmountDisk(dir string, stdout io.Writer) {
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		fmt.Fprintf(stdout, "chaos: unmounting %s: %v: %s\n", dir, err, strings.TrimSpace(string(out)))
	}
}

// fillDisk fills the store's tmpfs, holds it full for d, frees it, and
// times how long the server takes to be ready again (at most 30 s).
func (r *chaosRun) fillDisk(ctx context.Context, d time.Duration, h *chaos.Hit) error {
	if r.disk == "" {
		return errors.New("the store is not on a disk the run mounted")
	}
	f, err := os.Create(filepath.Join(r.disk, "filler"))
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for err == nil {
		_, err = f.Write(buf)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("filling %s: %w", r.disk, err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("freeing %s: %w", r.disk, err)
	}
	freed := time.Now()
	c := &http.Client{Timeout: time.Second}
	ready := func(p *chaosProc) bool {
		res, err := c.Get("http://" + p.addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	for time.Since(freed) < 30*time.Second && ctx.Err() == nil {
		if !slices.ContainsFunc(r.procs, func(p *chaosProc) bool { return !ready(p) }) {
			h.Recovered = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.RecoverSeconds = time.Since(freed).Seconds()
	return nil
}

func orElse(s, otherwise string) string {
	if s != "" {
		return s
	}
	return otherwise
}

// settle waits until every order has ended or waits on a person (on the
// worklist), and the listener has been sent each ended order's last
// state, for at most d; it gives the evidence the APIs hold (saying when
// d ran out first), and the run's orders by state.
func (r *chaosRun) settle(ctx context.Context, c, inv *client, hear *chaosListener, d time.Duration) (chaos.Evidence, map[string]int, error) {
	deadline := time.Now().Add(d)
	// The reads take what they take: the server may be slow to list
	// thousands of orders on a loaded machine.
	c = &client{base: c.base, token: c.token, http: loadHTTP(time.Minute, 4)}
	for {
		ev, err := r.gatherEvidence(ctx, c) // the resources once the orders have ended: thousands to list
		if err != nil {
			if time.Now().After(deadline) {
				return ev, nil, err
			}
			fmt.Fprintf(r.logs, "chaos: %v (read again)\n", err)
			select {
			case <-ctx.Done():
				return ev, nil, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		states := map[string]int{} // the run's own orders, not the scenario's
		open := 0
		for _, o := range ev.Orders {
			if r.own(o.ExternalID) {
				states[o.State]++
			}
			if !o.Final && o.Held == "" || o.Final && !hear.heardState(o.ID, o.State) {
				open++
			}
		}
		if open == 0 || time.Now().After(deadline) {
			if open > 0 {
				ev.Unsettled = d // the orders may only need longer: not the server's fault
			}
			if err := r.gatherResources(ctx, inv, &ev); err != nil {
				return ev, nil, err
			}
			ev.Heard = hear.heard()
			return ev, states, nil
		}
		select {
		case <-ctx.Done():
			return ev, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// gatherEvidence reads what a deployment's APIs hold: its product orders
// (with why a live one waits, from the worklist) from c, and its
// resources from inv (the same server, or the ROM of a split one; none
// when nil).
func gatherEvidence(ctx context.Context, c, inv *client) (chaos.Evidence, error) {
	var ev chaos.Evidence
	var orders []tmf622.ProductOrder
	if err := getAll(ctx, c, tmf630.ProductOrdering+"/productOrder?fields=id,externalId,state,productOrderItem", &orders); err != nil {
		return ev, fmt.Errorf("listing the orders: %w", err)
	}
	var work []worklist.Item
	if err := getAll(ctx, c, worklist.ItemPath, &work); err != nil {
		return ev, fmt.Errorf("reading the worklist: %w", err)
	}
	held := map[string]string{}
	for _, w := range work {
		if w.Order != nil {
			held[w.Order.ID] = orElse(w.Reason, w.Kind)
		}
	}
	for _, po := range orders {
		if po.ExternalID != "" {
			o := chaos.Outcome{State: po.State, Items: map[string]string{}}
			// An item by its site (its id is the server's, numbered in the
			// order orders came), or its place in the order.
			for i, it := range po.ProductOrderItem {
				key := "#" + strconv.Itoa(i+1)
				if it.Product != nil && len(it.Product.Place) > 0 {
					if _, dup := o.Items[it.Product.Place[0].ID]; !dup {
						key = it.Product.Place[0].ID
					}
				}
				o.Items[key] = it.State
				if o.Reason == "" {
					o.Reason = it.StateReason
				}
			}
			if ev.Outcomes == nil {
				ev.Outcomes = map[string]chaos.Outcome{}
			}
			ev.Outcomes[po.ExternalID] = o
		}
		ev.Orders = append(ev.Orders, chaos.Order{ID: po.ID, ExternalID: po.ExternalID, State: po.State,
			Final: lc.IsFinal(lc.ProductOrder, po.State), Held: held[po.ID]})
	}
	if inv == nil {
		return ev, nil
	}
	err := gatherResources(ctx, inv, &ev)
	return ev, err
}

// gatherResources reads the resources inv's inventory lists into ev.
func gatherResources(ctx context.Context, inv *client, ev *chaos.Evidence) error {
	var resources []tmf.Resource
	if err := getAll(ctx, inv, tmf630.ResourceInventory+"/resource", &resources); err != nil {
		return fmt.Errorf("listing the resources: %w", err)
	}
	for _, res := range resources {
		ev.Resources = append(ev.Resources, chaos.Resource{ID: res.ID, Type: res.ResourceType, Value: res.Value, State: res.State,
			Pool:   res.Characteristics.Get("pool"),
			Shared: res.ResourceType == "QoSPolicy"}) // a policy is a template, bound by many
	}
	return nil
}

// getAll reads every page of a list into out (a pointer to a slice).
func getAll[T any](ctx context.Context, c *client, path string, out *[]T) error {
	const page = 1000
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for offset := 0; ; offset += page {
		var got []T
		if err := getSettled(ctx, c, fmt.Sprintf("%s%soffset=%d&limit=%d", path, sep, offset, page), &got); err != nil {
			return err
		}
		*out = append(*out, got...)
		if len(got) < page {
			return nil
		}
	}
}

// settleFor is how long getSettled asks again while a server answers 503.
const settleFor = 30 * time.Second

// getSettled is c.get, asked again every 100 ms for up to settleFor while
// the server answers 503: a deployment's shard still moving to another
// instance once the run ends ("try again in a second"), which the verdict
// waits out as a client would.
func getSettled(ctx context.Context, c *client, path string, out any) error {
	deadline := time.Now().Add(settleFor)
	for {
		err := c.get(ctx, path, out)
		var se *statusError
		if !errors.As(err, &se) || se.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// owedEvents is the event ids the hub owes a listener registered in db's
// journal: the records of product orders, their items and COM's
// jeopardies from its registration on, in journal order.
func owedEvents(db string) ([]string, error) {
	st, err := openStore(db, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	all, err := st.Feed().After(context.Background(), 0, st.Len())
	if err != nil {
		return nil, err
	}
	owed := []string{}
	registered := false
	for _, e := range all {
		switch {
		case e.Kind == "hub" && e.Event == "create":
			registered = true
		case registered && (e.Kind == "productOrder" || e.Kind == "productOrderItem" || e.Kind == "jeopardy" && e.System == "COM"):
			owed = append(owed, strconv.FormatInt(e.Seq, 10))
		}
	}
	return owed, nil
}

// readReference reads the report of an uninterrupted run to compare a run
// with (--reference FILE), refusing one whose orders would not end as
// this run's do: another seed, load profile or mix, scenario (served or
// quoted for) or scale, or one with faults.
func readReference(file string, seed uint64, profile string, setup chaos.Setup) (map[string]chaos.Outcome, error) {
	ref, err := readChaosReport(file)
	switch {
	case err != nil:
		return nil, fmt.Errorf("chaos: --reference: %w", err)
	case ref.Outcomes == nil:
		return nil, fmt.Errorf("chaos: --reference %s has no outcomes: write it with chaos --faults 0 --json", file)
	case ref.Seed != seed:
		return nil, fmt.Errorf("chaos: --reference %s is of seed %d, this run's is %d: the orders would not be the same", file, ref.Seed, seed)
	case ref.Load.Profile != "" && ref.Load.Profile != profile:
		return nil, fmt.Errorf("chaos: --reference %s is of a run at %s, this run's is at %s: the orders would not be the same", file, ref.Load.Profile, profile)
	case len(ref.Load.Mix) > 0 && (len(ref.Load.Mix) != 1 || ref.Load.Mix[opOrder] == 0):
		return nil, fmt.Errorf("chaos: --reference %s is of a load of another mix than chaos sends (%s only): the orders would not be the same", file, opOrder)
	case len(ref.Faults) == 1:
		return nil, fmt.Errorf("chaos: --reference %s is of a run with 1 fault: the reference is an uninterrupted run (chaos --faults 0 --json)", file)
	case len(ref.Faults) > 1:
		return nil, fmt.Errorf("chaos: --reference %s is of a run with %d faults: the reference is an uninterrupted run (chaos --faults 0 --json)", file, len(ref.Faults))
	case ref.Setup == (chaos.Setup{}):
		return nil, fmt.Errorf("chaos: --reference %s does not say which scenario it served, nor at what scale (an older report): write it again with chaos --faults 0 --json", file)
	case setup.Differs(ref.Setup) != "":
		return nil, fmt.Errorf("chaos: --reference %s %s: the orders would not end alike", file, setup.Differs(ref.Setup))
	}
	return ref.Outcomes, nil
}

// checkChaosBaseline refuses a baseline whose figures this run's would
// not compare with: one cut short, failed or measuring nothing, or of
// another seed, load, setup, deployment or fault plan.
func checkChaosBaseline(file string, base *chaos.Report, seed uint64, profile string, setup chaos.Setup, deployment string, plan []chaos.Fault) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("chaos: --baseline %s "+format+"; take a baseline of a whole run that passed, alike", append([]any{file}, args...)...)
	}
	if err := base.Load.CheckBaseline(); err != nil {
		return refuse("is of a run whose load %v", err)
	}
	var unlike []string
	if base.Seed != seed {
		unlike = append(unlike, fmt.Sprintf("seed %d, the baseline's %d", seed, base.Seed))
	}
	if base.Load.Profile != "" && base.Load.Profile != profile {
		unlike = append(unlike, fmt.Sprintf("the load %s, the baseline's %s", profile, base.Load.Profile))
	}
	if base.Deployment != "" && base.Deployment != deployment {
		unlike = append(unlike, fmt.Sprintf("%s, the baseline's %s", deployment, base.Deployment))
	}
	if why := setup.Differs(base.Setup); base.Setup != (chaos.Setup{}) && why != "" {
		unlike = append(unlike, "the baseline "+why)
	}
	faults := func(names []string) string { return cmp.Or(strings.Join(names, ", "), "none") }
	var want, had []string
	for _, f := range plan {
		want = append(want, string(f.Kind))
	}
	for _, h := range base.Faults {
		had = append(had, string(h.Kind))
	}
	if !slices.Equal(want, had) {
		unlike = append(unlike, fmt.Sprintf("faults %s, the baseline's %s", faults(want), faults(had)))
	}
	if len(unlike) > 0 {
		return refuse("is of another run, its figures do not compare: this run would have %s", strings.Join(unlike, "; "))
	}
	if !base.Verdict.Pass {
		return refuse("is of a run whose verdict was FAIL")
	}
	return nil
}

// describeScenario names a scenario for a report's setup: its name and a
// digest of all it holds once loaded (its customers and their sites, its
// catalog and network), so that two files alike but for a comment are
// one scenario, and two of one name that differ are not.
func describeScenario(sc *scenarios.Scenario) (string, error) {
	b, err := json.Marshal(sc.Spec)
	if err != nil {
		return "", fmt.Errorf("digesting scenario %s: %w", sc.Name, err)
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%q (digest %x)", sc.Name, sum[:8]), nil
}

// readChaosReport reads a report `chaos --json` wrote.
func readChaosReport(path string) (*chaos.Report, error) {
	return readJSONReport(path, "a chaos report", func(r *chaos.Report) bool { return r.Load != nil }, "it has no load")
}

// chaosListener is the run's hub listener: it keeps every event it is
// sent, repeats included, and can be made to fail.
type chaosListener struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	ids   []string
	state map[string]string // the last state heard of each order
	// ended is when each order was first heard in a final state.
	ended map[string]time.Time
	mode  chaos.Kind
}

func newChaosListener() *chaosListener {
	h := &chaosListener{state: map[string]string{}, ended: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err) // loopback always has a port
	}
	h.url = "http://" + ln.Addr().String() + "/listener"
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h
}

func (h *chaosListener) serve(w http.ResponseWriter, req *http.Request) {
	h.mu.Lock()
	mode := h.mode
	h.mu.Unlock()
	switch mode {
	case chaos.ListenerDown:
		http.Error(w, "the listener is down", http.StatusServiceUnavailable)
		return
	case chaos.ListenerSlow:
		select {
		case <-req.Context().Done():
			return
		case <-time.After(time.Second):
		}
	}
	var ev events.Event
	if err := json.NewDecoder(req.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.ids = append(h.ids, ev.EventID)
	if po := ev.Event["productOrder"]; po != nil {
		if id, ok := po["id"].(string); ok {
			if s, ok := po["state"].(string); ok {
				h.state[id] = s
				if _, seen := h.ended[id]; !seen && lc.IsFinal(lc.ProductOrder, s) {
					h.ended[id] = time.Now()
				}
			}
		}
	}
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *chaosListener) fail(k chaos.Kind) {
	h.mu.Lock()
	h.mode = k
	h.mu.Unlock()
}

func (h *chaosListener) heardState(order, state string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state[order] == state
}

// endedAt is when each order was first heard to end, by its id.
func (h *chaosListener) endedAt() map[string]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.ended)
}

func (h *chaosListener) heard() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ids)
}

func (h *chaosListener) close() { _ = h.srv.Close() }
