package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
	"github.com/ordertwin/ordertwin/ui"
)

// defaultLive is the built-in scenario serve runs when given none.
const defaultLive = "live/default.yaml"

// serveCmd runs the system live: the TMF APIs, the engine on the wall
// clock and the twin, journalled into the durable store, until interrupted
// (ctx ends); then it stops taking requests, lets the engine finish its
// step, and closes the store. Given a store that already holds a run, it
// replays that run's commands and carries on where it stopped. When a
// component panics on an input, the input is refused and the server
// serves again on its store, the state rebuilt without it (engine,
// failed.go).
// startSkew is how far in the future a --start may be: the clocks of a
// deployment's machines, a second or two apart.
const startSkew = time.Minute

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for {
		err := serveOnce(ctx, args, stdout, stderr)
		if !errors.Is(err, engine.ErrPanicked) || ctx.Err() != nil {
			return err
		}
		// The input is refused and answered; the state it may have left
		// half changed is rebuilt from the store, without it (a panic is
		// a defect of the product's: its record and this line say where).
		slog.New(slog.NewJSONHandler(stderr, nil)).Error("serving again on the same store: a component failed on an input, and its state is rebuilt without it",
			"err", err.Error())
	}
}

// serveOnce is serve until it stops: a clean stop, a failure, or the
// engine stopped after a component panicked (engine.ErrPanicked).
func serveOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "where to listen, HOST:PORT")
	db := fs.String("db", "ordertwin.db", "the durable store, a SQLite file or a PostgreSQL database (postgres://USER@HOST:PORT/DB): a new one, or one this command served before (it resumes)")
	scale := fs.Float64("scale", 86400, "virtual seconds per real second (86400: a day a second)")
	startAt := fs.String("start", "", "the wall-clock time of T+0 (RFC 3339); default: when a new store is first served. Processes of one deployment (--role) share it")
	approvals := fs.String("approvals", "twin", "who decides each quote's approval stages: twin (simulated reviewers) or api (people, with PATCH quote)")
	role := fs.String("role", "", "run only com, som or rom, the others in the processes named by --peer")
	approvers := map[string][]string{}
	fs.Func("approver", "STAGE=PUBKEY: with --approvals api, a key whose signed decisions the stage takes (repeat; default any key)", func(v string) error {
		stage, key, ok := strings.Cut(v, "=")
		if !ok || !slices.Contains(com.Stages, stage) || len(key) != 64 {
			return fmt.Errorf("want STAGE=PUBKEY with STAGE one of %s and a 64-hex-digit public key, not %q", strings.Join(com.Stages, ", "), v)
		}
		approvers[stage] = append(approvers[stage], key)
		return nil
	})
	peerURL := map[string]string{}
	fs.Func("peer", "ROLE=URL: the process that runs com, som or rom (repeat for each)", func(v string) error {
		name, url, ok := strings.Cut(v, "=")
		if _, known := system.Roles[name]; !ok || !known || url == "" {
			return fmt.Errorf("want ROLE=URL with ROLE com, som or rom, not %q", v)
		}
		peerURL[name] = strings.TrimSuffix(url, "/")
		return nil
	})
	authFile := fs.String("auth", "", "the auth file (docs/auth.md): issuers, API keys, development issuer; default: the development issuer only, on loopback only")
	insecure := fs.Bool("insecure", false, "serve on an address other than loopback without an auth file (the development issuer's tokens only)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the private key of --tls-cert (PEM)")
	peerSecret := fs.String("peer-secret", "", "with --role: the file of the secret the deployment's processes sign their messages with")
	var hubAllow []string
	fs.Func("hub-allow", "where hub callbacks may go: public, self, a network (CIDR), an address or a host name (repeat for each; default public: no loopback, private, link-local or metadata address)", func(v string) error {
		hubAllow = append(hubAllow, v)
		_, err := events.NewCallbacks([]string{v})
		return err
	})
	hubQuota := fs.Int("hub-quota", hub.DefaultQuota, "how many hub listeners one tenant may register")
	orderQuota := fs.Int("order-quota", tmf622.DefaultOrderQuota, "how many product orders one party may have in flight")
	suspendAfter := fs.Int("hub-suspend-after", 20, "a hub listener whose callback failed this many attempts in a row, over at least --hub-suspend-window, is suspended")
	suspendWindow := fs.Duration("hub-suspend-window", 15*time.Minute, "see --hub-suspend-after")
	snapEvery := fs.Uint64("snapshot-every", engine.DefaultSnapshotEvery, "take a snapshot of the running system after this many inputs (a restart replays only what follows the latest); never sooner than nine times the last one's cost after it")
	snapInterval := fs.Duration("snapshot-interval", engine.DefaultSnapshotInterval, "take a snapshot after this much wall time at the latest (and always on a clean stop)")
	snapBy := fs.String("snapshot-by", "auto", "who encodes the snapshots while serving: helper (a process of its own rebuilds the state from a SQLite store, the engine never standing still for one), engine (the engine, standing still meanwhile), or auto: the helper while commands come in and the state is not small (1 MB), else the engine, and on PostgreSQL the engine; the last, on a clean stop, always the engine")
	adaptersFile := fs.String("adapters", "", "the adapters file (docs/adapters.md): per system, the twin (the default) or a real adapter with its endpoints and credentials")
	retention := fs.String("retention", tmf.FormatOffset(defaultRetention), "how long (virtual time, ISO 8601) a finished product, service or resource order stays in memory before the APIs read it from the store, such as P7D; PT0S keeps every one")
	shards := fs.Int("shards", 0, "with --db postgres://…: serve as one instance of a deployment of several, its orders spread over this many shards by customer (fixed when the deployment is first served); the instance runs its share of them and takes over those of an instance that ends")
	advertise := fs.String("advertise", "", "with --shards: the URL the deployment's other instances reach this one at (default: http://ADDR, the address it listens on)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the whole serve to FILE, from start to a clean stop")
	pretouch := fs.String("pretouch", "0", "make this much of the heap (such as 1GiB) resident in the background once serving, so that under load it grows into memory already backed: steadier latencies; the server then keeps that memory when idle (Linux). 0: none")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	touch, err := parseBytes(*pretouch)
	if err != nil {
		return fmt.Errorf("serve: --pretouch %w", err)
	}
	helping, helpAt := snapshotHelping()
	// A restart decodes its whole state at once, and a rollout grows the
	// heap fast: huge pages, as a batch run (heap_linux.go); refused, it is
	// only slower. With --pretouch, the heap is made resident once the
	// server is up, not to hold up its start.
	pretouched := func() {}
	if touch > 0 && !helping {
		pretouched = pretouchHeap(touch)
	} else {
		_ = hugeHeap()
	}
	if *cpuProfile != "" && !helping {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return fmt.Errorf("serve: --cpuprofile: %w", err)
		}
		defer stop()
	}
	var sc *scenarios.Scenario
	switch len(pos) {
	case 0:
		sc, err = scenarios.LoadLibrary(defaultLive)
	case 1:
		sc, err = loadServed(pos[0])
	default:
		err = errors.New("serve: want at most one scenario FILE")
	}
	if err != nil {
		return err
	}
	if err := checkScale("serve", *scale); err != nil {
		return err
	}
	// 0 and below were taken for the default, silently: hubs turned off
	// by --hub-quota 0 took a hundred.
	for _, q := range []struct {
		name string
		n    int
	}{{"hub-quota", *hubQuota}, {"order-quota", *orderQuota}} {
		if q.n < 1 {
			return fmt.Errorf("serve: --%s %d: want 1 or more", q.name, q.n)
		}
	}
	if !postgres.IsURL(*db) {
		if err := sqlite.CheckName(*db); err != nil {
			return fmt.Errorf("serve: --db: %w", err)
		}
	}
	if *snapEvery == 0 || *snapInterval <= 0 {
		return errors.New("serve: --snapshot-every and --snapshot-interval must be positive")
	}
	switch {
	case *snapBy != "auto" && *snapBy != "helper" && *snapBy != "engine":
		return fmt.Errorf("serve: --snapshot-by %q: want auto, helper or engine", *snapBy)
	case *snapBy == "helper" && postgres.IsURL(*db):
		return errors.New("serve: --snapshot-by helper: a helper reads a SQLite store; on PostgreSQL give auto or engine")
	}
	keep, err := tmf.ParseOffset(*retention)
	if err != nil || keep < 0 {
		return fmt.Errorf("serve: --retention %q: want a duration such as P7D or PT12H", *retention)
	}
	logs := newLogWriter(stderr)
	defer logs.Close()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	access := slog.New(slog.NewJSONHandler(logs.Access(), nil))
	if *approvals != "twin" && *approvals != "api" {
		return fmt.Errorf("serve: --approvals %q: want twin or api", *approvals)
	}
	if err := checkShardFlags(flagSet(fs, "shards"), *shards, *advertise, *db, *role); err != nil {
		return err
	}
	// The adapters file first: a wrong one stops serve before anything is
	// written (the development issuer's key among them). A snapshot
	// helper's are built as for a dry run: its replay calls none, and
	// the server holds their listeners (a ZTP adapter's port).
	adapters, file, err := loadAdaptersFor("serve", *adaptersFile, helping, log)
	if err != nil {
		return err
	}
	defer closeAdapters(adapters)
	guard, keepKey, err := serveGuard(serveAuthOptions{file: *authFile, insecure: *insecure, addr: *addr, db: *db, peerSecret: *peerSecret}, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	tlsConfig, err := serveTLS(*tlsCert, *tlsKey)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if loopback, _ := isLoopback(*addr); tlsConfig == nil && !loopback {
		log.Warn("serving plain HTTP beyond loopback: tokens and API keys travel in clear (give --tls-cert and --tls-key)", "addr", *addr)
	}
	// Snapshots kept count as work for the idle release: one taken once
	// the engine is idle (the interval's, of the last inputs) leaves
	// garbage as a spell of inputs does.
	var snapshotsKept atomic.Uint64
	logSnapshot := snapshotLog(log)
	opt := scenarios.Options{Role: *role, ManualReview: *approvals == "api", Approvers: approvers, Retention: keep,
		Snapshots: engine.SnapshotPolicy{Every: *snapEvery, Interval: *snapInterval,
			Told: func(s store.Snapshot, took engine.SnapshotTook, err error) {
				snapshotsKept.Add(1)
				logSnapshot(s, took, err)
			}}}
	opt.Adapters = adapters
	if file != nil && file.Outside() {
		// The engine waits for an outside answer as long, on its clock, as
		// the adapter may take in real time (at the scale it starts with).
		opt.Deadlines = file.Deadlines(*scale, outsideTimeout)
	}
	links, err := peerLinks(*role, peerURL, sc.Spec.Epoch, guard.PeerSecret(), log)
	if err != nil {
		return err
	}
	if len(links) > 0 {
		opt.Peers = map[engine.Address]engine.Peer{}
		for _, l := range links {
			opt.Peers[l.To] = l
		}
	}
	var start time.Time
	if *startAt != "" {
		if start, err = time.Parse(time.RFC3339Nano, *startAt); err != nil {
			return fmt.Errorf("serve: --start %q: want an RFC 3339 time", *startAt)
		}
		if ahead := time.Until(start); ahead > startSkew {
			// Virtual time would stand before T+0 until then: the server
			// answered ready, took orders, and ran none.
			return fmt.Errorf("serve: --start %s is %s from now: until then virtual time stands before T+0 and no order runs; give a time not after now (a deployment's processes share the time the first of them started)",
				*startAt, ahead.Truncate(time.Second))
		}
		if ended(engine.NewPausable(engine.ClockState{Wall: start, Scale: *scale})) {
			return fmt.Errorf("serve: --start %s at --scale %g puts virtual time past its end (%s) already: give a later --start, or a smaller --scale",
				*startAt, *scale, clockEnd)
		}
	}
	co := serveClockOptions{scale: *scale, scaleSet: flagSet(fs, "scale"), start: start, role: *role, approvals: *approvals,
		retention: keep, retentionSet: flagSet(fs, "retention")}
	if *shards != 0 {
		co.shard = true
		go pretouched()
		return serveSharded(ctx, shardServe{sc: sc, db: *db, shards: *shards, self: strings.TrimSuffix(*advertise, "/"), co: co, opt: opt, log: log, access: access},
			shardedHTTP{addr: *addr, tls: tlsConfig, guard: guard, keepKey: keepKey, hubAllow: hubAllow, hubQuota: *hubQuota, orderQuota: *orderQuota,
				suspendAfter: *suspendAfter, suspendWindow: *suspendWindow}, stdout)
	}
	if helping {
		return helpSnapshot(ctx, helpAt, sc, *db, co, opt, stdout, log)
	}
	if *snapBy != "engine" && !postgres.IsURL(*db) {
		opt.Snapshots.Take, opt.Snapshots.TakeAlways = snapshotHelper(args), *snapBy == "helper"
	}
	// The address first: one taken stops serve before its store is made.
	// It is bound again once the store is replayed: a client meanwhile is
	// refused at once, not left waiting on a port nobody answers.
	probe, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	probe.Close()
	// The server holds its store: a compaction waits until it stops.
	release, held, err := holdStore(*db)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer release()
	co.held = held
	sys, st, clock, err := resume(ctx, sc, *db, co, opt, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := keepKey(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if left, ok := clockLeft(clock); ok && left < 30*24*time.Hour {
		log.Warn("virtual time reaches its end ("+clockEnd+" after T+0) soon: then nothing more comes due, and the server is not ready; serve a long-lived store at a smaller --scale",
			"in", left.Round(time.Minute).String(), "scale", clock.State().Scale)
	}
	if card, end, left, ok := cardsLeft(sc, clock.State()); ok && left < 30*24*time.Hour {
		log.Warn("a rate card of the catalog ends soon in virtual time: quotes on it are rejected from then; serve a long-lived store at a smaller --scale",
			"rateCard", card, "validTo", end, "in", left.Round(time.Minute).String(), "scale", clock.State().Scale)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	callbacks, err := events.NewCallbacks(hubAllow)
	if err != nil {
		return fmt.Errorf("serve: --hub-allow: %w", err)
	}
	callbacks.Self = events.SelfOf(ln.Addr())
	hubs := hub.Policy{Callbacks: callbacks, Quota: *hubQuota}
	api := sys.API()
	api.Links = links
	if *role != "" {
		api.PeerSettings = peerSettings(sc, clock.State())
		for _, l := range links {
			l.Settings = api.PeerSettings
		}
	}
	api.Guard, api.AccessLog = guard, access
	api.Hub = hubs
	api.OrderQuota = *orderQuota
	if held != nil {
		api.StoreReachable = func() error {
			if !held.Held() {
				return errors.New("the store's database cannot be reached: this server's hold on it lapsed (it is taken again as soon as the database answers)")
			}
			return nil
		}
	}
	// The console: the page at / and the stream of committed records.
	parties, _ := api.Listeners().(ui.Parties)
	console := &ui.Console{Name: sc.Name, Network: sc.Spec.Network.Name, Feed: st.Feed(), Epoch: api.Epoch, Log: log, Parties: parties}
	if *role == "" || *role == "rom" { // the process that allocates the network's resources
		console.ResourceUse = func(ctx context.Context) (any, error) {
			var use twin.Use
			err := api.Node().Read(ctx, func() { use = sys.Twin.Use() })
			return use, err
		}
	}
	api.More = append(api.More, console.Routes)
	// The console's controls and what-ifs (ui): the same routes a program
	// calls.
	control, whatIfs := consoleControls(sys, st, clock, *role, log)
	api.More = append(api.More, control.Routes, whatIfs.Routes)
	srv := httpServer(api.Handler(), tlsConfig, log)
	control.Node, control.Self = api.Node(), srv.Handler
	srv.RegisterOnShutdown(console.Close)
	srv.RegisterOnShutdown(whatIfs.Close)
	// The hub listeners' events, from the store's feed of committed
	// records.
	notifier, err := events.Open(st, events.Options{Feed: st.Feed(), Directory: api.Listeners(), Epoch: api.Epoch, Callbacks: callbacks,
		SuspendAfter: *suspendAfter, SuspendWindow: *suspendWindow, Log: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	sys.Engine.LogTo(log)
	engineCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	for _, l := range links {
		go l.Run(engineCtx)
	}
	engineDone := make(chan error, 1)
	go func() { engineDone <- sys.Engine.Serve(engineCtx) }()
	notifier.Start(engineCtx)
	idle := time.NewTicker(idleRelease)
	defer idle.Stop()
	go releaseWhenIdle(engineCtx, idle.C, func(ctx context.Context) (n uint64, err error) {
		err = sys.Engine.Query(ctx, func() { n = sys.Engine.Processed() })
		return n + snapshotsKept.Load(), err
	}, func() {
		_ = sys.Engine.Query(engineCtx, sys.Engine.Trim) // a store that cannot write: nothing trimmed
		if touch == 0 {
			debug.FreeOSMemory() // with --pretouch, the memory stays the server's
		}
	})
	httpDone := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { httpDone <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { httpDone <- srv.Serve(ln) }()
	}
	now := clock.State()
	fmt.Fprintf(stdout, "serving %s on %s://%s (store %s, %g virtual seconds per second%s)\n", sc.Name, scheme, ln.Addr(), storeName(*db), now.Scale, pausedNote(now))
	go pretouched()
	log.Info("serving", "scenario", sc.Name, "addr", ln.Addr().String(), "db", storeName(*db), "scale", now.Scale, "paused", now.Paused)

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", ctx.Err().Error())
	case err := <-engineDone:
		failure = fmt.Errorf("serve: engine: %w", err)
		engineDone <- err
	case err := <-httpDone:
		failure = fmt.Errorf("serve: http: %w", err)
		httpDone <- err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Error("http shutdown", "err", err.Error())
	}
	stopEngine() // the step in progress commits first: a step is atomic
	if err := <-engineDone; err != nil && !errors.Is(err, context.Canceled) && failure == nil {
		failure = fmt.Errorf("serve: engine: %w", err)
	}
	if err := notifier.Stop(); err != nil {
		log.Error("hub notifier stop", "err", err.Error())
	}
	log.Info("stopped", "records", st.Len())
	return failure
}

// snapshotLog logs each snapshot the engine takes, or its failure.
func snapshotLog(log *slog.Logger) func(store.Snapshot, engine.SnapshotTook, error) {
	return func(s store.Snapshot, took engine.SnapshotTook, err error) {
		if err != nil {
			log.Warn("snapshot failed; restarts replay more until one succeeds", "err", err.Error())
			return
		}
		if took.CPU > 0 {
			log.Info("snapshot", "inputs", s.Inputs, "records", s.Records, "bytes", s.Size(),
				"stood", took.Stood.String(), "took", took.Took.String(), "helperCPU", took.CPU.String())
			return
		}
		log.Info("snapshot", "inputs", s.Inputs, "records", s.Records, "bytes", s.Size(),
			"stood", took.Stood.String(), "took", took.Took.String())
	}
}

// httpServer is serve's HTTP server of handler: a client has 30 s to
// send a request (at most 1 MiB) and to take its answer; an idle
// keep-alive connection is closed after 2 minutes.
func httpServer(handler http.Handler, tlsConfig *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: tlsConfig,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// profileCPU starts a CPU profile into file; stop ends it and closes the file.
func profileCPU(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// peerSettings is what the processes of a deployment (--role) serve
// alike: the scenario, and the clock's scale and T+0 (to the
// millisecond), which is fixed for each (consoleControls).
func peerSettings(sc *scenarios.Scenario, s engine.ClockState) string {
	t0 := s.Wall.Add(-time.Duration(float64(s.Virtual) / s.Scale)).Round(time.Millisecond)
	return fmt.Sprintf("scenario %q at scale %g from T+0 %s", sc.Name, s.Scale, t0.UTC().Format(time.RFC3339Nano))
}

// peerLinks are the links of a process of role to the components it talks
// to, in the processes peerURL names (role "": none, all run here), each
// message signed with the deployment's secret.
func peerLinks(role string, peerURL map[string]string, epoch time.Time, secret []byte, log *slog.Logger) ([]*api.Link, error) {
	if role == "" {
		return nil, nil
	}
	r, ok := system.Roles[role]
	if !ok {
		return nil, fmt.Errorf("serve: --role %q: want com, som or rom", role)
	}
	var links []*api.Link
	for _, to := range r.Needs {
		name := strings.ToLower(to.String())
		base, ok := peerURL[name]
		if !ok {
			return nil, fmt.Errorf("serve: --role %s talks to %s: give --peer %s=URL", role, name, name)
		}
		links = append(links, &api.Link{Stream: role + "→" + name, To: to, Base: base, Epoch: epoch,
			Client: &http.Client{Timeout: 10 * time.Second}, Log: log, Secret: secret})
	}
	if secret == nil {
		return nil, fmt.Errorf("serve: --role %s: give --peer-secret FILE, the secret the deployment's processes sign their messages with", role)
	}
	return links, nil
}

// resume opens the store of a server and builds its system: a new store
// starts a new run; a store served before is replayed (its logged
// commands handed over again, its journal checked record by record) up to
// where it stopped, ready to serve on.
func resume(ctx context.Context, sc *scenarios.Scenario, db string, co serveClockOptions, opt scenarios.Options, log *slog.Logger) (*scenarios.System, store.Durable, *engine.Pausable, error) {
	st, err := openStore(db, co.held)
	if err != nil {
		return nil, nil, nil, err
	}
	sys, clock, err := resumeOn(ctx, sc, st, storeName(db), co, opt, log)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return sys, st, clock, nil
}

// resumeOn is resume on an open store, named name in messages.
func resumeOn(ctx context.Context, sc *scenarios.Scenario, st store.Durable, name string, co serveClockOptions, opt scenarios.Options, log *slog.Logger) (*scenarios.System, *engine.Pausable, error) {
	opt, clock, err := storeOptions(sc, st, name, co, opt, log)
	if err != nil {
		return nil, nil, err
	}
	opt.Snapshots.Store = st
	sys, err := replay(ctx, sc, st, opt, log)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: resume %s: %w", name, withRecovery(name, err))
	}
	return sys, clock, nil
}

// storeOptions completes opt with what the store keeps of the system it
// serves (its clock, the stages' keys, the retention), set when the store
// is new.
func storeOptions(sc *scenarios.Scenario, st store.Durable, name string, co serveClockOptions, opt scenarios.Options, log *slog.Logger) (scenarios.Options, *engine.Pausable, error) {
	_, served, err := st.Meta("scenario")
	if err != nil {
		return opt, nil, err
	}
	clock, err := serveClock(st, sc, co)
	if err != nil {
		return opt, nil, fmt.Errorf("serve: --db %s: %w", name, err)
	}
	if opt.StageKeys, err = stageKeys(st, !served); err != nil {
		return opt, nil, fmt.Errorf("serve: --db %s: %w", name, err)
	}
	// A store first served before decisions were signed has no keys:
	// it goes on unsigned, so that its replay decides as it ran.
	opt.Unsigned = opt.StageKeys == nil
	for _, stage := range com.Stages {
		if pk, err := approval.PublicKey(opt.StageKeys[stage]); err == nil {
			log.Info("approval key", "stage", stage, "publicKey", pk)
		}
	}
	if opt.Retention, err = storeRetention(st, co, !served); err != nil {
		return opt, nil, fmt.Errorf("serve: --db %s: %w", name, err)
	}
	if opt.Owner == "" { // a deployment of shards has one of its own
		if opt.Owner, err = storeOwner(st, !served); err != nil {
			return opt, nil, fmt.Errorf("serve: --db %s: %w", name, err)
		}
	}
	opt.Clock = clock
	return opt, clock, nil
}

// replay builds the scenario's system on a store and brings it to where
// the store stands (system.Replay).
func replay(ctx context.Context, sc *scenarios.Scenario, st store.Durable, opt scenarios.Options, log *slog.Logger) (*scenarios.System, error) {
	return system.Replay(ctx, st, opt.Peers, buildOn(sc, opt), log)
}

// replayFrom builds the scenario's system on a store from snap (nil:
// none) (system.ReplayFrom).
func replayFrom(ctx context.Context, sc *scenarios.Scenario, st store.Durable, opt scenarios.Options, snap *store.Snapshot, log *slog.Logger) (*scenarios.System, error) {
	return system.ReplayFrom(ctx, st, buildOn(sc, opt), snap, log)
}

// buildOn builds the scenario's system on a journal and input log.
func buildOn(sc *scenarios.Scenario, opt scenarios.Options) func(store.Journal, store.InputLog) (*scenarios.System, error) {
	return func(journal store.Journal, log store.InputLog) (*scenarios.System, error) {
		opt.Journal, opt.Log = journal, log
		return scenarios.New(sc.Spec, opt)
	}
}

// serveClockOptions are what serve's flags say of the clock and role.
type serveClockOptions struct {
	scale    float64
	scaleSet bool
	// retention is --retention, and retentionSet whether it was given.
	retention    time.Duration
	retentionSet bool
	start        time.Time // zero: now, for a new store
	role         string
	approvals    string
	// held is the server's hold on a PostgreSQL store (holdStore), by
	// which its store fences off its writes should the hold lapse while
	// another server takes the store; nil for none.
	held *postgres.Holding
	// shard is set for a shard's store, which a sharded deployment
	// serves (serveSharded: checkShard marks it); a server of one store
	// refuses one so marked.
	shard bool
}

// serveClock is the wall clock of a store: a new store starts it (now, or
// at --start) at scale and keeps both, with the scenario and role it
// serves; a store served before gives back its own, so that virtual time
// runs on from where it was. It refuses a store that served another
// scenario or role, or a --scale or --start given that differs from the
// store's.
func serveClock(st store.Durable, sc *scenarios.Scenario, o serveClockOptions) (*engine.Pausable, error) {
	if shard, ok, err := st.Meta("shard"); err != nil {
		return nil, err
	} else if ok && !o.shard {
		return nil, fmt.Errorf("it is the store of shard %s of a sharded deployment, which serves it: serve the deployment's schema with --shards (two servers never write one journal)", shard)
	}
	name, served, err := st.Meta("scenario")
	if err != nil {
		return nil, err
	}
	if !served {
		if st.Len() > 0 {
			return nil, fmt.Errorf("it holds %d records of a run, not of a server (a run --db store, or a compaction's archive): give a new file", st.Len())
		}
		w := engine.ClockState{Wall: time.Now(), Scale: o.scale}
		if !o.start.IsZero() {
			w.Wall = o.start
		}
		for k, v := range map[string]string{"scenario": sc.Name, "start": w.Wall.Format(time.RFC3339Nano),
			"scale": strconv.FormatFloat(o.scale, 'g', -1, 64), "role": o.role, "approvals": o.approvals} {
			if err := st.SetMeta(k, v); err != nil {
				return nil, err
			}
		}
		return engine.NewPausable(w), nil
	}
	if name != sc.Name {
		return nil, fmt.Errorf("it serves %q, not %q", name, sc.Name)
	}
	meta := map[string]string{}
	for _, k := range []string{"start", "scale", "role", "approvals"} {
		if meta[k], _, err = st.Meta(k); err != nil {
			return nil, err
		}
	}
	start, err := time.Parse(time.RFC3339Nano, meta["start"])
	if err != nil {
		return nil, fmt.Errorf("its start %q: %w", meta["start"], err)
	}
	was, err := strconv.ParseFloat(meta["scale"], 64)
	if err != nil {
		return nil, fmt.Errorf("its scale %q: %w", meta["scale"], err)
	}
	clock, err := storeClock(st, start, was)
	if err != nil {
		return nil, err
	}
	was = clock.Scale
	switch {
	case o.scaleSet && o.scale != was:
		return nil, fmt.Errorf("it runs at --scale %g, not %g", was, o.scale)
	case !o.start.IsZero() && !o.start.Equal(start):
		return nil, fmt.Errorf("its T+0 is at %s, not %s", meta["start"], o.start.Format(time.RFC3339Nano))
	case meta["role"] != o.role:
		return nil, fmt.Errorf("it served role %q, not %q", meta["role"], o.role)
	case meta["approvals"] != o.approvals && !(meta["approvals"] == "" && o.approvals == "twin"):
		return nil, fmt.Errorf("its approvals are decided by %s, not %s: a replay must decide as the run did", meta["approvals"], o.approvals)
	}
	p := engine.NewPausable(clock)
	if ended(p) {
		return nil, fmt.Errorf("its virtual time has reached its end (%s after T+0, at --scale %g): serve a new store", clockEnd, clock.Scale)
	}
	return p, nil
}

// clockEnd is how far virtual time goes: a clock at a high scale gets
// there in hours of wall time, and stays there.
const clockEnd = "292 years"

// clockLeft is the wall-clock time before c's virtual time reaches its
// end, ok false while it is paused.
func clockLeft(c *engine.Pausable) (time.Duration, bool) {
	st := c.State()
	if st.Paused || st.Scale <= 0 {
		return 0, false
	}
	return time.Duration(float64(math.MaxInt64-st.Virtual) / st.Scale), true
}

// cardsLeft is the approved rate card of sc's catalog whose validity
// ends first after the present virtual time st.Virtual (dates count from
// the scenario's start, as COM checks them), its last day, and the
// wall-clock time before virtual time passes it at st's scale; ok is
// false when none ends later, or the clock stands still.
func cardsLeft(sc *scenarios.Scenario, st engine.ClockState) (card, last string, left time.Duration, ok bool) {
	if st.Paused || st.Scale <= 0 || sc.Spec.Catalog == nil {
		return "", "", 0, false
	}
	epoch := sc.Spec.Epoch
	for _, oid := range slices.Sorted(maps.Keys(sc.Spec.Catalog.Offerings)) {
		for _, rc := range sc.Spec.Catalog.Offerings[oid].RateCards {
			day, err := time.ParseInLocation(time.DateOnly, rc.To, epoch.Location())
			if err != nil || !rc.Approved {
				continue
			}
			v := day.AddDate(0, 0, 1).Sub(epoch) // the end of its last day
			if v <= st.Virtual {
				continue
			}
			if w := time.Duration(float64(v-st.Virtual) / st.Scale); !ok || w < left {
				card, last, left, ok = rc.ID, rc.To, w, true
			}
		}
	}
	return card, last, left, ok
}

// ended says whether c's virtual time is at its end.
func ended(c *engine.Pausable) bool { return c.Present() == math.MaxInt64 }

// defaultRetention is how long (virtual time) a server keeps a finished
// product, service or resource order in memory, unless told otherwise: a
// week, then the APIs read it from the store (docs/architecture.md §7).
const defaultRetention = 7 * 24 * time.Hour

// storeRetention is how long the store's finished orders stay in
// memory: a new store (fresh) keeps --retention; a store served before
// goes on with its own, which a replay must repeat (none for a store
// served before orders left memory), and refuses a --retention given that
// differs.
func storeRetention(st store.Durable, o serveClockOptions, fresh bool) (time.Duration, error) {
	if fresh {
		return o.retention, st.SetMeta("retention", tmf.FormatOffset(o.retention))
	}
	v, ok, err := st.Meta("retention")
	if err != nil || !ok {
		return 0, err
	}
	was, err := tmf.ParseOffset(v)
	if err != nil {
		return 0, fmt.Errorf("its retention %q: %w", v, err)
	}
	if o.retentionSet && o.retention != was {
		return 0, fmt.Errorf("it keeps finished orders %s, not %s: a replay must run as the store did", v, tmf.FormatOffset(o.retention))
	}
	return was, nil
}

// flagSet reports whether the flag called name was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// loadServed loads the scenario serve is given: a file, or when there is
// no such file, the library scenario of that name (live/population.yaml).
func loadServed(name string) (*scenarios.Scenario, error) {
	if _, err := os.Stat(name); err != nil && errors.Is(err, fs.ErrNotExist) {
		if _, lerr := fs.Stat(scenarios.Library, name); lerr == nil {
			return scenarios.LoadLibrary(name)
		}
	}
	return scenarios.Load(name)
}

// checkShardFlags checks --shards and --advertise (given says whether
// --shards was) against --db and --role, before serve writes anything.
func checkShardFlags(given bool, shards int, advertise, db, role string) error {
	if !given && advertise == "" {
		return nil
	}
	switch {
	case !given:
		return errors.New("serve: --advertise is for --shards: the URL the other instances of a deployment reach this one at")
	case shards < 1:
		return fmt.Errorf("serve: --shards %d: want at least 1", shards)
	case !postgres.IsURL(db):
		return fmt.Errorf("serve: --shards: the instances of a deployment share a PostgreSQL database: give --db postgres://…, not %s", db)
	case role != "":
		return errors.New("serve: --shards and --role: a shard runs COM, SOM and ROM together")
	}
	if advertise != "" {
		if u, err := url.Parse(advertise); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("serve: --advertise %q: want the http:// or https:// URL other instances reach this one at", advertise)
		}
	}
	return nil
}
