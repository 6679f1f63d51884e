package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/ui"
)

// serve --shards N: one instance of a deployment of several on one
// PostgreSQL database (docs/architecture.md §7, "Scale-out"). The
// deployment's orders are spread over N shards by customer; the instance
// runs an engine for each shard whose lease it holds, each on the shard's
// store, and takes its share of the shards: the deployment's shards over
// the instances up, rounded up. It takes over the shards of an instance
// that ends, and hands shards over to one that starts. Any instance
// answers any request: it serves a request of a shard it runs, and
// forwards another to the shard's owner.

// shardHeader names the shard a request is for, which a client may set
// to read one shard's lists; shardsHeader says how many shards the
// deployment has, on its refusal of a stream that names none;
// forwardedHeader marks a request forwarded by another instance: the
// receiver serves it from the shard, or answers 503, and never forwards
// it again. instanceHeader is the random name each instance gives its
// /healthz answers, by which one finds whether --advertise reaches it.
const (
	shardHeader     = "Ordertwin-Shard"
	shardsHeader    = "Ordertwin-Shards"
	forwardedHeader = tmf630.ForwardedHeader
	instanceHeader  = "Ordertwin-Instance"
)

// shardPoll is how often an instance checks its lease connection, takes
// shards no instance holds and hands over what is beyond its share.
const shardPoll = time.Second

// shardServe is what a sharded instance is built from: serve's flags.
type shardServe struct {
	sc     *scenarios.Scenario
	db     string
	shards int
	// self is how the other instances reach this one (--advertise).
	self string
	co   serveClockOptions
	opt  scenarios.Options
	log  *slog.Logger
	// access takes the API's access lines (logWriter.Access).
	access *slog.Logger
	// configure sets up a shard's API as serve sets up its one, and
	// notifier its hub listeners' notifier.
	configure func(*api.Server)
	notifier  func(store.Durable, *api.Server, tmf.IDSpace) (*events.Notifier, error)
}

// deploymentOwner is the store identity of a deployment of shards on
// db: its database and schema's, the same for every instance and every
// restart (eight hex digits).
func deploymentOwner(db string) string { return hash6(databaseOf(db, false))[:8] }

// shardHost runs the shards an instance holds.
type shardHost struct {
	shardServe
	cluster *postgres.Cluster
	ledger  *postgres.Ledger
	client  *http.Client
	// instance names this instance's /healthz answers (instanceHeader).
	instance string
	// secret is the deployment's: the instances sign the requests they
	// forward with it (sign).
	secret []byte

	mu     sync.Mutex
	runs   map[int]*shardRun
	owners map[int]string // of the deployment's shards, refreshed at each poll
}

// shardRun is a shard the instance runs: its lease, store and engine.
type shardRun struct {
	shard   int
	lease   *postgres.Lease
	st      store.Durable
	handler http.Handler
	stop    context.CancelFunc
	done    chan error // the engine's end, once
	ended   bool       // done gave it
	// notifier sends the shard's events to the hub listeners registered
	// in it.
	notifier *events.Notifier
	// console serves the page and the shard's stream of committed
	// records.
	console *ui.Console
}

// openShardHost joins the deployment at db.
func openShardHost(ctx context.Context, s shardServe) (*shardHost, error) {
	cluster, err := postgres.OpenCluster(s.db, s.shards, s.self)
	if err != nil {
		return nil, fmt.Errorf("serve: --shards: %w", err)
	}
	// The shards' twins take what they hand out in one ledger.
	ledger, err := postgres.OpenLedger(s.db, s.log)
	if err != nil {
		cluster.Close()
		return nil, fmt.Errorf("serve: --shards: %w", err)
	}
	s.opt.Ledger = ledger
	// One identity for the deployment's allocations on the network
	// (port.Owner), whichever shard makes them: a shard's item ids are
	// the deployment's (tmf.IDSpace), and a shard taken over by another
	// instance finds what it allocated.
	s.opt.Owner = deploymentOwner(s.db)
	given, start := s.co.start, s.co.start
	if start.IsZero() {
		start = time.Now()
	}
	if s.co.start, err = cluster.Start(ctx, start); err != nil {
		cluster.Close()
		ledger.Close()
		return nil, fmt.Errorf("serve: --shards: %w", err)
	}
	if !given.IsZero() && !given.Equal(s.co.start) {
		cluster.Close()
		ledger.Close()
		return nil, fmt.Errorf("serve: --start %s: the deployment's T+0 is %s", given.Format(time.RFC3339Nano), s.co.start.Format(time.RFC3339Nano))
	}
	if err := settle(ctx, cluster, s); err != nil {
		cluster.Close()
		ledger.Close()
		return nil, fmt.Errorf("serve: --shards: %w", err)
	}
	secret, err := cluster.Secret(ctx)
	if err != nil {
		cluster.Close()
		ledger.Close()
		return nil, fmt.Errorf("serve: --shards: %w", err)
	}
	return &shardHost{shardServe: s, cluster: cluster, ledger: ledger, runs: map[int]*shardRun{}, owners: map[int]string{},
		client: &http.Client{Timeout: forwardTimeout}, instance: rand.Text(), secret: secret}, nil
}

// sign marks out as forwarded by this instance (forwardedHeader): its
// name and an HMAC, with the deployment's secret, of what the receiver
// acts on (the method, the URI, the shard, a listener's id). Set the
// shard and the listener first.
func (h *shardHost) sign(out *http.Request) {
	out.Header.Set(forwardedHeader, h.self+" "+h.forwardMAC(out))
}

// forwarded tells whether r was forwarded by an instance of the
// deployment: its forwardedHeader signed as sign does. A client's (any
// other value) is not.
func (h *shardHost) forwarded(r *http.Request) bool {
	v := r.Header.Get(forwardedHeader)
	i := strings.LastIndexByte(v, ' ')
	return i > 0 && hmac.Equal([]byte(v[i+1:]), []byte(h.forwardMAC(r)))
}

