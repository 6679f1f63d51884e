package stamp

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"
)

// kernelTimes asks the kernel to stamp each datagram conn receives
// (SO_TIMESTAMPNS), so that T4 is when the answer arrived, not when the
// session got round to reading it; it reports whether it could.
func kernelTimes(conn *net.UDPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// oobSize is room for a timestamp control message.
const oobSize = 64

// receivedAt reads the kernel's receive time from a datagram's control
// messages, or ok false.
func receivedAt(oob []byte) (at time.Time, ok bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return at, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			secs := int64(binary.NativeEndian.Uint64(m.Data))
			nanos := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			return time.Unix(secs, nanos), true
		}
	}
	return at, false
}
