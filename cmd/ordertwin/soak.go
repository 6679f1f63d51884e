package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/bench"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
)

// soakOptions are what bench --soak's flags say.
type soakOptions struct {
	orders int
	rate   float64 // orders placed per wall-clock second
	scale  float64 // virtual seconds per wall-clock second
	every  int     // a row every this many orders placed
	db     string  // the store; empty: a new one in a temporary directory
	limit  time.Duration
	// retention is serve's --retention.
	retention time.Duration
	// churn, when above 0, is how many customers' sites the network
	// holds: each order's sites are disconnected once it completes, and
	// the slot's next order reuses them (churn.go).
	churn int
}

// soakRow is what a soak measured at one point.
type soakRow struct {
	Wall float64 `json:"wallSeconds"`
	// Placed counts the orders whose quote and order commands were
	// answered; Completed those completed, Finished those in any final
	// state; InFlight is Placed less Finished.
	Placed    int `json:"placed"`
	Completed int `json:"completed"`
	Finished  int `json:"finished"`
	InFlight  int `json:"inFlight"`
	// RSS is the process's resident set (VmRSS); Heap the Go heap in use;
	// Live the heap the last collection found live (at GOGC=400 the heap
	// grows to five times that before the next).
	RSS  uint64 `json:"rssBytes"`
	Heap uint64 `json:"heapInUseBytes"`
	Live uint64 `json:"heapLiveBytes"`
	// Lag is how far the engine is behind the wall clock (Engine.Behind):
	// the present less the time of the earliest input due and not yet
	// handled, in virtual seconds; 0 when nothing due waits.
	Lag float64 `json:"lagSeconds"`
	// ROIRate is resource order items completed per wall-clock second since
	// the row before.
	ROIRate float64 `json:"roiPerSecond"`
	// Store is the size of the SQLite file and its WAL.
	Store int64 `json:"storeBytes"`
	// Disconnected counts the sites disconnected (--churn).
	Disconnected int `json:"disconnected,omitempty"`
}

// soakReport is a soak's JSON report.
type soakReport struct {
	Orders int     `json:"orders"`
	Rate   float64 `json:"rate"`
	Scale  float64 `json:"scale"`
	// Refused counts orders whose quote or order command the engine
	// refused (overloaded, store fault): never placed.
	Refused int `json:"refused"`
	// Stopped says why the soak stopped before all its orders finished
	// (interrupted, the --max-duration reached); empty when they did.
	Stopped string `json:"stopped,omitempty"`
	// Churn is the customers' sites the network holds (--churn); Waited
	// counts the orders placed late because the order before them on
	// their sites had not freed them; Skipped those not placed because
	// their sites were given up (Lost: an order or a disconnect before
	// them did not complete).
	Churn   int       `json:"churn,omitempty"`
	Waited  int       `json:"waited,omitempty"`
	Lost    int       `json:"lost,omitempty"`
	Skipped int       `json:"skipped,omitempty"`
	Rows    []soakRow `json:"rows"`
	Restart *restart  `json:"restart,omitempty"`
}

// restart is what starting the server again on the soak's store measured.
type restart struct {
	// Ready is the wall time from opening the store to the engine serving
	// and answering a query with its store writable (what /readyz checks).
	Ready   float64 `json:"readySeconds"`
	Records int     `json:"records"`
	// Inputs counts the inputs the restarted engine has handled;
	// Replayed those of them it replayed after the snapshot it restored.
	Inputs   uint64 `json:"inputs"`
	Replayed uint64 `json:"replayed"`
	// RSS before the restart (the soak's system released) and once ready.
	RSSBefore uint64 `json:"rssBeforeBytes"`
	RSS       uint64 `json:"rssBytes"`
	Heap      uint64 `json:"heapInUseBytes"`
}

// soakCounts are what the observer of a soak's engine counts, read from
// other goroutines.
type soakCounts struct {
	placed, refused, completed, finished, rois atomic.Int64
}

