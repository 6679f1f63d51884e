//go:build !linux

package main

import "os/exec"

func helperAttrs(*exec.Cmd) {}

func lowerPriority(int) {}
