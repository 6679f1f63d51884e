package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/bench"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	orders := fs.String("orders", "1000", "comma-separated order counts; each order has 5 sites and 30 resource order items")
	durable := fs.Bool("durable", false, "journal each run into a new SQLite file (the durable store), removed afterwards; or, with --db postgres://…, into a new schema of that database, dropped afterwards")
	soakMode := fs.Bool("soak", false, "place --orders orders live at --rate a second on the wall clock, on a server's durable store, then restart it")
	rate := fs.Float64("rate", 50, "with --soak: orders placed per wall-clock second")
	scale := fs.Float64("scale", 86400, "with --soak: virtual seconds per real second (86400: a day a second)")
	every := fs.Int("every", 0, "with --soak: a row every this many orders placed (default a tenth of --orders)")
	db := fs.String("db", "", "with --soak: the store, a new SQLite file, kept (default: one in a temporary directory, removed afterwards); with --durable: a PostgreSQL database (postgres://…) to run on instead of SQLite")
	limit := fs.Duration("max-duration", time.Hour, "with --soak: stop placing and waiting after this long, then restart")
	jsonOut := fs.String("json", "", "with --soak: also write the report as JSON to this file")
	churnSlots := fs.Int("churn", 0, "with --soak: a network of this many customers' sites, each order's sites disconnected once it completes and reused by a later order (the steady state of a live service); 0: a customer and sites of its own for every order")
	retention := fs.String("retention", tmf.FormatOffset(defaultRetention), "with --soak: how long (virtual time, ISO 8601) a finished product, service or resource order stays in memory, as serve --retention")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errors.New("bench: takes no arguments")
	}
	if *soakMode && postgres.IsURL(*db) {
		return fmt.Errorf("bench: --soak --db %s: a soak runs on a SQLite file", storeName(*db))
	}
	if *soakMode && *durable {
		return errors.New("bench: --soak --durable: a soak is on a durable store always (--db FILE, or a new one); --durable is for the in-memory runs")
	}
	if *soakMode {
		o := soakOptions{rate: *rate, scale: *scale, every: *every, db: *db, limit: *limit, churn: *churnSlots}
		n, err := strconv.Atoi(*orders)
		keep, kerr := tmf.ParseOffset(*retention)
		switch {
		case kerr != nil || keep < 0:
			return fmt.Errorf("bench: --retention %q: want a duration such as P7D or PT12H", *retention)
		case err != nil || n <= 0:
			return fmt.Errorf("bench: --soak --orders: %q is not a positive number", *orders)
		case n > bench.MaxOrders:
			return fmt.Errorf("bench: --soak --orders: %d: want at most %d (five sites an order)", n, bench.MaxOrders)
		case !(o.rate > 0) || o.rate > maxSoakRate: // NaN too
			return fmt.Errorf("bench: --rate %g: want orders a second, above 0 and at most %d", o.rate, maxSoakRate)
		case checkScale("bench", o.scale) != nil:
			return checkScale("bench", o.scale)
		case o.every < 0:
			return fmt.Errorf("bench: --every %d: want a positive number of orders", o.every)
		case o.limit <= 0:
			return fmt.Errorf("bench: --max-duration %s: want a positive duration", o.limit)
		case o.churn < 0:
			return fmt.Errorf("bench: --churn %d: want a number of customers above 0 (0: no churn)", o.churn)
		}
		o.orders, o.retention = n, keep
		if o.every == 0 {
			o.every = max(n/10, 1)
		}
		if err := writable("bench", map[string]string{"json": *jsonOut}); err != nil {
			return err
		}
		return soakCmd(ctx, o, *jsonOut, stdout, stderr)
	}
	for _, name := range []string{"rate", "scale", "every", "db", "max-duration", "json", "retention", "churn"} {
		if flagSet(fs, name) && (name != "db" || !*durable) {
			return fmt.Errorf("bench: --%s goes with --soak", name)
		}
	}
	if *durable && *db != "" && !postgres.IsURL(*db) {
		return fmt.Errorf("bench: --durable --db %q: want a PostgreSQL URL (postgres://…); without --db each run has a SQLite file of its own", *db)
	}
	var counts []int
	for _, s := range strings.Split(*orders, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bench: --orders: %q is not a positive number", s)
		}
		if n > bench.MaxOrders {
			return fmt.Errorf("bench: --orders: %d: want at most %d (five sites an order)", n, bench.MaxOrders)
		}
		counts = append(counts, n)
	}
	if prepareBatch != nil {
		prepareBatch(true)
	}
	fmt.Fprintf(stdout, "%8s %8s %10s %10s %12s %12s %12s %12s %8s %8s %9s\n", "orders", "sites", "ROIs", "wall", "ROI/s", "heap MiB", "heap B/ROI",
		"alloc B/ROI", "user s", "system s", "faults")
	for _, n := range counts {
		r, err := runBench(ctx, n, *durable, *db)
		if ctx.Err() != nil {
			return &exitError{1, fmt.Errorf("bench: interrupted during the run of %d orders: the rows above are the runs done", n)}
		}
		if err != nil {
			return err
		}
		if r.Completed != n {
			return fmt.Errorf("bench: only %d of %d orders completed", r.Completed, n)
		}
		rois := float64(r.ResourceOrderItems)
		fmt.Fprintf(stdout, "%8d %8d %10d %10s %12.0f %12.1f %12.0f %12.0f %s\n", n, 5*n, r.ResourceOrderItems,
			r.Wall.Round(1e6), r.ItemsPerSecond, float64(r.HeapAlloc)/(1<<20), float64(r.HeapAlloc)/rois, float64(r.TotalAlloc)/rois, usageColumns(r))
	}
	return nil
}

