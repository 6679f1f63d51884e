package main

import (
	"os"
	"runtime/debug"
)

// prepareBatch, when set, prepares the process for a batch command: main
// sets it to batchMemory. Tests leave it nil: they run every command in
// one process, whose collector a command must not turn off.
var prepareBatch func(retains bool)

// batchMemory sets up the memory of a batch command (run on the virtual
// clock, bench without --soak), which exits when done: its heap is backed
// by huge pages where Linux gives them (hugeHeap), and when it retains
// what it allocates its collector waits (batchCollector).
func batchMemory(retains bool) {
	batchCollector(retains)
	_ = hugeHeap() // advice only: refused, the run is only slower
}

// batchCollector sets the collector of a batch command. One that retains
// what it allocates (every order stays in memory until it exits: 1,000
// orders are about 100 MB live of 165 MB allocated) has its collector off
// until the heap reaches half of the memory the process may use
// (memoryLimit), unless GOGC or GOMEMLIMIT is set: each early collection
// would mark a growing heap to free little, and without them the national
// rollout takes about 0.15 s less CPU for about 7% more resident memory.
// A run larger than the limit is collected as the limit requires. One
// whose orders leave memory (run --retention) keeps the collector as it
// is: what leaves goes to the shelf and its report reads it all back, and
// with the collector off that garbage was fresh pages (the national
// rollout at --retention P7D: 6.7–7.3 CPU s, 5.5–6.2 s and 1.46 GB
// resident, against 3.4–4.4 CPU s, 2.5–3.4 s and 640–700 MB).
func batchCollector(retains bool) {
	if !retains || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if limit := memoryLimit(); limit > 0 {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(-1)
	}
}
