// Package load is an open-loop load generator's measuring half: arrivals
// due at times a profile gives (a fixed rate, a ramp, steps), each handed
// to an operation at its time whatever the operations before it are doing,
// and the latency of every request counted from when it was due, not from
// when it was sent (a late send still counts from its due time: no
// coordinated omission). Latencies go into log-linear histograms per
// operation and per window of time; the Report is what a run measured, in
// a JSON shape a later run compares with (Compare).
//
// The package knows nothing of HTTP or TMF: `ordertwin load` gives it the
// operations (a quote then an order, a change, a cancellation, a read).
// Bounds: at most MaxInFlight operations run at once (an arrival due while
// that many run is dropped, and counted as an error "dropped"), one
// goroutine each, and a run stops at MaxDuration whatever is in flight.
package load