// observe counts the records of a step: product orders finished and
// completed (not the disconnect orders of --churn), resource order items
// completed.
func (c *soakCounts) observe(r store.Record) {
	switch lc.Kind(r.Kind) {
	case lc.ProductOrder:
		if lc.IsFinal(lc.ProductOrder, r.To) && !strings.Contains(r.Entity, "-D") {
			c.finished.Add(1)
			if r.To == lc.Completed {
				c.completed.Add(1)
			}
		}
	case lc.ResourceOrderItem:
		if r.To == lc.Completed {
			c.rois.Add(1)
		}
	}
}

// soak runs the bench workload's orders live: a server's system on its
// durable store and the wall clock at o.scale, the orders placed at o.rate
// through engine commands as the API places them, each a customer of its
// own with five sites of its own. It prints a row every o.every orders
// placed and once all are finished, then stops the server and starts it
// again on its store as serve does, timing it until it is ready. ctx
// ending (an interrupt) stops it with the rows so far and no restart;
// o.limit stops placing and waiting, the restart still measured.
func soak(ctx context.Context, o soakOptions, stdout io.Writer, log *slog.Logger) (*soakReport, error) {
	customers := o.orders
	if o.churn > 0 {
		customers = o.churn
	}
	pop := bench.Population(customers)
	spec, err := pop.Spec(fmt.Sprintf("soak-%d", customers), 1, bench.Epoch)
	if err != nil {
		return nil, err
	}
	spec.Orders = nil // placed live, one by one
	if o.churn > 0 {
		// A slot's billing account is each of its customers' in turn
		// (churn.placement), not one customer's.
		for i := range spec.Network.Credit {
			spec.Network.Credit[i].Customer = ""
		}
	}
	// A soak runs for years of virtual time (a day a second by default):
	// its rate card stays valid as long as it runs, as a live operator's
	// catalog is kept up to date.
	off := spec.Catalog.Offerings[pop.Offering]
	for i := range off.RateCards {
		if off.RateCards[i].ID == pop.RateCard {
			off.RateCards[i].To = "9999-12-31"
		}
	}
	sc := &scenarios.Scenario{Name: spec.Name, Spec: spec}
	db := o.db
	if db == "" {
		dir, err := os.MkdirTemp("", "ordertwin-soak-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "soak.db")
	} else if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("bench: --db %s exists: a soak needs a new store", db)
	}
	clockOpt := serveClockOptions{scale: o.scale, scaleSet: true, approvals: "twin", retention: o.retention, retentionSet: true}
	runtime.GC()
	debug.FreeOSMemory()

	rep := &soakReport{Orders: o.orders, Rate: o.rate, Scale: o.scale, Churn: o.churn}
	sys, st, clock, err := resume(ctx, sc, db, clockOpt, scenarios.Options{}, log)
	if err != nil {
		return nil, fmt.Errorf("bench: --soak: %w", err)
	}
	var n soakCounts
	sys.Engine.Observe(n.observe)
	sys.Engine.LogTo(log)
	engineCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() { engineDone <- sys.Engine.Serve(engineCtx) }()

	limited, cancel := context.WithTimeout(ctx, o.limit)
	defer cancel()
	var ch *churn
	if o.churn > 0 {
		ch = newChurn(o.churn, pop.SitesPerCustomer, sys.Engine, log)
		sys.Engine.Observe(ch.observe)
		go ch.run(limited)
	}
	began := time.Now()
	var lastWall time.Duration
	var lastROIs int64
	fmt.Fprintf(stdout, "%8s %8s %9s %8s %9s %9s %9s %12s %10s %10s\n", "placed", "done", "in flight", "wall", "RSS MiB", "heap MiB", "live MiB", "lag", "ROI/s", "store MiB")
	measure := func() error {
		var behind time.Duration
		// The engine serves until the soak stops it: it answers between
		// two steps.
		qctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sys.Engine.Query(qctx, func() { behind = sys.Engine.Behind() }); err != nil {
			return fmt.Errorf("bench: soak: lag: %w", err)
		}
		wall := time.Since(began)
		rois := n.rois.Load()
		row := soakRow{Wall: wall.Seconds(), Placed: int(n.placed.Load()), Completed: int(n.completed.Load()),
			Finished: int(n.finished.Load()), Lag: behind.Seconds(),
			ROIRate: float64(rois-lastROIs) / (wall - lastWall).Seconds(), Store: storeSize(db)}
		row.InFlight = row.Placed - row.Finished
		if ch != nil {
			row.Disconnected = int(ch.disconnected.Load())
		}
		row.RSS, row.Heap = memory()
		row.Live = liveHeap()
		lastWall, lastROIs = wall, rois
		rep.Rows = append(rep.Rows, row)
		fmt.Fprintf(stdout, "%8d %8d %9d %8s %9.1f %9.1f %9.1f %12s %10.0f %10.1f\n", row.Placed, row.Completed, row.InFlight,
			wall.Round(time.Second/10), mib(row.RSS), mib(row.Heap), mib(row.Live), time.Duration(row.Lag*float64(time.Second)).Round(time.Millisecond),
			row.ROIRate, mib(uint64(row.Store)))
		return nil
	}

	// Orders are placed at their time on the wall clock, each by a
	// goroutine of its own, as many clients would.
	placedEvery := make(chan struct{}, 1)
	var clients sync.WaitGroup
	place := func(c int, before *slotFreed) {
		defer clients.Done()
		var p scenarios.Placement
		var err error
		if ch == nil {
			p, err = pop.Placement(c, clock.Present())
		} else if ch.wait(limited, c, before) {
			p, err = ch.placement(pop, c, clock.Present())
		} else {
			return
		}
		if err == nil {
			err = placeOrder(sys.Engine, p)
		}
		if err != nil {
			n.refused.Add(1)
			log.Warn("soak: order not placed", "order", p.OrderID, "err", err.Error())
			if ch != nil {
				ch.free(c, true) // its sites were not taken
			}
			return
		}
		if n.placed.Add(1)%int64(o.every) == 0 {
			placedEvery <- struct{}{}
		}
	}
	var failure error
	rows := make(chan struct{})
	go func() {
		defer close(rows)
		for range placedEvery {
			if err := measure(); err != nil && failure == nil {
				failure = err
			}
		}
	}()
	interval := time.Duration(float64(time.Second) / o.rate)
	next := time.NewTimer(0)
	defer next.Stop()
dispatch:
	for c := range o.orders {
		if limited.Err() != nil {
			break
		}
		select {
		case <-limited.Done():
			break dispatch
		case <-next.C:
		}
		var before *slotFreed
		if ch != nil {
			before = ch.take(c)
		}
		clients.Add(1)
		go place(c, before)
		next.Reset(time.Until(began.Add(time.Duration(c+1) * interval)))
	}
	clients.Wait()
	close(placedEvery)
	<-rows
	// Then the orders in flight run to their end.
	wait := time.NewTicker(100 * time.Millisecond)
	defer wait.Stop()
	lastRow := time.Now()
	for n.finished.Load() < n.placed.Load() && limited.Err() == nil && failure == nil {
		select {
		case <-limited.Done():
		case <-wait.C:
			if time.Since(lastRow) >= 10*time.Second {
				failure = measure()
				lastRow = time.Now()
			}
		}
	}
	if failure == nil {
		failure = measure()
	}
	switch {
	case ctx.Err() != nil:
		rep.Stopped = "interrupted"
	case limited.Err() != nil:
		rep.Stopped = "--max-duration " + o.limit.String() + " reached"
	}
	rep.Refused = int(n.refused.Load())
	if ch != nil {
		rep.Waited, rep.Lost, rep.Skipped = int(ch.waited.Load()), int(ch.lost.Load()), int(ch.skipped.Load())
		fmt.Fprintf(stdout, "churn: %d sites disconnected; %d orders waited for their sites, %d slots lost, %d orders skipped\n",
			ch.disconnected.Load(), rep.Waited, rep.Lost, rep.Skipped)
	}

	stopEngine()
	if err := <-engineDone; err != nil && !errors.Is(err, context.Canceled) && failure == nil {
		failure = fmt.Errorf("bench: soak: engine: %w", err)
	}
	records := st.Len()
	if err := st.Close(); err != nil && failure == nil {
		failure = err
	}
	if failure != nil || ctx.Err() != nil {
		return rep, failure
	}
	sys, st = nil, nil
	runtime.GC()
	debug.FreeOSMemory()
	r, err := restartOn(ctx, sc, db, clockOpt, log)
	if err != nil {
		return rep, err
	}
	r.Records = records
	rep.Restart = r
	fmt.Fprintf(stdout, "restart: ready in %s on %d records and %d inputs (%d replayed after the snapshot); RSS %.1f MiB before, %.1f MiB ready (heap %.1f MiB)\n",
		time.Duration(r.Ready*float64(time.Second)).Round(time.Millisecond), r.Records, r.Inputs, r.Replayed, mib(r.RSSBefore), mib(r.RSS), mib(r.Heap))
	return rep, nil
}

