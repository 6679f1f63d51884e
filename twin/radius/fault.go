package radius

import (
	"fmt"
	"sync/atomic"

	"layeh.com/radius"

	rad "github.com/ordertwin/ordertwin/core/radius"
)

// FaultKind is what an injected fault makes the server do.
type FaultKind string

// Fault kinds.
const (
	// NAK: answer CoA-NAK or Disconnect-NAK with the fault's Cause.
	NAK FaultKind = "nak"
	// Drop: answer nothing, as a BNG that is down or a lost datagram.
	Drop FaultKind = "drop"
)

// Fault is a rule: a request of Code ("CoA-Request", "Disconnect-Request";
// any if empty) for User (any if empty) is answered by Kind, the first
// Times times (every time if Times is 0). A dropped request sent again
// counts again.
type Fault struct {
	Code  string    `yaml:"code"`
	User  string    `yaml:"user"`
	Kind  FaultKind `yaml:"kind"`
	Cause rad.Cause `yaml:"cause"` // its number: 503
	Times int       `yaml:"times"`

	hits atomic.Int32
}

// Hits counts how often the rule fired.
func (f *Fault) Hits() int { return int(f.hits.Load()) }

func (f *Fault) check() error {
	switch {
	case f.Code != "" && f.Code != radius.CodeCoARequest.String() && f.Code != radius.CodeDisconnectRequest.String():
		return fmt.Errorf("fault for %q: not CoA-Request or Disconnect-Request", f.Code)
	case f.Kind == NAK && f.Cause == 0:
		return fmt.Errorf("a NAK fault needs an Error-Cause")
	case f.Kind != NAK && f.Kind != Drop:
		return fmt.Errorf("fault kind %q is not %s or %s", f.Kind, NAK, Drop)
	}
	return nil
}

// fault is the first rule that fires on a request, counting its hit.
func (s *Server) fault(code radius.Code, user string) *Fault {
	for _, f := range s.cfg.Faults {
		if (f.Code != "" && f.Code != code.String()) || (f.User != "" && f.User != user) {
			continue
		}
		if f.Times > 0 && f.Hits() >= f.Times {
			continue
		}
		f.hits.Add(1)
		return f
	}
	return nil
}
