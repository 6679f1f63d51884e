package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/bench"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

func benchCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	orders := fs.String("orders", "1000", "comma-separated order counts; each order has 5 sites and 30 resource order items")
	durable := fs.Bool("durable", false, "journal each run into a new SQLite file (the durable store), removed afterwards")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errors.New("bench: takes no arguments")
	}
	var counts []int
	for _, s := range strings.Split(*orders, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bench: --orders: %q is not a positive number", s)
		}
		counts = append(counts, n)
	}
	fmt.Fprintf(stdout, "%8s %8s %10s %10s %12s %12s %12s\n", "orders", "sites", "ROIs", "wall", "ROI/s", "heap MiB", "heap B/ROI")
	for _, n := range counts {
		r, err := runBench(n, *durable)
		if err != nil {
			return err
		}
		if r.Completed != n {
			return fmt.Errorf("bench: only %d of %d orders completed", r.Completed, n)
		}
		fmt.Fprintf(stdout, "%8d %8d %10d %10s %12.0f %12.1f %12.0f\n", n, 5*n, r.ResourceOrderItems,
			r.Wall.Round(1e6), r.ItemsPerSecond, float64(r.HeapAlloc)/(1<<20), float64(r.HeapAlloc)/float64(r.ResourceOrderItems))
	}
	return nil
}

// runBench runs the workload of n orders, journalled into a new SQLite
// file when durable.
func runBench(n int, durable bool) (bench.Result, error) {
	if !durable {
		return bench.Run(n)
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
	return bench.RunOn(n, st)
}
