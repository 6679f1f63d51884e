package bench

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
)

// Workload builds a scenario spec of n enterprise orders shaped like the
// worked example: five sites each (a pilot, then two and two), Gold SLA,
// 500 Mbps, 36 months, every fifth site on P2P Ethernet, all placed at T+0,
// on a generated network with room for every site.
func Workload(n int) (scenarios.Spec, error) {
	p := Population(n)
	return p.Spec(fmt.Sprintf("scale-%d", n), 1, Epoch)
}

// MaxOrders is the most orders a workload takes: a population's sites,
// five an order (scenarios.MaxPopulationSites).
const MaxOrders = scenarios.MaxPopulationSites / 5

// Population is the workload's population of n customers, one order each.
func Population(n int) *scenarios.Population {
	return &scenarios.Population{Customers: n, SitesPerCustomer: 5, Offering: "PO-EFCG-01", SLA: "Gold",
		Speed: "500M-sym", Term: 36, RateCard: "RC-ENT-2024-NEG", Price: 1800, P2PEvery: 5,
		Waves: []scenarios.PopulationWave{{Name: "Pilot", Sites: 1, Target: "P14D"},
			{Name: "Wave 1", Sites: 2, Target: "P30D"}, {Name: "Wave 2", Sites: 2, Target: "P45D"}},
		Network: scenarios.PopulationNetwork{Regions: []string{"MEL", "SYD", "BNE"}, SitesPerArea: 200}}
}

// Epoch is the workload's T+0.
var Epoch = time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)

// Result is what one run of a workload measured.
type Result struct {
	Orders             int
	ResourceOrderItems int
	Completed          int
	Wall               time.Duration
	ItemsPerSecond     float64
	HeapAlloc          uint64 // bytes live after the run
	TotalAlloc         uint64 // bytes allocated during the run
	// Usage is what the run used of the machine, when HasUsage (read on
	// Unix).
	Usage    Usage
	HasUsage bool
}

// Usage is what a run used of the machine: the process's CPU time, in
// its own code (User) and in the kernel's on its behalf (System), and the
// minor page faults it took (Faults: memory it touched for the first
// time, which the kernel found and zeroed). A run whose System and Faults
// are high paid for fresh memory, which on a virtual machine costs more
// when its host has not backed that memory lately; compare the ROI/s of
// runs whose System is alike.
type Usage struct {
	User, System time.Duration
	Faults       int64
}

// Run builds and runs the workload of n orders once on the in-memory
// journal, measuring it, until ctx ends (its error then).
func Run(ctx context.Context, n int) (Result, error) { return RunOn(ctx, n, nil) }

// RunOn is Run with the journal j (a durable store), or in memory when
// nil.
func RunOn(ctx context.Context, n int, j store.Journal) (Result, error) {
	spec, err := Workload(n)
	if err != nil {
		return Result{}, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	used, hasUsage := usage()
	start := time.Now()
	sys, err := scenarios.New(spec, scenarios.Options{Journal: j})
	if err != nil {
		return Result{}, err
	}
	if err := sys.Run(ctx); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	wall := time.Since(start)
	res := Result{Orders: n, Wall: wall}
	if now, ok := usage(); ok && hasUsage {
		res.HasUsage = true
		res.Usage = Usage{User: now.User - used.User, System: now.System - used.System, Faults: now.Faults - used.Faults}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	res.HeapAlloc, res.TotalAlloc = after.HeapAlloc, after.TotalAlloc-before.TotalAlloc
	for _, ro := range sys.ROM.Orders() {
		res.ResourceOrderItems += len(ro.Items)
	}
	for _, po := range sys.COM.Orders() {
		if po.State == "completed" {
			res.Completed++
		}
	}
	res.ItemsPerSecond = float64(res.ResourceOrderItems) / wall.Seconds()
	runtime.KeepAlive(sys)
	return res, nil
}