func (h *shardHost) forwardMAC(r *http.Request) string {
	m := hmac.New(sha256.New, h.secret)
	for _, part := range []string{r.Method, r.URL.RequestURI(), r.Header.Get(shardHeader), r.Header.Get(tmf630.ListenerHeader)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// deploymentSettings is what every instance of a deployment must serve
// alike, as the first gave it.
type deploymentSettings struct {
	Scenario  string  `json:"scenario"`
	Scale     float64 `json:"scale"`
	Retention string  `json:"retention"`
	Approvals string  `json:"approvals"`
}

// settle refuses an instance that serves another scenario than the
// deployment, or gives a --scale, --retention or --approvals other than
// its: each shard's store would refuse it only when it took the shard,
// and let the shard's lease go while the instance counted as a member
// (its shards stranded). The first instance's settings are the
// deployment's.
func settle(ctx context.Context, cluster *postgres.Cluster, s shardServe) error {
	mine := deploymentSettings{Scenario: s.sc.Name, Scale: s.co.scale, Retention: tmf.FormatOffset(s.co.retention), Approvals: s.co.approvals}
	b, err := json.Marshal(mine)
	if err != nil {
		return err
	}
	got, err := cluster.Settle(ctx, string(b))
	if err != nil {
		return err
	}
	var its deploymentSettings
	if err := json.Unmarshal([]byte(got), &its); err != nil {
		return fmt.Errorf("the deployment's settings %q: %w", got, err)
	}
	var differ []string
	if its.Scenario != mine.Scenario {
		differ = append(differ, fmt.Sprintf("it serves %q, not %q", its.Scenario, mine.Scenario))
	}
	if s.co.scaleSet && its.Scale != mine.Scale {
		differ = append(differ, fmt.Sprintf("its --scale is %g, not %g", its.Scale, mine.Scale))
	}
	if s.co.retentionSet && its.Retention != mine.Retention {
		differ = append(differ, fmt.Sprintf("its --retention is %s, not %s", its.Retention, mine.Retention))
	}
	if its.Approvals != mine.Approvals {
		differ = append(differ, fmt.Sprintf("its --approvals is %s, not %s", its.Approvals, mine.Approvals))
	}
	if len(differ) > 0 {
		return fmt.Errorf("the deployment was started otherwise: %s (every instance serves it alike)", strings.Join(differ, "; "))
	}
	return nil
}

// forwardTimeout bounds a request forwarded to the instance that runs its
// shard: a command's own timeout (10 s) and some. An instance that does
// not answer by then (stopped, not ended: its lease holds) is answered
// for with a 503 and Retry-After, not a client left hanging.
const forwardTimeout = 15 * time.Second

// Run takes the instance's share of the shards and keeps it until ctx
// ends. It returns an error when the lease connection fails: the
// instance then holds no shard.
func (h *shardHost) Run(ctx context.Context) error {
	tick := time.NewTicker(shardPoll)
	defer tick.Stop()
	for {
		if err := h.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// poll is one round: the lease connection checked, shards whose engine
// ended let go, the instance's share taken or what is beyond it handed
// over, and the owners of every shard read again.
func (h *shardHost) poll(ctx context.Context) error {
	if err := h.cluster.Alive(ctx); err != nil {
		return err
	}
	for _, r := range h.running() {
		select {
		case err := <-r.done:
			r.ended = true
			h.log.Error("shard engine ended: the shard is let go for another instance to take", "shard", r.shard, "err", fmt.Sprint(err))
			h.end(r)
		default:
		}
	}
	members, err := h.cluster.Members(ctx)
	if err != nil {
		return err
	}
	share := (h.shards + members - 1) / members
	if runs := h.running(); len(runs) > share {
		// Beyond its share: the last shard goes, one a round, for an
		// instance below its share to take.
		r := runs[len(runs)-1]
		h.log.Info("shard handed over", "shard", r.shard, "members", members, "share", share)
		h.end(r)
	} else {
		took, err := h.cluster.ClaimUpTo(ctx, share)
		for _, l := range took {
			if err := h.start(ctx, l); err != nil {
				h.log.Error("shard not started: its lease is let go", "shard", l.Shard, "err", err.Error())
				h.cluster.Drop(l)
			}
		}
		if err != nil {
			return err
		}
	}
	owners, err := h.cluster.Owners(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.owners = owners
	h.mu.Unlock()
	return nil
}

// running are the shards the instance runs, by shard number.
func (h *shardHost) running() []*shardRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.SortedFunc(maps.Values(h.runs), func(a, b *shardRun) int { return a.shard - b.shard })
}

// start opens the shard's store under its lease, rebuilds the shard from
// its latest snapshot and the inputs after it, and runs its engine.
func (h *shardHost) start(ctx context.Context, l *postgres.Lease) error {
	began := time.Now()
	st, err := l.Open()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s shard %d", storeName(h.db), l.Shard)
	if err := h.checkShard(st, l.Shard); err != nil {
		st.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	opt := h.opt
	shards, shard := h.shards, l.Shard
	opt.Shard = func(customer string) bool { return postgres.ShardOf(customer, shards) == shard }
	opt.IDs = tmf.IDSpace{Shards: shards, Shard: shard}
	log := h.log.With("shard", shard)
	opt.Snapshots.Told = snapshotLog(log)
	sys, _, err := resumeOn(ctx, h.sc, st, name, h.co, opt, log)
	if err != nil {
		st.Close()
		return err
	}
	a := sys.API()
	h.configure(a)
	faults := &ui.Control{Twin: sys.Twin, Network: sys.Spec.Network.Name}
	// The console: the page (the same from every shard), and this shard's
	// stream, which the page reads beside the other shards' (stream).
	parties, _ := a.Listeners().(ui.Parties)
	console := &ui.Console{Name: h.sc.Name, Network: h.sc.Spec.Network.Name, Feed: st.Feed(), Epoch: a.Epoch, Log: log, Parties: parties, Shards: h.shards}
	a.More = append(a.More, faults.FaultRoutes, console.Routes, ui.UnshardedRoutes)
	handler := a.Handler()
	faults.Node = a.Node()
	notifier, err := h.notifier(st, a, opt.IDs)
	if err != nil {
		st.Close()
		return err
	}
	sys.Engine.LogTo(log)
	engineCtx, stop := context.WithCancel(context.Background())
	r := &shardRun{shard: shard, lease: l, st: st, handler: handler, stop: stop, done: make(chan error, 1), notifier: notifier, console: console}
	go func() { r.done <- sys.Engine.Serve(engineCtx) }()
	notifier.Start(engineCtx)
	h.mu.Lock()
	h.runs[shard] = r
	h.mu.Unlock()
	log.Info("shard taken", "epoch", l.Epoch, "records", st.Len(), "took", time.Since(began).String())
	return nil
}

// checkShard refuses a shard's store that another shard or a deployment
// of another shard count served, and marks a new one as the shard's.
func (h *shardHost) checkShard(st store.Durable, shard int) error {
	want := fmt.Sprintf("%d of %d", shard, h.shards)
	have, ok, err := st.Meta("shard")
	switch {
	case err != nil:
		return err
	case !ok && st.Len() > 0:
		return errors.New("it holds records but is no shard's store")
	case !ok:
		return st.SetMeta("shard", want)
	case have != want:
		return fmt.Errorf("it is the store of shard %s, not %s", have, want)
	}
	return nil
}

// end stops the shard's engine (its step committed, a snapshot taken),
// closes its store and lets its lease go.
func (h *shardHost) end(r *shardRun) { h.endWithin(r, 0) }

// endWithin is end, waiting at most d for the shard's engine to stop (0:
// as long as it takes). An engine that does not stop by then waits for
// the database (the ledger asks again until it answers) and is left as
// it is, its store and lease with it, and false is returned: the instance
// ends without it. What the engine did since its last commit was not
// committed, and whoever takes the shard replays its journal.
func (h *shardHost) endWithin(r *shardRun, d time.Duration) bool {
	h.mu.Lock()
	delete(h.runs, r.shard)
	h.mu.Unlock()
	// The pages reading the shard's stream reconnect, to the instance
	// that takes the shard over.
	r.console.Close()
	r.stop()
	if !r.ended {
		var late <-chan time.Time
		if d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			late = t.C
		}
		select {
		case err := <-r.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				h.log.Error("shard engine", "shard", r.shard, "err", err.Error())
			}
		case <-late:
			h.log.Error("shard engine: it has not stopped, waiting for the database; the instance ends without it (nothing since its last commit was committed)",
				"shard", r.shard, "waited", d.String())
			return false
		}
	}
	if err := r.notifier.Stop(); err != nil {
		h.log.Error("shard hub notifier", "shard", r.shard, "err", err.Error())
	}
	if err := r.st.Close(); err != nil {
		h.log.Error("shard store close", "shard", r.shard, "err", err.Error())
	}
	if err := h.cluster.Drop(r.lease); err != nil {
		h.log.Error("shard lease", "shard", r.shard, "err", err.Error())
	}
	return true
}

// engineStopWait is how long an instance that ends waits for each shard's
// engine to stop: one waiting for the database is not waited for longer
// (the process, its listener closed, served nothing meanwhile).
const engineStopWait = 10 * time.Second

// Close ends every shard the instance runs (each engine commits its
// step and snapshots) and lets the leases go; an engine that does not
// stop within engineStopWait is left behind (endWithin).
func (h *shardHost) Close() {
	for _, r := range h.running() {
		h.endWithin(r, engineStopWait)
	}
	h.cluster.Close()
	h.ledger.Close()
}

// ServeHTTP answers a request from the shard it is for: run here, or
// forwarded to the instance that runs it. A request for no shard in
// particular (a list, the catalogue) is answered by a shard run here.
func (h *shardHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set(instanceHeader, h.instance)
		fmt.Fprintln(w, "ok")
		return
	case "/readyz":
		h.ready(w, r)
		return
	case "/metrics":
		if r.Method == http.MethodGet && r.Header.Get(shardHeader) == "" && r.Header.Get(forwardedHeader) == "" {
			h.metrics(w, r)
			return
		}
	}
	if r.Header.Get(forwardedHeader) != "" && !h.forwarded(r) {
		r.Header.Del(forwardedHeader) // a client's: it passes for no instance
	}
	if r.Header.Get(forwardedHeader) == "" {
		r.Header.Del(tmf630.ListenerHeader) // an instance's to give, not a client's
		if r.URL.Path == ui.StreamPath {
			h.stream(w, r)
			return
		}
	}
	// What every shard is told (a hub listener, a twin fault), unless an
	// instance forwarded it or a client names one shard.
	var everyShard func(http.ResponseWriter, *http.Request, []byte)
	switch {
	case r.Header.Get(forwardedHeader) != "":
	case hubPath(r.URL.Path):
		everyShard = h.hub
	case (r.URL.Path == ui.FaultPath || strings.HasPrefix(r.URL.Path, ui.FaultPath+"/")) && r.Header.Get(shardHeader) == "":
		everyShard = h.fault
	}
	if everyShard != nil {
		body, e := readBody(r)
		if e != nil {
			tmf630.WriteError(w, e)
			return
		}
		everyShard(w, r, body)
		return
	}
	if v := r.Header.Get(shardHeader); v != "" {
		shard, err := strconv.Atoi(v)
		if err != nil || shard < 0 || shard >= h.shards {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("%s %q: want a shard from 0 to %d", shardHeader, v, h.shards-1)))
			return
		}
		if r.Header.Get(forwardedHeader) != "" {
			h.local(shard, w, r)
			return
		}
		body, e := readBody(r)
		if e != nil {
			tmf630.WriteError(w, e)
			return
		}
		h.from(shard, w, r, body)
		return
	}
	body, e := readBody(r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	shard, byID, inBody := h.shardOf(r, body)
	if shard < 0 && r.Method == http.MethodGet && mergedList(r.URL.Path) {
		h.list(w, r)
		return
	}
	if shard < 0 && r.Method == http.MethodGet && catalogDesigns(r.URL.Path) {
		h.catalogList(w, r)
		return
	}
	if shard < 0 {
		if runs := h.running(); len(runs) > 0 {
			shard = runs[0].shard
		} else {
			shard = 0
		}
	}
	onEntity := r.Method == http.MethodGet || r.Method == http.MethodPatch || r.Method == http.MethodDelete || inBody
	if !byID || !onEntity {
		h.from(shard, w, r, body)
		return
	}
	// An id the deployment did not number (a scenario's PO-00017) may be
	// any shard's: the shard its number names first, then the others. A
	// read, a change or removal of the entity, or a cancellation or
	// operator action (named in the body), that a shard answers 404
	// changed nothing there.
	for i := range h.shards {
		s := (shard + i) % h.shards
		rec := &recorder{header: http.Header{}}
		h.from(s, rec, r, body)
		if rec.status != http.StatusNotFound || i == h.shards-1 {
			rec.copyTo(w)
			return
		}
	}
}

// stream answers a client's request for a shard's stream of committed
// records (ui.Stream), the shard named by the query's shard=K or the
// header Ordertwin-Shard (each shard numbers its records from 1): from
// the shard when it runs here, else through to the instance that runs it,
// the WebSocket relayed both ways. The page of a deployment reads one
// stream per shard.
func (h *shardHost) stream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := r.Header.Get(shardHeader)
	if vs := q["shard"]; len(vs) > 0 {
		v = vs[0]
		if len(vs) > 1 {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("query parameter shard: given %d times", len(vs))))
			return
		}
	}
	if v == "" {
		w.Header().Set(shardsHeader, strconv.Itoa(h.shards))
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf(
			"a deployment of %d shards streams each shard's records on their own: ask for one with shard=K (0 to %d)", h.shards, h.shards-1)))
		return
	}
	shard, err := strconv.Atoi(v)
	if err != nil || shard < 0 || shard >= h.shards || strconv.Itoa(shard) != v {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("shard %s: want a shard from 0 to %d", tmf630.Quote(v), h.shards-1)))
		return
	}
	// The shard's own stream takes after= only.
	q.Del("shard")
	r.URL.RawQuery = q.Encode()
	h.mu.Lock()
	run, owner := h.runs[shard], h.owners[shard]
	h.mu.Unlock()
	switch {
	case run != nil:
		run.handler.ServeHTTP(w, r)
	case owner == "" || owner == h.self:
		unavailable(w, shard)
	default:
		h.relay(owner, shard, w, r)
	}
}

