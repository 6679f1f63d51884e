// Package bench holds the load and scale workloads of ordertwin and their
// benchmarks: many enterprise orders of the worked example's shape through
// the whole stack (COM, SOM, ROM, twin) in virtual time with the in-memory
// store. `ordertwin bench` runs the same workloads from the command line;
// `ordertwin bench --soak` places their orders live, one customer at a time
// (Population, scenarios.Population.Placement), on a server's durable store.
// RunLive (BenchmarkLive2000, BenchmarkLive5000) serves concurrent 25-site
// orders on the wall clock on the durable store, as `ordertwin serve`
// does, and measures how far the engine's virtual time falls behind.
package bench