// maxSoakRate is the most orders a second a soak places.
const maxSoakRate = 1_000_000

// usageColumns are a run's CPU seconds, user and system, and its page
// faults, or dashes where they were not read.
func usageColumns(r bench.Result) string {
	if !r.HasUsage {
		return fmt.Sprintf("%8s %8s %9s", "-", "-", "-")
	}
	return fmt.Sprintf("%8.2f %8.2f %9d", r.Usage.User.Seconds(), r.Usage.System.Seconds(), r.Usage.Faults)
}

// soakCmd runs a soak (bench --soak), prints its rows and writes its
// JSON report to jsonOut when given. It fails (exit 1) unless every order
// was placed and completed: an interrupted soak too, with its report so
// far written.
func soakCmd(ctx context.Context, o soakOptions, jsonOut string, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := soak(ctx, o, stdout, log)
	if rep != nil && jsonOut != "" {
		b, jerr := json.MarshalIndent(rep, "", "  ")
		if jerr == nil {
			jerr = os.WriteFile(jsonOut, append(b, '\n'), 0o644)
		}
		if jerr != nil {
			return errors.Join(err, fmt.Errorf("bench: --json: %w", jerr))
		}
	}
	if err != nil {
		return err
	}
	var last soakRow
	if len(rep.Rows) > 0 {
		last = rep.Rows[len(rep.Rows)-1]
	}
	if rep.Stopped != "" || rep.Refused > 0 || last.Completed != last.Placed || last.Placed != o.orders {
		why := rep.Stopped
		if why == "" {
			why = "finished"
		}
		return &exitError{1, fmt.Errorf("bench: soak %s: %d of %d orders placed (%d refused), %d completed", why, last.Placed, o.orders, rep.Refused, last.Completed)}
	}
	return nil
}

// runBench runs the workload of n orders, journalled into a new SQLite
// file when durable, or into a new schema of the PostgreSQL database at
// db when given.
func runBench(ctx context.Context, n int, durable bool, db string) (bench.Result, error) {
	if !durable {
		return bench.Run(ctx, n)
	}
	if db != "" {
		return runBenchOnPostgres(ctx, n, db)
	}
	dir, err := os.MkdirTemp("", "ordertwin-bench-")
	if err != nil {
		return bench.Result{}, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(filepath.Join(dir, "journal.db"), sqlite.Options{})
	if err != nil {
		return bench.Result{}, err
	}
	defer st.Close()
	return bench.RunOn(ctx, n, st)
}

// runBenchOnPostgres runs the workload of n orders journalled into a new
// schema of the database at db, dropped afterwards.
func runBenchOnPostgres(ctx context.Context, n int, db string) (bench.Result, error) {
	schema := fmt.Sprintf("ordertwin_bench_%d", os.Getpid())
	url, err := postgres.CreateSchema(db, schema)
	if err != nil {
		return bench.Result{}, fmt.Errorf("bench: %w", err)
	}
	defer postgres.DropSchema(db, schema)
	st, err := postgres.Open(url, postgres.Options{})
	if err != nil {
		return bench.Result{}, fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	if st.Len() > 0 {
		return bench.Result{}, fmt.Errorf("bench: schema %s of %s already holds records", schema, storeName(db))
	}
	return bench.RunOn(ctx, n, st)
}
