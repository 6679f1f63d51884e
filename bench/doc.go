// Package bench holds the load and scale workloads of ordertwin and their
// benchmarks: many enterprise orders of the worked example's shape through
// the whole stack (COM, SOM, ROM, twin) in virtual time with the in-memory
// store. `ordertwin bench` runs the same workloads from the command line.
package bench
