// Package chaos is the judging half of a failure run (`ordertwin chaos`):
// a seeded schedule of faults over a run's length, what each fault cost,
// and the verdict computed from what the server's APIs and journal say
// once the run is over, not from its logs. The command gives it the
// processes, the load and the HTTP.
package chaos
