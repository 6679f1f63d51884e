package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	clock := fs.String("clock", "virtual", "virtual (jump to the next event) or wall (real time, see --scale)")
	scale := fs.Float64("scale", 86400, "wall clock only: virtual seconds per real second")
	seed := fs.Int64("seed", -1, "override the scenario's seed")
	db := fs.String("db", "", "journal every record durably into this SQLite file or PostgreSQL database (postgres://…), a new or empty one, instead of memory")
	adaptersFile := fs.String("adapters", "", "the adapters file (docs/adapters.md): per system, the twin or a real adapter; a real one runs the scenario on the wall clock")
	dry := fs.Bool("dry-run", false, "with --adapters: run on the twin, and print per site and resource order item exactly what each real adapter of the file would send (docs/adapters.md, \"Dry run of a scenario\")")
	site := fs.String("site", "", "with --dry-run: only this site's calls (a site code, such as MELB)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the run to FILE")
	retention := fs.String("retention", "PT0S", "how long (virtual time, ISO 8601) a finished product, service or resource order stays in memory before it leaves for the store's shelf, as serve's --retention (such as P7D); PT0S keeps every one")
	sc, err := seededScenarioArg(fs, args, seed)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return fmt.Errorf("run: --cpuprofile: %w", err)
		}
		defer stop()
	}
	keep, err := tmf.ParseOffset(*retention)
	if err != nil || keep < 0 {
		return fmt.Errorf("run: --retention %q: want a duration such as P7D or PT12H", *retention)
	}
	if *site != "" && !*dry {
		return fmt.Errorf("run: --site is for --dry-run")
	}
	if *dry {
		for _, f := range []string{"format", "clock", "scale", "db", "retention"} {
			if flagSet(fs, f) {
				return fmt.Errorf("run: --dry-run runs on the virtual clock in memory and prints what would be sent: not with --%s", f)
			}
		}
		if *seed >= 0 {
			sc.Spec.Seed = uint64(*seed)
		}
		return dryRun(ctx, sc, *adaptersFile, *site, stdout, stderr)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("run: --format %q: want text or json", *format)
	}
	if err := checkScale("run", *scale); err != nil {
		return err
	}
	if *seed >= 0 {
		sc.Spec.Seed = uint64(*seed)
	}
	opt := scenarios.Options{Retention: keep}
	// Outside adapters log from their own goroutines, the wall clock's
	// progress from the committer's: one writer at a time.
	stderr = &lockedWriter{w: stderr}
	adapters, file, err := loadAdapters("run", *adaptersFile, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer closeAdapters(adapters)
	opt.Adapters = adapters
	if file != nil && file.Outside() {
		// A real system answers in real time.
		if flagSet(fs, "clock") && *clock != "wall" {
			return fmt.Errorf("run: --clock %s: the adapters file names systems outside this process, which answer on the wall clock", *clock)
		}
		*clock = "wall"
		// The engine waits for an outside answer as long, on its clock, as
		// the adapter may take in real time.
		opt.Deadlines = file.Deadlines(*scale, outsideTimeout)
	}
	if *db != "" {
		st, err := newJournal("run", *db)
		if err != nil {
			return err
		}
		defer st.Close()
		opt.Journal = st
		// A durable run is one to audit: the twin's approvals are signed,
		// by keys kept in the file.
		if opt.StageKeys, err = stageKeys(st, true); err != nil {
			return err
		}
		if opt.Owner, err = storeOwner(st, true); err != nil {
			return err
		}
	}
	if file != nil && opt.Owner == "" {
		opt.Owner = newOwner() // the store is this run's memory
	}
	switch *clock {
	case "virtual":
		if prepareBatch != nil {
			prepareBatch(keep == 0)
		}
	case "wall":
		opt.Clock = engine.NewWall(*scale)
		opt.Progress = func(row scenarios.TimelineRow) {
			entity := row.Entity
			if row.Name != "" && row.Name != row.Entity {
				entity = row.Name + " (" + row.Entity + ")"
			}
			fmt.Fprintf(stderr, "%-10s %-34s %-24s %s\n", scenarios.When(row.At), entity, row.System, row.State)
		}
	default:
		return fmt.Errorf("run: --clock %q: want virtual or wall", *clock)
	}
	r, err := sc.Run(ctx, opt)
	if err != nil {
		return &exitError{1, err}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	} else {
		err = scenarios.WriteText(stdout, r)
	}
	if err != nil {
		return err
	}
	if !r.Expectations.OK() {
		return &exitError{1, fmt.Errorf("%d expectation(s) failed", len(r.Expectations.Failed))}
	}
	return nil
}

func checkCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	sc, err := scenarioArg(fs, args)
	if err != nil {
		return err
	}
	offered := ""
	if n := len(sc.Spec.Offers); n > 0 {
		offered = fmt.Sprintf(", %d for the APIs to place", n)
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %d order(s)%s)\n", sc.Path, sc.Name, len(sc.Spec.Orders), offered)
	return nil
}

func lifecycleCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("lifecycle", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		width := 0
		for _, k := range lifecycle.Kinds() {
			width = max(width, len(string(k)))
		}
		for _, k := range lifecycle.Kinds() {
			fmt.Fprintf(stdout, "%-*s %s\n", width, k, strings.Join(lifecycle.States(k), ", "))
		}
		return nil
	case 1:
		k, err := lifecycle.Parse(pos[0])
		if err != nil {
			return err
		}
		m, err := lifecycle.Mermaid(k)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, m)
		return nil
	}
	return errors.New("lifecycle: want at most one NAME")
}

// newJournal opens the durable store for a new run of command cmd: a file
// that already holds records (another run's) is refused, and left alone.
func newJournal(cmd, file string) (store.Durable, error) {
	st, err := openStore(file, nil)
	if err != nil {
		return nil, err
	}
	if n := st.Len(); n > 0 {
		st.Close()
		return nil, fmt.Errorf("%s: --db %s already holds %d records of another run: give a new file or database", cmd, storeName(file), n)
	}
	return st, nil
}

// scenarioArg parses a command's flags and its one argument, a scenario
// FILE, and loads the file.
// checkScale refuses a --scale that is not a speed of the wall clock: 0,
// a negative number, NaN or an infinity (a wall clock took each as
// real time, one virtual second a second).
func checkScale(cmd string, scale float64) error {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("%s: --scale %g: want the virtual seconds a real second, a number above 0 (86400: a day a second)", cmd, scale)
	}
	return nil
}

func scenarioArg(fs *flag.FlagSet, args []string) (*scenarios.Scenario, error) {
	return seededScenarioArg(fs, args, nil)
}

// seededScenarioArg is scenarioArg with the seed of the flag seed, when it
// is 0 or more, in place of the file's: given before the scenario is
// built, so that every draw it makes (a selector's share) is of it.
func seededScenarioArg(fs *flag.FlagSet, args []string, seed *int64) (*scenarios.Scenario, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, fmt.Errorf("%s: want exactly one scenario FILE", fs.Name())
	}
	// A name of the library built in (live/population.yaml), as serve,
	// load and chaos take it, when no file has that name.
	library := false
	if _, err := os.Stat(pos[0]); errors.Is(err, iofs.ErrNotExist) {
		_, lerr := iofs.Stat(scenarios.Library, pos[0])
		library = lerr == nil
	}
	switch {
	case library && seed != nil && *seed >= 0:
		return scenarios.LoadLibrarySeeded(pos[0], uint64(*seed))
	case library:
		return scenarios.LoadLibrary(pos[0])
	case seed != nil && *seed >= 0:
		return scenarios.LoadSeeded(pos[0], uint64(*seed))
	}
	return scenarios.Load(pos[0])
}

// lockedWriter lets several goroutines write to w, one at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
