//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing here: only Linux ends a child with its
// parent (Pdeathsig).
func dieWithParent(*exec.Cmd) {}
