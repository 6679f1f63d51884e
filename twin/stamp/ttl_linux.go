package stamp

import (
	"encoding/binary"
	"net"
	"syscall"
)

// receiveTTL asks the kernel for the TTL (IPv4) or hop limit (IPv6) of
// each datagram conn receives; it reports whether it could.
func receiveTTL(conn *net.UDPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = raw.Control(func(fd uintptr) {
		// A socket is one family or the other (or both): either may fail.
		v4 := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTTL, 1)
		v6 := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVHOPLIMIT, 1)
		ok = v4 == nil || v6 == nil
	})
	return ok
}

// oobSize is room for a TTL control message.
const oobSize = 64

// ttlOf reads the TTL or hop limit from a datagram's control messages.
func ttlOf(oob []byte) (uint8, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if len(m.Data) >= 4 && ((m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TTL) ||
			(m.Header.Level == syscall.IPPROTO_IPV6 && m.Header.Type == syscall.IPV6_HOPLIMIT)) {
			return uint8(binary.NativeEndian.Uint32(m.Data)), true
		}
	}
	return 0, false
}
