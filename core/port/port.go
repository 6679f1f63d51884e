// Package port declares how the core talks to the network systems of the
// worked example: address qualification, credit, the approval workflow, the
// access network (OLT/EMS ports, P2P handoffs), the VLAN manager, the BNG,
// IPAM, ZTP, logistics, NMS/SLA probes and billing.
//
// Every call is asynchronous: the engine hands a Request to the Adapter of
// its System and carries on; the adapter answers through the Replier, once
// with a final Result and before that with any number of progress Results
// (milestones such as a CPE in transit). Resource calls follow reserve →
// commit → release. Every request carries an idempotency key (order item,
// operation, attempt): an adapter that sees a key again must treat it as the
// same call and give the same answer.
//
// The twin implements every system in process; adapters/ implements them
// against real protocols.
package port

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// System names a network system the core talks to.
type System string

// The systems of the worked example.
const (
	Qualification System = "qualification"
	Credit        System = "credit"
	Workflow      System = "workflow"
	Access        System = "access"
	VLAN          System = "vlan"
	BNG           System = "bng"
	IPAM          System = "ipam"
	ZTP           System = "ztp"
	Logistics     System = "logistics"
	NMS           System = "nms"
	Billing       System = "billing"
	// Planning is network planning: asked for capacity where there is
	// none, it answers when the capacity has been built.
	Planning System = "planning"
)

// Op is an operation of a system.
type Op string

// Operations.
const (
	Qualify    Op = "qualify"    // address qualification for a quote
	Revalidate Op = "revalidate" // re-qualify and hold capacity for an order
	Check      Op = "check"      // credit check
	Review     Op = "review"     // one approval stage
	Reserve    Op = "reserve"    // pick and hold a resource
	Commit     Op = "commit"     // configure and activate the held resource
	Release    Op = "release"    // give a resource back; to qualification, a site's hold
	Activate   Op = "activate"   // billing start
	Deactivate Op = "deactivate" // billing stop
	Plan       Op = "plan"       // ask network planning for capacity at a site
	Expand     Op = "expand"     // capacity is built (a scenario event)
	Measure    Op = "measure"    // what a site's probe measures now
)

// Request is one call to a system.
type Request struct {
	// Key is the idempotency key: item id, operation and attempt.
	Key    string
	System System
	Op     Op
	// Item is the order item the call is for (POI, ROI), if any.
	Item string
	// Handle is the caller's handle for the call, echoed in every Result.
	Handle int
	// Customer is the customer id (CUST-ENT-1102).
	Customer string
	// Account is the billing or credit account.
	Account string
	// Site is the site code (MELB) and Place its address.
	Site  string
	Place tmf.Place
	// ResourceType is what Reserve picks: OLTPort, P2PHandoff, VLAN, ...
	ResourceType string
	// Resource is what Commit and Release act on.
	Resource *tmf.Resource
	// Characteristics carry the item's parameters: speed, tier, pool, model.
	Characteristics tmf.Characteristics
	// Amount is money for credit checks and billing.
	Amount float64
	// Stage is the approval stage for Review.
	Stage string
	// Config is what a commit configures beyond its resource, filled by
	// ROM from the order (docs/adapters.md, "What ROM's requests carry").
	Config Config
}

// Config is what ROM knows, at a commit, of the service the resource
// carries: what a real adapter renders into the device's configuration.
// A field is zero when the order does not have it yet: the site's VLAN
// and QoS policy are allocated after its bearer (they depend on it), so a
// bearer's commit carries its speed and none of them.
type Config struct {
	// SpeedMbps is the bearer's or service's symmetric speed (1G: 1000).
	SpeedMbps int
	// ONTSerial is the ONT's serial number, when the order names one
	// (the item's ontSerial).
	ONTSerial string
	// VLAN is the site's VLAN id, once its VLAN item has completed.
	VLAN int
	// Profile is the site's QoS policy (the BNG template, such as
	// BW-500-500-GOLD-ENT), once its QoS item has completed.
	Profile string
	// Subnet is the site's IPv4 subnet (10.88.12.0/29), once its IP
	// item has completed.
	Subnet string
	// Tier is the SLA tier (Gold): the item's slaTier, else its QoS
	// item's.
	Tier string
}

// Result is an answer to a Request.
type Result struct {
	Key    string
	System System
	Op     Op
	Item   string
	Handle int
	// Final is false for a progress report (Milestone set) and true for the
	// one answer that ends the call.
	Final     bool
	Milestone string
	Err       *Error
	Resource  *tmf.Resource
	// Qualification answers Qualify and Revalidate.
	Qualification *QualificationResult
	// Approved answers Check and Review.
	Approved bool
	Reason   string
}

// QualificationResult is the answer of address qualification.
type QualificationResult struct {
	Technology string
	Area       string
	Exchange   string
	Region     string
	IPPool     string
	// FreeCapacity counts the ports still free at the serving area.
	FreeCapacity int
	Token        string
	Expires      time.Duration
	// Tiers lists the SLA tiers the access can carry.
	Tiers []string
}

// Error is a failed call, with a class the retry policy can branch on.
type Error struct {
	Class   ErrorClass
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Is matches the class sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrCapacityExhausted:
		return e.Class == Exhausted
	case ErrTransient:
		return e.Class == Transient
	}
	return false
}

// ErrorClass says what kind of failure an Error is.
type ErrorClass string

