//go:build !linux

package main

import (
	"os"
	"os/exec"
)

func helperAttrs(*exec.Cmd) {}

func lowerPriority(int) {}

func idleScheduling() error { return nil }

func helperProgram() (string, error) { return os.Executable() }
