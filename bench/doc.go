// Package bench holds the load and scale workloads of ordertwin and their
// benchmarks: many enterprise orders of the worked example's shape through
// the whole stack (COM, SOM, ROM, twin) in virtual time with the in-memory
// store. `ordertwin bench` runs the same workloads from the command line;
// `ordertwin bench --soak` places their orders live, one customer at a time
// (Population, scenarios.Population.Placement), on a server's durable store.
package bench