// Error classes.
const (
	Transient ErrorClass = "transient" // try again
	Exhausted ErrorClass = "exhausted" // no capacity
	Hard      ErrorClass = "hard"      // will not work without a change
	Invalid   ErrorClass = "invalid"   // the request is wrong
	Lost      ErrorClass = "lost"      // the thing is gone (a CPE lost in transit): replace it
)

// Sentinel errors callers branch on.
var (
	ErrCapacityExhausted = errors.New("capacity exhausted")
	ErrTransient         = errors.New("transient failure")
)

// Adapter executes requests against one or more systems.
//
// Call must not block on the network: it starts the work and returns. It
// answers through reply exactly once with a final Result, at a time not
// earlier than now (in the engine's clock), and may report progress before
// that. Call happens on the engine's goroutine. An InProcess adapter (the
// twin) replies on that goroutine too, on the engine's clock, from inside
// Call. Any other adapter may reply from any goroutine: its Replier hands
// the answer to the engine's inbox, which takes it at the engine's present
// whatever at says, logs it, and holds the call to a deadline (a final
// answer that comes after it is ignored). Call must not keep req after it
// returns (copy what an answer needs): callers reuse it.
type Adapter interface {
	Call(now time.Duration, req *Request, reply Replier)
}

// Updater is implemented by an adapter that takes a new version of a call
// in flight (same key, the request as the caller now makes it: ROM's
// port.Config completed by the items done since the call went out) into
// the call it has. An update is not a call: nothing answers it, and the
// call's answers come as before. The engine updates only adapters outside
// the process (an in-process one took the call whole).
type Updater interface {
	Update(req *Request)
}

// InProcess is implemented by an adapter that lives and dies with the
// engine's process and answers deterministically (the twin): what it is
// told is rebuilt by a replay, so the engine may call it before the
// journal of the step that calls it is committed. Every other adapter
// reaches the outside world and is only called once that journal is
// durable (the outbox rule).
type InProcess interface {
	InProcess() bool
}

// Owner is implemented by an adapter that allocates in a system outside
// (a port on an OLT, a VLAN in NetBox) and writes on what it allocates
// whose it is, to know it again: the order item, marked with the store
// the calls come from (Mark). Item ids restart in every store, so two
// stores on one network (two deployments, or a run beside a server)
// would otherwise each take the other's allocations for their own.
type Owner interface {
	// Own sets the store's identity; it is called before the first call.
	Own(store string)
}

// Own gives a, or the adapter it orders (Ordered), the identity of the
// store its calls come from, if it writes one (Owner).
func Own(a Adapter, store string) {
	if o, ok := Unordered(a).(Owner); ok {
		o.Own(store)
	}
}

// Marker is what an Owner keeps of its store (embedded in an adapter, it
// makes the adapter one): Own may be called while calls run (shards of
// one deployment share their adapters).
type Marker struct{ store atomic.Pointer[string] }

// Own implements Owner.
func (m *Marker) Own(store string) { m.store.Store(&store) }

// Mark is item as the adapter writes it on what it allocates (Mark).
func (m *Marker) Mark(item string) string {
	store := ""
	if s := m.store.Load(); s != nil {
		store = *s
	}
	return Mark(store, item)
}

// Mark is how an adapter names an order item of a store on what it
// allocates: ROI-001@5f3c9a2b; the item alone for a store with no
// identity (one first served before stores had one, whose allocations
// carry the item alone).
func Mark(store, item string) string {
	if store == "" {
		return item
	}
	return item + "@" + store
}

// Replier takes an adapter's answers. The result belongs to the caller
// from then on, read-only: an adapter may hand the same result to a
// repeated call.
type Replier interface {
	Reply(at time.Duration, res *Result)
}

// Settler is implemented by a Replier that can say when the answers it
// has taken are durable: Settled returns nil once every answer it took
// before the call is in the journal, so that a restart hears it again,
// or the error that kept it from knowing (ctx ended, the store failed).
// An adapter whose far side must not learn an outcome the engine could
// still forget (a device told that its work is done, which then stops
// asking) waits for Settled before it tells it.
type Settler interface {
	Replier
	Settled(ctx context.Context) error
}

// Named is implemented by a Replier that can be found again after a
// restart by its name: an adapter whose snapshot keeps calls waiting for
// their answer saves whom it owes each answer by ReplyTo, and is given
// back a Replier by that name when it is restored.
type Named interface {
	Replier
	ReplyTo() string
}

// DryRunner is implemented by an adapter that can tell, without sending
// anything, exactly what a call would send: the dry run. What it renders
// is what the call sends, byte for byte, given the same request.
type DryRunner interface {
	DryRun(req *Request) ([]Sent, *Error)
}

// Allocator is implemented by a DryRunner that may or may not pick, by
// itself, the resource of a reserve that names none (the NETCONF adapter
// does with serving areas in its settings, and not without). A rehearsal
// renders a reserve the adapter would not allocate for the request as
// the engine makes it (the adapter's error, when it needs the resource
// named), not for the resource the twin picked.
type Allocator interface {
	Allocates(req *Request) bool
}

// Sent is one message an adapter sends for a call, in the order sent.
type Sent struct {
	// Protocol is the wire protocol: "netconf", "http", "radius", "pnp",
	// "stamp".
	Protocol string
	// To is where it goes: host:port or a URL, never a credential.
	To string
	// Op names the message: "edit-config", "POST /api/ipam/…", "CoA-Request".
	Op string
	// Body is the message as sent (XML, JSON, attribute list as text).
	Body string
}