// relay sends a WebSocket request (or any other) through to the instance
// at owner, marked for the shard, and relays the connection both ways
// once it is upgraded. A browser's Origin is checked here, against the
// host it asked (as the stream checks it: a page of another origin may not
// ride on a token), and not sent on: the owner is another host.
func (h *shardHost) relay(owner string, shard int, w http.ResponseWriter, r *http.Request) {
	if ui.RefuseOtherOrigin(w, r) {
		return
	}
	target, err := neturl.Parse(owner)
	if err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadGateway, fmt.Sprintf("shard %d's instance %s: %v", shard, tmf630.Quote(owner), err)))
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del("Origin")
			pr.Out.Header.Set(shardHeader, strconv.Itoa(shard))
			h.sign(pr.Out)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			h.log.Warn("relay", "shard", shard, "owner", owner, "err", err.Error())
			unreached(w, shard, owner)
		},
	}
	proxy.ServeHTTP(w, r)
}

// metrics answers /metrics for the shards this instance runs, each
// sample of a shard's labelled shard="K", the families merged (each
// family's samples together, as the text format wants); the process's
// own (go_*, process_*) once, unlabelled. A shard run elsewhere is that
// instance's to report: a scrape of every instance sees every shard once.
// A shard that refuses the request (a token that may not read metrics)
// is the answer.
func (h *shardHost) metrics(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	shards := slices.Sorted(maps.Keys(h.runs))
	runs := make([]*shardRun, len(shards))
	for i, s := range shards {
		runs[i] = h.runs[s]
	}
	h.mu.Unlock()
	texts := make([]string, 0, len(runs))
	for i, run := range runs {
		rec := &recorder{header: http.Header{}}
		run.handler.ServeHTTP(rec, r.Clone(r.Context()))
		if rec.status >= 300 {
			rec.copyTo(w)
			return
		}
		texts = append(texts, labelShard(rec.body.String(), shards[i]))
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = io.WriteString(w, mergeFamilies(texts))
}

// processMetric tells whether a metric is the process's (the same from
// every shard of an instance), not a shard's.
func processMetric(name string) bool {
	return strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
}

// labelShard adds shard="K" to every sample of text (Prometheus text
// format) but the process's.
func labelShard(text string, shard int) string {
	var b strings.Builder
	label := `shard="` + strconv.Itoa(shard) + `"`
	for line := range strings.Lines(text) {
		name, rest, _ := strings.Cut(line, " ")
		switch {
		case strings.HasPrefix(line, "#") || line == "\n" || processMetric(name):
			b.WriteString(line)
		case strings.Contains(name, "{"):
			metric, labels, _ := strings.Cut(line, "{")
			b.WriteString(metric + "{" + label + "," + labels)
		default:
			b.WriteString(name + "{" + label + "} " + rest)
		}
	}
	return b.String()
}

// mergeFamilies merges the metric texts, each family's HELP and TYPE once
// and all its samples after them, in the order the families first come;
// a process's sample once.
func mergeFamilies(texts []string) string {
	type family struct {
		head    []string
		samples []string
	}
	var order []string
	families := map[string]*family{}
	seen := map[string]bool{}
	for _, text := range texts {
		var f *family
		for line := range strings.Lines(text) {
			if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
				name, _, _ := strings.Cut(line[len("# HELP "):], " ")
				if families[name] == nil {
					families[name] = &family{}
					order = append(order, name)
				}
				f = families[name]
				if len(f.head) < 2 && !slices.Contains(f.head, line) {
					f.head = append(f.head, line)
				}
				continue
			}
			if f == nil || strings.TrimSpace(line) == "" {
				continue
			}
			name, _, _ := strings.Cut(line, " ")
			if processMetric(name) {
				if seen[name] {
					continue
				}
				seen[name] = true
			}
			f.samples = append(f.samples, line)
		}
	}
	var b strings.Builder
	for _, name := range order {
		f := families[name]
		for _, l := range append(f.head, f.samples...) {
			b.WriteString(l)
		}
	}
	return b.String()
}

