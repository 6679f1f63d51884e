package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ordertwin/ordertwin/scenarios"
)

func whatifCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("whatif", flag.ContinueOnError)
	runs := fs.Int("runs", 1000, "how many runs")
	cv := fs.Float64("cv", 0.25, "coefficient of variation of every duration (0: exact durations)")
	seed := fs.Int64("seed", -1, "first run's seed (run i uses seed+i); default the scenario's")
	workers := fs.Int("workers", 0, "runs in parallel (0: one per CPU)")
	format := fs.String("format", "text", "text or json")
	sc, err := seededScenarioArg(fs, args, seed)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("whatif: --format %q: want text or json", *format)
	}
	if *runs <= 0 || *runs > maxWhatIfRuns {
		return fmt.Errorf("whatif: --runs %d: want 1 to %d", *runs, maxWhatIfRuns)
	}
	if *workers < 0 {
		return fmt.Errorf("whatif: --workers %d: want the runs in parallel, 1 or more (0: one per CPU)", *workers)
	}
	if !(*cv >= 0 && *cv <= 2) { // NaN too
		return fmt.Errorf("whatif: --cv %g: want 0 (exact durations) to 2", *cv)
	}
	if *seed >= 0 {
		sc.Spec.Seed = uint64(*seed)
	}
	opt := scenarios.WhatIfOptions{Runs: *runs, CV: *cv, Workers: *workers}
	if isTerminal(stderr) {
		opt.Progress = progressBar(stderr)
	}
	r, err := sc.WhatIf(ctx, opt)
	if err != nil && ctx.Err() != nil {
		return &exitError{1, errors.New("whatif: interrupted: no report")}
	}
	if err != nil {
		return &exitError{1, err}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	return scenarios.WriteWhatIf(stdout, r)
}

// maxWhatIfRuns bounds --runs: each run's outcome is kept until all are
// done (a million runs of a small scenario take some hundreds of MB).
const maxWhatIfRuns = 1_000_000

// isTerminal tells whether w is a terminal, where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws runs done on one line of w.
func progressBar(w io.Writer) func(done, total int) {
	last := -1
	return func(done, total int) {
		pct := 100 * done / total
		if pct == last && done != total {
			return
		}
		last = pct
		n := 40 * done / total
		fmt.Fprintf(w, "\r[%s%s] %3d%% %d/%d runs", strings.Repeat("#", n), strings.Repeat(".", 40-n), pct, done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