// placeOrder places p's quote, then its order naming it, as the quote and
// product order APIs do for a client that keys its requests: the quote and
// the order each with an Idempotency-Key, the order with an externalId.
func placeOrder(e *engine.Engine, p scenarios.Placement) error {
	q := p.Quote
	q.Key = "soak quote " + p.OrderID
	reply, err := e.Command(context.Background(), engine.COM, q)
	if err != nil {
		return fmt.Errorf("quote %s: %w", p.Quote.ID, err)
	}
	quote, ok := reply.(com.Placed)
	if !ok {
		return fmt.Errorf("quote %s: COM answered %v", p.Quote.ID, reply)
	}
	po := com.NewOrder(p.OrderID, p.Quote, quote.ID)
	po.ExternalID = p.OrderID
	reply, err = e.Command(context.Background(), engine.COM, com.OrderRequest{Order: po, Key: "soak order " + p.OrderID})
	if err != nil {
		return fmt.Errorf("order %s: %w", p.OrderID, err)
	}
	if _, ok := reply.(com.Placed); !ok {
		return fmt.Errorf("order %s: COM answered %v", p.OrderID, reply)
	}
	return nil
}

// restartOn starts a server again on the store db as serve does (resume),
// serves it and times it until it is ready: its engine answers a query and
// its store can write. Then it stops it.
func restartOn(ctx context.Context, sc *scenarios.Scenario, db string, co serveClockOptions, log *slog.Logger) (*restart, error) {
	r := &restart{}
	r.RSSBefore, _ = memory()
	began := time.Now()
	sys, st, _, err := resume(ctx, sc, db, co, scenarios.Options{}, log)
	if err != nil {
		return nil, fmt.Errorf("bench: soak: restart: %w", err)
	}
	defer st.Close()
	engineCtx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(engineCtx) }()
	var inputs uint64
	err = sys.Engine.Query(ctx, func() { inputs = sys.Engine.Processed() })
	if err == nil {
		if f := sys.Engine.StoreFault(); f != nil {
			err = f
		}
	}
	r.Ready = time.Since(began).Seconds()
	r.Inputs, r.Replayed = inputs, inputs
	if snap, ok, serr := st.LatestSnapshot(); serr == nil && ok {
		r.Replayed = inputs - min(inputs, snap.Inputs)
	}
	r.RSS, r.Heap = memory()
	stop()
	if serr := <-done; err == nil && serr != nil && !errors.Is(serr, context.Canceled) {
		err = serr
	}
	if err != nil {
		return nil, fmt.Errorf("bench: soak: restart: %w", err)
	}
	return r, nil
}

// memory is the process's resident set (VmRSS of /proc/self/status, 0
// where there is none) and its Go heap in use.
func memory() (rss, heap uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return residentSet(), m.HeapInuse
}

// liveHeap is the heap the last garbage collection found live.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// residentSet is VmRSS of /proc/self/status in bytes, 0 where there is no
// such file.
func residentSet() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// storeSize is the size on disk of the SQLite file db and its WAL.
func storeSize(db string) int64 {
	var size int64
	for _, f := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	return size
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