// hubPath tells whether path is an API's hub or a listener of it.
func hubPath(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	n := len(parts)
	return n >= 4 && parts[0] == "tmf-api" && (parts[n-1] == "hub" || n >= 5 && parts[n-2] == "hub")
}

// hub registers a listener in every shard, each telling it its own
// events: shard 0 gives it its id, the others take it with that id
// (tmf630.ListenerHeader); a change or removal goes to every shard too;
// a listener is read from shard 0. The answer is shard 0's. A shard that
// cannot answer (moving to another instance) is asked again for up to
// ten seconds; then the request is answered 503, and sent again with the
// same Idempotency-Key it completes what is left.
func (h *shardHost) hub(w http.ResponseWriter, r *http.Request, body []byte) {
	first := &recorder{header: http.Header{}}
	h.fromSteady(0, first, r, body)
	if r.Method == http.MethodGet || first.status >= 300 && !(r.Method == http.MethodDelete && first.status == http.StatusNotFound) {
		first.copyTo(w)
		return
	}
	each := r.Clone(r.Context())
	each.Header.Set(forwardedHeader, h.self)
	if r.Method == http.MethodPost {
		var made struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(first.body.Bytes(), &made); err != nil || made.ID == "" {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadGateway, "shard 0 registered a listener without an id"))
			return
		}
		each.Header.Set(tmf630.ListenerHeader, made.ID)
	}
	for s := 1; s < h.shards; s++ {
		rec := &recorder{header: http.Header{}}
		h.fromSteady(s, rec, each, body)
		if rec.status >= 300 && !(r.Method == http.MethodDelete && rec.status == http.StatusNotFound) {
			h.log.Warn("hub: a shard did not take the change", "shard", s, "status", rec.status, "body", rec.body.String())
			tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable,
				fmt.Sprintf("the listener changed in shards 0 to %d, not in shard %d (%d): send the request again, with the same Idempotency-Key", s-1, s, rec.status)))
			return
		}
	}
	first.copyTo(w)
}

