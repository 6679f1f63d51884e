//go:build !linux

package main

// hugeHeap asks for huge pages on Linux only (heap_linux.go).
func hugeHeap() error { return nil }
