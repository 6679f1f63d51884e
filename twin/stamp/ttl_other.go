//go:build !linux

package stamp

import "net"

// receiveTTL: the TTL is not read here.
func receiveTTL(*net.UDPConn) bool { return false }

const oobSize = 0

func ttlOf([]byte) (uint8, bool) { return 0, false }