// fault answers the twin's faults (ui.FaultPath) for the deployment:
// each shard runs a twin of the whole network, so a rule injected goes to
// every shard's twin, and a rule's hits are the sum of the shards'. A
// rule a shard has already (409, its name taken: the same request sent
// again after a shard did not answer) counts as taken there, and the
// answer is 201 when any shard took it now, 409 when every shard had it;
// any other refusal (a rule not valid: every shard's alike) is the answer.
// A rule lifted (DELETE) is lifted in every shard: 204 when any shard had
// it, 404 when none did.
func (h *shardHost) fault(w http.ResponseWriter, r *http.Request, body []byte) {
	type hits struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Hits   int    `json:"hits"`
		Lifted bool   `json:"lifted,omitempty"`
	}
	var first *recorder
	var sum []hits
	at := map[string]int{}
	for s := range h.shards {
		rec := &recorder{header: http.Header{}}
		h.fromSteady(s, rec, r, body)
		if r.Method == http.MethodDelete {
			if rec.status >= 300 && rec.status != http.StatusNotFound {
				rec.copyTo(w)
				return
			}
			if first == nil || first.status >= 300 {
				first = rec // the first shard that lifted it, else the first 404
			}
			continue
		}
		if r.Method == http.MethodPost {
			if rec.status >= 300 && rec.status != http.StatusConflict {
				if s > 0 {
					h.log.Warn("fault: a shard did not take the rule", "shard", s, "status", rec.status, "body", rec.body.String())
				}
				rec.copyTo(w)
				return
			}
			if first == nil || first.status >= 300 {
				first = rec // the first shard that took it, else the first 409
			}
			continue
		}
		if rec.status >= 300 {
			rec.copyTo(w)
			return
		}
		var list []hits
		if err := json.Unmarshal(rec.body.Bytes(), &list); err != nil {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadGateway, fmt.Sprintf("shard %d answered its faults not as a JSON array: %v", s, err)))
			return
		}
		for _, f := range list {
			if i, ok := at[f.Name]; ok {
				sum[i].Hits += f.Hits
				sum[i].Lifted = sum[i].Lifted || f.Lifted
				continue
			}
			at[f.Name] = len(sum)
			sum = append(sum, f)
		}
	}
	if r.Method != http.MethodGet {
		first.copyTo(w)
		return
	}
	if sum == nil {
		sum = []hits{}
	}
	tmf630.WriteJSON(w, http.StatusOK, sum)
}

