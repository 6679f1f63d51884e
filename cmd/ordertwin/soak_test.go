package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tiny soak on the wall clock: every order placed completes, each row
// measures the process and the store, and the server restarts on its
// store. Its timings are not asserted (a wall-clock run on a shared
// machine), only what it counts.
func TestBenchSoak(t *testing.T) {
	dir := t.TempDir()
	report, db := filepath.Join(dir, "soak.json"), filepath.Join(dir, "soak.db")
	out, err := cli("bench", "--soak", "--orders", "20", "--rate", "1000", "--scale", "10000000", "--every", "5",
		"--db", db, "--json", report)
	require.NoError(t, err, out)
	assert.Contains(t, out, "placed")
	assert.Contains(t, out, "restart: ready in")

	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep soakReport
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 20, rep.Orders)
	assert.Equal(t, 0, rep.Refused)
	assert.Empty(t, rep.Stopped)
	// A row every 5 orders placed, then one when all have finished.
	require.Len(t, rep.Rows, 5)
	for i, row := range rep.Rows {
		assert.Positive(t, row.RSS, "row %d", i)
		assert.Positive(t, row.Heap, "row %d", i)
		assert.Positive(t, row.Live, "row %d", i)
		assert.Positive(t, row.Store, "row %d", i)
		assert.GreaterOrEqual(t, row.Lag, 0.0, "row %d", i)
		assert.Equal(t, row.Placed-row.Finished, row.InFlight, "row %d", i)
		assert.LessOrEqual(t, row.Completed, row.Finished, "row %d", i)
		if i < 4 {
			assert.GreaterOrEqual(t, row.Placed, 5*(i+1), "row %d", i)
		}
	}
	last := rep.Rows[4]
	assert.Equal(t, 20, last.Placed)
	assert.Equal(t, 20, last.Completed)
	assert.Equal(t, 0, last.InFlight)

	require.NotNil(t, rep.Restart)
	assert.Positive(t, rep.Restart.Ready)
	assert.Positive(t, rep.Restart.RSS)
	assert.Positive(t, rep.Restart.RSSBefore)
	assert.Positive(t, rep.Restart.Inputs)
	assert.Zero(t, rep.Restart.Replayed, "the stop took a snapshot: the restart replays nothing")
	// The store kept (--db) holds the run the restart replayed: 20 quotes
	// and 20 orders taken as commands.
	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	assert.Equal(t, st.Len(), rep.Restart.Records)
	inputs, err := st.Inputs()
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, in := range inputs {
		kinds[in.Kind]++
	}
	assert.Equal(t, map[string]int{"com.QuoteRequest": 20, "com.OrderRequest": 20}, kinds)
}

// An interrupted soak stops with the rows so far, and no restart.
func TestBenchSoakInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	rep, err := soak(ctx, soakOptions{orders: 10, rate: 1000, scale: 1e7, every: 5, limit: 60e9}, &out, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, "interrupted", rep.Stopped)
	assert.Nil(t, rep.Restart)
	require.Len(t, rep.Rows, 1)
	assert.Zero(t, rep.Rows[0].Placed)
	assert.Contains(t, out.String(), "placed")
}

// An interrupted soak did not complete every order: it exits 1, saying
// so, its report so far written.
func TestBenchSoakInterruptedFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	report := filepath.Join(t.TempDir(), "x.json")
	var out strings.Builder
	err := soakCmd(ctx, soakOptions{orders: 10, rate: 1000, scale: 1e7, every: 5, limit: 60e9}, report, &out, &out)
	assert.Equal(t, 1, status(err), out.String())
	assert.ErrorContains(t, err, "soak interrupted: 0 of 10 orders placed")
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep soakReport
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, "interrupted", rep.Stopped)
}

// Bad flags are refused, naming what is wrong, before anything runs.
func TestBenchSoakRefusesBadFlags(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "taken.db")
	require.NoError(t, os.WriteFile(existing, nil, 0o644))
	for args, want := range map[string]string{
		"--soak --orders 10,20":              `--soak --orders: "10,20" is not a positive number`,
		"--soak --rate 0":                    "--rate 0: want orders a second, above 0 and at most 1000000",
		"--soak --rate NaN":                  "--rate NaN: want orders a second",
		"--soak --rate +Inf":                 "--rate +Inf: want orders a second",
		"--soak --orders 200001":             "--soak --orders: 200001: want at most 200000 (five sites an order)",
		"--orders 100,200001":                "--orders: 200001: want at most 200000 (five sites an order)",
		"--soak --scale -1":                  "--scale -1: want the virtual seconds a real second, a number above 0",
		"--soak --every -2":                  "--every -2",
		"--soak --max-duration 0s":           "--max-duration 0s",
		"--rate 10":                          "--rate goes with --soak",
		"--soak --durable --orders 5":        "--soak --durable: a soak is on a durable store always",
		"--soak --orders 5 --db " + existing: "exists: a soak needs a new store",
		"--soak --orders 5 --json " + filepath.Join(filepath.Dir(existing), "no", "x.json"): "--json: open",
	} {
		out, err := cli(append([]string{"bench"}, strings.Fields(args)...)...)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), want, args)
		assert.Equal(t, 2, status(err), args)
		assert.NotContains(t, out, "restart", args)
	}
}

// A soak with churn: a network of four customers' sites carries twelve
// orders, each placed on its slot's sites once the order before it there
// has completed and had every site disconnected.
func TestBenchSoakChurn(t *testing.T) {
	dir := t.TempDir()
	report, db := filepath.Join(dir, "soak.json"), filepath.Join(dir, "soak.db")
	out, err := cli("bench", "--soak", "--orders", "12", "--churn", "4", "--rate", "1000", "--scale", "10000000", "--every", "4",
		"--db", db, "--json", report)
	require.NoError(t, err, out)
	assert.Contains(t, out, "churn: ")

	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep soakReport
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 4, rep.Churn)
	assert.Zero(t, rep.Lost)
	assert.Zero(t, rep.Skipped)
	last := rep.Rows[len(rep.Rows)-1]
	assert.Equal(t, 12, last.Placed)
	assert.Equal(t, 12, last.Completed, "every order completed on sites used before it")
	assert.GreaterOrEqual(t, last.Disconnected, 8*5, "the sites of the first eight orders were disconnected for the last eight")

	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	inputs, err := st.Inputs()
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, in := range inputs {
		kinds[in.Kind]++
	}
	assert.Equal(t, 12, kinds["com.OrderRequest"])
	assert.GreaterOrEqual(t, kinds["com.Remove"], 8*5)
}

// --churn is a number of customers, with --soak only.
func TestBenchChurnFlag(t *testing.T) {
	out, err := cli("bench", "--soak", "--orders", "5", "--churn", "-1")
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "--churn -1")
	out, err = cli("bench", "--orders", "5", "--churn", "3")
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "--churn goes with --soak")
}
