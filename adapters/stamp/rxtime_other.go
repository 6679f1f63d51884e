//go:build !linux

package stamp

import (
	"net"
	"time"
)

// kernelTimes: receive times come from the session's own clock here.
func kernelTimes(*net.UDPConn) bool { return false }

const oobSize = 0

func receivedAt([]byte) (time.Time, bool) { return time.Time{}, false }