// fromSteady is from, asked again while the shard is moving (503), for
// up to ten seconds.
func (h *shardHost) fromSteady(shard int, rec *recorder, r *http.Request, body []byte) {
	for deadline := time.Now().Add(10 * time.Second); ; {
		*rec = recorder{header: http.Header{}}
		h.from(shard, rec, r, body)
		if rec.status != http.StatusServiceUnavailable || time.Now().After(deadline) || r.Context().Err() != nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mergedList tells whether path is a list whose entities the shards
// share out (orders, quotes, inventory, the worklist): every shard's
// answer, merged. A catalogue is every shard's alike: one answers.
func mergedList(path string) bool {
	if path == worklist.ItemPath || path == worklist.ActionPath {
		return true
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return len(parts) == 4 && parts[0] == "tmf-api" && parts[3] != "hub" &&
		!strings.HasPrefix(path, tmf630.ProductCatalog) && !strings.HasPrefix(path, tmf630.ServiceCatalog)
}

// catalogDesigns tells whether path is a list of the product catalogue,
// whose designs clients make in the shard their POST reached.
func catalogDesigns(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return len(parts) == 4 && strings.HasPrefix(path, tmf630.ProductCatalog+"/") && parts[3] != "hub"
}

// list answers a list from every shard, merged in the order of their
// ids' numbers (mergePage), X-Total-Count the shards' sum. A shard that
// cannot answer (moving to another instance) makes the list 503, and a
// shard's refusal (a bad filter, 401) is the answer.
func (h *shardHost) list(w http.ResponseWriter, r *http.Request) {
	l := h.lister(r)
	page, total, err := mergePage(h.shards, l.offset, l.limit, l.fetch)
	l.answer(w, page, total, err)
}

// catalogList answers a list of the product catalogue: the catalog
// file's entries, alike in every shard, then the designs clients made,
// each in the shard that took its POST. Each shard's list is read whole
// (a catalogue is small), each entry kept once (the first shard's), in
// the shards' order, then paged.
func (h *shardHost) catalogList(w http.ResponseWriter, r *http.Request) {
	l := h.lister(r)
	var all []json.RawMessage
	seen := map[string]bool{}
	var err error
shards:
	for s := range h.shards {
		for from := 0; ; {
			var items []json.RawMessage
			var total int
			if items, total, err = l.fetch(s, from, tmf630.MaxPage); err != nil {
				break shards
			}
			for _, it := range items {
				var id struct {
					ID string `json:"id"`
				}
				json.Unmarshal(it, &id)
				if !seen[id.ID] {
					seen[id.ID] = true
					all = append(all, it)
				}
			}
			from += len(items)
			if len(items) < tmf630.MaxPage || from >= total {
				break
			}
		}
	}
	from := min(l.offset, len(all))
	l.answer(w, all[from:min(from+l.limit, len(all))], len(all), err)
}

// lister reads the pages of a list request from the shards.
type lister struct {
	offset, limit int
	// fetch asks a shard for n entities from from: them and its total.
	fetch func(shard, from, n int) ([]json.RawMessage, int, error)
	// header is the first shard's answer's; refused a shard's refusal.
	header  http.Header
	refused *recorder
}

// lister is the list request r, read from the shards.
func (h *shardHost) lister(r *http.Request) *lister {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit := tmf630.DefaultPage
	if v, err := strconv.Atoi(q.Get("limit")); err == nil {
		limit = v
	}
	l := &lister{offset: max(offset, 0), limit: min(max(limit, 0), tmf630.MaxPage)}
	l.fetch = func(shard, from, n int) ([]json.RawMessage, int, error) {
		q.Set("offset", strconv.Itoa(from))
		q.Set("limit", strconv.Itoa(n))
		each := r.Clone(r.Context())
		each.URL.RawQuery = q.Encode()
		rec := &recorder{header: http.Header{}}
		h.from(shard, rec, each, nil)
		if rec.status != 0 && rec.status != http.StatusOK {
			l.refused = rec
			return nil, 0, errRefused
		}
		var items []json.RawMessage
		if err := json.Unmarshal(rec.body.Bytes(), &items); err != nil {
			return nil, 0, fmt.Errorf("shard %d answered a list that is not a JSON array: %v", shard, err)
		}
		if l.header == nil {
			l.header = rec.header
		}
		total, _ := strconv.Atoi(rec.header.Get("X-Total-Count"))
		return items, total, nil
	}
	return l
}

// answer writes the page of a list of total entities, or the error that
// stopped its reading.
func (l *lister) answer(w http.ResponseWriter, page []json.RawMessage, total int, err error) {
	switch {
	case l.refused != nil:
		l.refused.copyTo(w)
		return
	case err != nil:
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadGateway, err.Error()))
		return
	}
	maps.Copy(w.Header(), l.header)
	w.Header().Del("Content-Length")
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	w.Header().Set("X-Result-Count", strconv.Itoa(len(page)))
	if page == nil {
		page = []json.RawMessage{}
	}
	body, _ := json.Marshal(page)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// errRefused is a shard's refusal of a list, answered as it is.
var errRefused = errors.New("refused")

// mergePage is the page at offset, of at most limit entities, of the
// shards' lists merged in the order of their ids' numbers (each shard
// lists its own in that order), and the shards' total. fetch asks a shard
// for n entities from from, answering them and the shard's total: each
// shard is asked for the first offset+limit, at most tmf630.MaxPage a
// time, and again for more from where it stopped while the merge takes
// all it was given and it has more, so a page far down a list many times
// MaxPage long is what it would be on one store.
func mergePage(shards, offset, limit int, fetch func(shard, from, n int) ([]json.RawMessage, int, error)) ([]json.RawMessage, int, error) {
	type entry struct {
		n    uint64
		item json.RawMessage
	}
	type cursor struct {
		items        []entry
		next, asked  int // the next of items to take; how many asked so far
		total        int
		reachedTotal bool
	}
	want := offset + limit
	if limit == 0 {
		want = 0 // the total only
	}
	cursors := make([]cursor, shards)
	total := 0
	more := func(s int) error {
		c := &cursors[s]
		n := min(max(want-c.asked, 1), tmf630.MaxPage)
		items, t, err := fetch(s, c.asked, n)
		if err != nil {
			return err
		}
		if c.asked == 0 {
			c.total = t
			total += t
		}
		c.asked += n
		c.items, c.next = c.items[:0], 0
		for _, it := range items {
			var id struct {
				ID string `json:"id"`
			}
			json.Unmarshal(it, &id)
			c.items = append(c.items, entry{tmf.SeqOf(id.ID), it})
		}
		c.reachedTotal = len(items) < n || c.asked >= c.total
		return nil
	}
	for s := range cursors {
		if err := more(s); err != nil {
			return nil, 0, err
		}
	}
	page := make([]json.RawMessage, 0, limit)
	for taken := 0; taken < want; taken++ {
		best := -1
		for s := range cursors {
			c := &cursors[s]
			if c.next == len(c.items) && !c.reachedTotal {
				if err := more(s); err != nil {
					return nil, 0, err
				}
			}
			if c.next < len(c.items) && (best < 0 || c.items[c.next].n < cursors[best].items[cursors[best].next].n) {
				best = s
			}
		}
		if best < 0 {
			break // every shard's list taken
		}
		c := &cursors[best]
		if taken >= offset {
			page = append(page, c.items[c.next].item)
		}
		c.next++
	}
	return page, total, nil
}

// shardOf is the shard a request is for: its customer's (a new quote or
// order names one among its related parties), or the one whose numbers
// hold the id in its path (byID: the first to ask); -1 for none.
func (h *shardHost) shardOf(r *http.Request, body []byte) (shard int, byID, inBody bool) {
	if len(body) > 0 {
		var in struct {
			RelatedParty []tmf630.Ref `json:"relatedParty"`
			// What a cancellation (of a product, service or resource
			// order) or an operator action (worklistItem) is about: the
			// shard that holds it.
			ProductOrder  json.RawMessage `json:"productOrder"`
			ServiceOrder  json.RawMessage `json:"serviceOrder"`
			ResourceOrder json.RawMessage `json:"resourceOrder"`
			WorklistItem  json.RawMessage `json:"worklistItem"`
		}
		if json.Unmarshal(body, &in) == nil {
			for _, p := range in.RelatedParty {
				if p.Role == "customer" && p.ID != "" {
					return postgres.ShardOf(p.ID, h.shards), false, false
				}
			}
			for _, about := range []json.RawMessage{in.ProductOrder, in.ServiceOrder, in.ResourceOrder, in.WorklistItem} {
				var ref struct{ ID string }
				if json.Unmarshal(about, &ref) == nil && ref.ID != "" {
					s, _ := tmf.ShardOf(ref.ID, h.shards) // an id of no number: from shard 0 on
					return s, true, true
				}
			}
		}
	}
	// /tmf-api/<api>/v4/<resource>/<id>…
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 5 && parts[0] == "tmf-api" {
		s, _ := tmf.ShardOf(parts[4], h.shards) // an id of no number: from shard 0 on
		return s, true, false
	}
	return -1, false, false
}

// from answers the request from the shard: here when it runs here, else
// from the instance that runs it.
func (h *shardHost) from(shard int, w http.ResponseWriter, r *http.Request, body []byte) {
	h.mu.Lock()
	run, owner := h.runs[shard], h.owners[shard]
	h.mu.Unlock()
	if run != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		run.handler.ServeHTTP(w, r)
		return
	}
	if owner == "" || owner == h.self {
		unavailable(w, shard)
		return
	}
	h.forward(owner, shard, w, r, body)
}

// local answers a request forwarded by another instance: from the shard
// when it runs here.
func (h *shardHost) local(shard int, w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	run := h.runs[shard]
	h.mu.Unlock()
	if run == nil {
		unavailable(w, shard)
		return
	}
	run.handler.ServeHTTP(w, r)
}

// unavailable answers 503: no instance runs the shard now (its owner
// ended, and another takes it over within a poll and its rebuild).
func unavailable(w http.ResponseWriter, shard int) {
	w.Header().Set("Retry-After", "1")
	tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable,
		fmt.Sprintf("shard %d is moving to another instance: try again in a second", shard)))
}

