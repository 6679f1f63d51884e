package netconf

import (
	"context"
	"errors"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
)

// classes maps rpc-error tags (RFC 6241 appendix A) to the failure
// policy's error classes. A tag not listed is hard.
var classes = map[string]port.ErrorClass{
	// Someone else holds the datastore, or the device is busy: try again.
	netconf.LockDenied:      port.Transient,
	netconf.OperationFailed: port.Transient,
	netconf.RollbackFailed:  port.Hard,
	// The device has no room (ONU-IDs, T-CONTs, GEM ports on the PON).
	netconf.ResourceDenied: port.Exhausted,
	// The port is configured already, for another service: an operator
	// has to look.
	netconf.InUse:        port.Hard,
	netconf.DataExists:   port.Hard,
	netconf.DataMissing:  port.Hard,
	netconf.AccessDenied: port.Hard,
	netconf.PartialOp:    port.Hard,
	// The edit is wrong for this device: a template or a request to fix.
	netconf.InvalidValue: port.Invalid,
	netconf.TooBig:       port.Invalid,
	netconf.MissingAttr:  port.Invalid,
	netconf.BadAttr:      port.Invalid,
	netconf.UnknownAttr:  port.Invalid,
	netconf.MissingElem:  port.Invalid,
	netconf.BadElem:      port.Invalid,
	netconf.UnknownElem:  port.Invalid,
	netconf.UnknownNS:    port.Invalid,
	netconf.NotSupported: port.Invalid,
	netconf.MalformedMsg: port.Invalid,
}

// Classify turns what a NETCONF exchange failed with into the failure
// policy's terms: an rpc-error by its tag (of several, the least hopeful
// decides), a deadline or a broken connection as transient. The code is the rpc-error's tag, or "timeout" or
// "unreachable".
func Classify(err error) *port.Error {
	if err == nil {
		return nil
	}
	var pe *port.Error
	if errors.As(err, &pe) {
		return pe
	}
	var one *netconf.Error
	var many netconf.Errors
	switch {
	case errors.As(err, &one):
		return &port.Error{Class: classOf(one.Tag), Code: one.Tag, Message: err.Error()}
	case errors.As(err, &many) && len(many) > 0:
		worst := many[0]
		for _, e := range many[1:] {
			if rank(classOf(e.Tag)) > rank(classOf(worst.Tag)) {
				worst = e
			}
		}
		return &port.Error{Class: classOf(worst.Tag), Code: worst.Tag, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &port.Error{Class: port.Transient, Code: "timeout", Message: "NETCONF timeout: " + err.Error()}
	}
	return &port.Error{Class: port.Transient, Code: "unreachable", Message: "NETCONF session failed: " + err.Error()}
}

func classOf(tag string) port.ErrorClass {
	if c, ok := classes[tag]; ok {
		return c
	}
	return port.Hard
}

// rank orders classes from the most to the least hopeful: of several
// errors, the least hopeful decides.
func rank(c port.ErrorClass) int {
	switch c {
	case port.Transient:
		return 0
	case port.Exhausted:
		return 1
	case port.Invalid:
		return 3
	}
	return 2
}
