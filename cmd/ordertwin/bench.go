package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/bench"
)

func benchCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	orders := fs.String("orders", "1000", "comma-separated order counts; each order has 5 sites and 30 resource order items")
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
		r, err := bench.Run(n)
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