// unreached answers 503: the instance that holds the shard's lease did
// not answer. One that ended loses the lease, and another takes the shard
// within seconds; one that hangs (paused, overloaded) keeps it while its
// database session lives.
func unreached(w http.ResponseWriter, shard int, owner string) {
	w.Header().Set("Retry-After", "1")
	tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable,
		fmt.Sprintf("shard %d's instance %s did not answer: if it ended, another takes the shard over within seconds; try again", shard, owner)))
}

// forward sends the request to the instance at owner, marked for the
// shard, and copies its answer.
func (h *shardHost) forward(owner string, shard int, w http.ResponseWriter, r *http.Request, body []byte) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimSuffix(owner, "/")+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadGateway, err.Error()))
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Set(shardHeader, strconv.Itoa(shard))
	h.sign(out)
	resp, err := h.client.Do(out)
	if err != nil {
		h.log.Warn("forward", "shard", shard, "owner", owner, "err", err.Error())
		unreached(w, shard, owner)
		return
	}
	defer resp.Body.Close()
	maps.Copy(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// ready answers 200 once every shard of the deployment runs somewhere
// and each run here is ready (its own /readyz: its engine takes queries
// and its store writes); 503 naming the shards that run nowhere, or the
// first of those here that is not ready and why.
func (h *shardHost) ready(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	var nowhere []string
	here := map[int]http.Handler{}
	for s := range h.shards {
		// A shard this instance no longer runs, or does not yet (its
		// rebuild), counts as running nowhere until a poll finds its
		// owner: a request for it is answered 503 meanwhile.
		if (h.owners[s] == "" || h.owners[s] == h.self) && h.runs[s] == nil {
			nowhere = append(nowhere, strconv.Itoa(s))
		}
		if run := h.runs[s]; run != nil {
			here[s] = run.handler
		}
	}
	h.mu.Unlock()
	if len(nowhere) > 0 {
		w.Header().Set("Retry-After", "1")
		tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable, "not ready: no instance runs shard "+strings.Join(nowhere, ", ")))
		return
	}
	for _, s := range slices.Sorted(maps.Keys(here)) {
		rec := &recorder{header: http.Header{}}
		here[s].ServeHTTP(rec, r)
		if rec.status != 0 && rec.status != http.StatusOK {
			var e tmf630.Error
			if json.Unmarshal(rec.body.Bytes(), &e) == nil && e.Message != "" {
				e.Message = strings.Replace(e.Message, "not ready: ", fmt.Sprintf("not ready: shard %d: ", s), 1)
				w.Header().Set("Retry-After", "1")
				tmf630.WriteError(w, tmf630.NewError(rec.status, e.Message))
				return
			}
			rec.copyTo(w)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// readBody reads a request's body, at most the API's (tmf630.MaxBody),
// whatever it is: the shard's API checks it.
func readBody(r *http.Request) ([]byte, *tmf630.Error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, tmf630.MaxBody+1))
	if err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, "reading the body: "+err.Error())
	}
	if len(body) > tmf630.MaxBody {
		return nil, tmf630.NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tmf630.MaxBody))
	}
	return body, nil
}

