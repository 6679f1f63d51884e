package netconf

import (
	"sync"
	"sync/atomic"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// FaultKind is what an injected fault makes the device answer.
type FaultKind string

// Fault kinds.
const (
	// LockDenied: the lock is held by another session (one the twin
	// makes up), whatever the real lock's state.
	LockDenied FaultKind = "lockDenied"
	// InUse and DataExists: the port is configured already.
	InUse      FaultKind = "inUse"
	DataExists FaultKind = "dataExists"
	// ResourceDenied: the PON has no room left.
	ResourceDenied FaultKind = "resourceDenied"
	// OperationFailed: the device failed for a reason of its own.
	OperationFailed FaultKind = "operationFailed"
	// Slow: the answer waits until the fault is released or the session
	// ends, so that the client's deadline passes first.
	Slow FaultKind = "slow"
)

// phantomSession is the session a LockDenied fault says holds the lock.
const phantomSession = 4242

// Fault is a rule: operation Op (an rpc's name: lock, edit-config,
// validate, commit, get-config, …) answers with Kind, the first Times
// times (every time if Times is 0).
type Fault struct {
	Op    string
	Kind  FaultKind
	Times int

	hits    atomic.Int32
	release chan struct{}
	once    sync.Once
}

// Hits counts how often the rule fired.
func (f *Fault) Hits() int { return int(f.hits.Load()) }

// Release lets the answers a Slow fault holds go.
func (f *Fault) Release() { f.once.Do(func() { close(f.release) }) }

// rpcError is the rpc-error a fault answers with; nil for Slow.
func (f *Fault) rpcError() *netconf.Error {
	switch f.Kind {
	case LockDenied:
		return &netconf.Error{Type: "protocol", Tag: netconf.LockDenied, Message: "lock held by another session",
			Info: &netconf.Info{SessionID: phantomSession}}
	case InUse:
		return &netconf.Error{Type: "application", Tag: netconf.InUse, Message: "the port is in use"}
	case DataExists:
		return &netconf.Error{Type: "application", Tag: netconf.DataExists, Message: "the ONT is configured already"}
	case ResourceDenied:
		return &netconf.Error{Type: "application", Tag: netconf.ResourceDenied, Message: "no ONU-ID left on the PON"}
	case OperationFailed:
		return &netconf.Error{Type: "application", Tag: netconf.OperationFailed, Message: "the line card did not answer"}
	}
	return nil
}
