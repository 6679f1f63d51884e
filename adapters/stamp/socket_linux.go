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

// sendTTL sends conn's packets with TTL (hop limit) 255, so that the
// TTL a reflector echoes tells how many routers a packet crossed.
func sendTTL(conn *net.UDPConn) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		// A socket is one family or the other: either may fail.
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, 255)
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS, 255)
	})
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
