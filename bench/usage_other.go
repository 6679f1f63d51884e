//go:build !unix

package bench

// usage: this platform's use of CPU and memory is not read.
func usage() (Usage, bool) { return Usage{}, false }
