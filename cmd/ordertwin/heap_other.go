//go:build !linux

package main

// hugeHeap asks for huge pages on Linux only (heap_linux.go).
func hugeHeap() error { return nil }

// pretouchHeap makes the heap resident ahead of use on Linux only
// (heap_linux.go).
func pretouchHeap(int) (populated func()) { return func() {} }

// memoryLimit is not known here: batch commands keep gcPercent.
func memoryLimit() int64 { return 0 }