// recorder keeps an answer, to be copied to the client or dropped.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// copyTo writes the answer kept to w.
func (r *recorder) copyTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), r.header)
	w.WriteHeader(cmp.Or(r.status, http.StatusOK))
	w.Write(r.body.Bytes())
}

// shardedHTTP is what serve's flags say of the HTTP side of a sharded
// instance.
type shardedHTTP struct {
	addr  string
	tls   *tls.Config
	guard *auth.Guard
	// keepKey writes the development issuer's key, if it is new, once
	// the deployment's store is open (serveGuard).
	keepKey    func() error
	hubAllow   []string
	hubQuota   int
	orderQuota int
	// suspendAfter and suspendWindow: when a failing listener is
	// suspended (events.Options).
	suspendAfter  int
	suspendWindow time.Duration
}

// serveSharded is serve --shards: the instance joins the deployment,
// serves HTTP for every shard, and runs its share of them until ctx ends.
func serveSharded(ctx context.Context, s shardServe, o shardedHTTP, stdout io.Writer) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close()
	scheme := "http"
	if o.tls != nil {
		scheme = "https"
	}
	if s.self == "" {
		s.self = scheme + "://" + ln.Addr().String()
	}
	callbacks, err := events.NewCallbacks(o.hubAllow)
	if err != nil {
		return fmt.Errorf("serve: --hub-allow: %w", err)
	}
	callbacks.Self = events.SelfOf(ln.Addr())
	s.configure = func(a *api.Server) {
		a.Guard, a.AccessLog = o.guard, s.access
		a.Hub = hub.Policy{Callbacks: callbacks, Quota: o.hubQuota}
		a.OrderQuota = o.orderQuota
	}
	s.notifier = func(st store.Durable, a *api.Server, ids tmf.IDSpace) (*events.Notifier, error) {
		return events.Open(st, events.Options{Feed: st.Feed(), Directory: a.Listeners(), Epoch: a.Epoch, Callbacks: callbacks, IDs: ids,
			SuspendAfter: o.suspendAfter, SuspendWindow: o.suspendWindow, Log: s.log})
	}
	h, err := openShardHost(ctx, s)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := o.keepKey(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := httpServer(h, o.tls, s.log)
	httpDone := make(chan error, 1)
	go func() {
		if o.tls != nil {
			httpDone <- srv.ServeTLS(ln, "", "")
		} else {
			httpDone <- srv.Serve(ln)
		}
	}()
	if err := h.reachSelf(ctx); errors.Is(err, errNotThisInstance) {
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	} else if err != nil {
		s.log.Warn("the other instances may not reach this one", "err", err.Error())
	}
	fmt.Fprintf(stdout, "serving %s on %s://%s (store %s, shard of %d, reached at %s)\n", s.sc.Name, scheme, ln.Addr(), storeName(s.db), s.shards, s.self)
	s.log.Info("serving", "scenario", s.sc.Name, "addr", ln.Addr().String(), "db", storeName(s.db), "shards", s.shards, "self", s.self)
	hostCtx, stopHost := context.WithCancel(ctx)
	defer stopHost()
	hostDone := make(chan error, 1)
	go func() { hostDone <- h.Run(hostCtx) }()
	var failure error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "reason", ctx.Err().Error())
	case err := <-hostDone:
		failure = fmt.Errorf("serve: %w", err)
		hostDone <- err
	case err := <-httpDone:
		failure = fmt.Errorf("serve: http: %w", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		s.log.Error("http shutdown", "err", err.Error())
	}
	stopHost()
	<-hostDone
	return failure
}

// errNotThisInstance: the URL an instance is reached at is another
// instance's.
var errNotThisInstance = errors.New("--advertise reaches another instance")

// reachSelf checks, before the instance takes any shard, that the URL the
// other instances will reach it at (--advertise) reaches it: an
// instance's own /healthz answers with its name. One that reaches another
// instance (a URL copied from another's flags) is errNotThisInstance:
// both would be taken for one owner. One that does not answer, or not as
// an instance, may still reach it from the other instances (through a
// proxy this host cannot use), and is only told.
func (h *shardHost) reachSelf(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.self+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--advertise %s: %w", h.self, err)
	}
	res, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("--advertise %s does not answer here: %w", h.self, err)
	}
	res.Body.Close()
	switch got := res.Header.Get(instanceHeader); {
	case got == h.instance:
		return nil
	case got != "":
		return fmt.Errorf("%w: %s answers from an instance of its own; give each instance the URL it is reached at", errNotThisInstance, h.self)
	default:
		return fmt.Errorf("--advertise %s answers %s, not as an instance", h.self, res.Status)
	}
}
