//go:build !linux

package stamp

import (
	"net"
	"time"
)

// kernelTimes: receive times come from the session's own clock here.
func kernelTimes(*net.UDPConn) bool { return false }

// sendTTL: the system's TTL is kept here.
func sendTTL(*net.UDPConn) {}

const oobSize = 0

func receivedAt([]byte) (time.Time, bool) { return time.Time{}, false }
