package lifecycle

import (
	"slices"

	"github.com/looplab/fsm"
)

// Kind names a lifecycle: one table, one machine.
type Kind string

// The lifecycles of the core. TMF kinds use the TMF v4 state names exactly;
// quote, approval, wave and shipment are ordertwin's own.
const (
	ProductOrder      Kind = "productOrder"
	ProductOrderItem  Kind = "productOrderItem"
	ServiceOrder      Kind = "serviceOrder"
	ServiceOrderItem  Kind = "serviceOrderItem"
	ResourceOrder     Kind = "resourceOrder"
	ResourceOrderItem Kind = "resourceOrderItem"
	Quote             Kind = "quote"
	Approval          Kind = "approval"
	Wave              Kind = "wave"
	Shipment          Kind = "shipment"
	Task              Kind = "task"
	// Qualification is a TMF679 product offering qualification, and each
	// of its items.
	Qualification Kind = "productOfferingQualification"
)

// TMF v4 order and order item states (TMF622, TMF641, TMF652).
const (
	Acknowledged          = "acknowledged"
	Rejected              = "rejected"
	Pending               = "pending"
	Held                  = "held"
	InProgress            = "inProgress"
	Cancelled             = "cancelled"
	Completed             = "completed"
	Failed                = "failed"
	Partial               = "partial"
	AssessingCancellation = "assessingCancellation"
	PendingCancellation   = "pendingCancellation"
)

// Quote (TMF648 states), approval, wave and shipment states.
const (
	Approved  = "approved"
	Accepted  = "accepted"
	Scheduled = "scheduled"
	Released  = "released"
	Staged    = "staged"
	InTransit = "inTransit"
	Delivered = "delivered"
	Installed = "installed"
	Lost      = "lost"
	Damaged   = "damaged"
	Requested = "requested"
	Fulfilled = "fulfilled"
)

// TMF679 v4 TaskStateType: a qualification's states.
const (
	Done                = "done"
	TerminatedWithError = "terminatedWithError"
)

// Events. One vocabulary for every lifecycle, so the engine speaks the same
// words to all of them.
const (
	Start         = "start"         // work begins
	Hold          = "hold"          // blocked: capacity, a gate, manual action
	Resume        = "resume"        // a held or pending entity goes on
	Wait          = "wait"          // waits for something expected (pending)
	Complete      = "complete"      // all work done
	Fail          = "fail"          // cannot be done
	PartComplete  = "partComplete"  // final with some items failed or cancelled
	Reject        = "reject"        // refused at validation
	Cancel        = "cancel"        // cancellation requested
	AcceptCancel  = "acceptCancel"  // cancellation assessed as possible
	RefuseCancel  = "refuseCancel"  // cancellation refused: back to work
	ConfirmCancel = "confirmCancel" // compensation done
	Submit        = "submit"        // quote submitted for approval
	Approve       = "approve"       // internal approval granted
	Accept        = "accept"        // customer accepts
	Schedule      = "schedule"      // wave planned behind its gate
	Release       = "release"       // wave gate passed, its order submitted
	Stage         = "stage"         // CPE picked and configured
	Ship          = "ship"          // CPE handed to the courier
	Deliver       = "deliver"       // CPE at the site
	Install       = "install"       // CPE booted and configured by ZTP
	Lose          = "lose"          // CPE lost in transit
	Damage        = "damage"        // CPE arrived damaged
	Fulfil        = "fulfil"        // a task's request is met
)

// tmfOrder is the TMF v4 order lifecycle shared by ProductOrder,
// ServiceOrder and ResourceOrder: partial is final, cancellation goes
// through assessingCancellation and pendingCancellation.
func tmfOrder(withPartial bool) fsm.Events {
	events := fsm.Events{
		{Name: Start, Src: []string{Acknowledged, Pending}, Dst: InProgress},
		{Name: Wait, Src: []string{Acknowledged, InProgress}, Dst: Pending},
		{Name: Hold, Src: []string{Acknowledged, InProgress, Pending}, Dst: Held},
		{Name: Resume, Src: []string{Held, Pending}, Dst: InProgress},
		{Name: Reject, Src: []string{Acknowledged}, Dst: Rejected},
		{Name: Complete, Src: []string{InProgress}, Dst: Completed},
		{Name: Fail, Src: []string{Acknowledged, InProgress, Held, Pending}, Dst: Failed},
		{Name: Cancel, Src: []string{Acknowledged, InProgress, Held, Pending}, Dst: AssessingCancellation},
		{Name: AcceptCancel, Src: []string{AssessingCancellation}, Dst: PendingCancellation},
		{Name: RefuseCancel, Src: []string{AssessingCancellation}, Dst: InProgress},
		{Name: ConfirmCancel, Src: []string{PendingCancellation}, Dst: Cancelled},
	}
	if withPartial {
		events = append(events, fsm.EventDesc{Name: PartComplete, Src: []string{InProgress, Held}, Dst: Partial})
	}
	return events
}

// table declares every lifecycle: its initial state and its events.
var table = map[Kind]struct {
	initial string
	events  fsm.Events
}{
	// TMF622 v4 ProductOrderStateType.
	ProductOrder: {Acknowledged, tmfOrder(true)},
	// TMF622 v4 ProductOrderItemStateType: no partial.
	ProductOrderItem: {Acknowledged, tmfOrder(false)},
	// TMF641 v4 ServiceOrderStateType.
	ServiceOrder: {Acknowledged, tmfOrder(true)},
	// TMF641 v4 ServiceOrderItemStateType lists partial too.
	ServiceOrderItem: {Acknowledged, tmfOrder(true)},
	// TMF652 v4 leaves the state a string; it follows TMF641.
	ResourceOrder:     {Acknowledged, tmfOrder(true)},
	ResourceOrderItem: {Acknowledged, tmfOrder(false)},

	// Quote, TMF648 state names: inProgress while it is prepared, pending
	// while it is under internal approval, approved, then accepted by the
	// customer (sign-off) or rejected.
	Quote: {InProgress, fsm.Events{
		{Name: Submit, Src: []string{InProgress}, Dst: Pending},
		{Name: Approve, Src: []string{Pending}, Dst: Approved},
		{Name: Accept, Src: []string{Approved}, Dst: Accepted},
		{Name: Reject, Src: []string{Pending, Approved}, Dst: Rejected},
		{Name: Cancel, Src: []string{InProgress, Pending, Approved}, Dst: Cancelled},
	}},
	// One approval stage (technical, commercial, customer sign-off).
	Approval: {Pending, fsm.Events{
		{Name: Approve, Src: []string{Pending}, Dst: Approved},
		{Name: Reject, Src: []string{Pending}, Dst: Rejected},
		{Name: Cancel, Src: []string{Pending}, Dst: Cancelled},
	}},
	// A rollout wave: scheduled behind its gate, released when the gate
	// passes (its service order goes to SOM), then worked and finished.
	Wave: {Scheduled, fsm.Events{
		{Name: Release, Src: []string{Scheduled, Held}, Dst: Released},
		{Name: Start, Src: []string{Released}, Dst: InProgress},
		{Name: Hold, Src: []string{Scheduled, InProgress}, Dst: Held},
		{Name: Complete, Src: []string{Released, InProgress, Held}, Dst: Completed},
		{Name: PartComplete, Src: []string{InProgress, Held}, Dst: Partial},
		{Name: Fail, Src: []string{Released, InProgress, Held}, Dst: Failed},
		{Name: Cancel, Src: []string{Scheduled, Released, InProgress, Held}, Dst: Cancelled},
	}},
	// A CPE shipment from warehouse to site.
	Shipment: {Pending, fsm.Events{
		{Name: Stage, Src: []string{Pending}, Dst: Staged},
		{Name: Ship, Src: []string{Staged}, Dst: InTransit},
		{Name: Deliver, Src: []string{InTransit}, Dst: Delivered},
		{Name: Install, Src: []string{Delivered}, Dst: Installed},
		{Name: Lose, Src: []string{InTransit}, Dst: Lost},
		{Name: Damage, Src: []string{Delivered}, Dst: Damaged},
		{Name: Cancel, Src: []string{Pending, Staged}, Dst: Cancelled},
	}},
	// A task raised for people outside the order flow: network planning
	// asked for capacity at an exchange.
	Task: {Requested, fsm.Events{
		{Name: Fulfil, Src: []string{Requested}, Dst: Fulfilled},
		{Name: Cancel, Src: []string{Requested}, Dst: Cancelled},
	}},
	// TMF679 v4 TaskStateType: a qualification (or one of its items) is
	// acknowledged, in progress while the network is asked, done with its
	// answer, or terminated with an error when it could not be asked.
	Qualification: {Acknowledged, fsm.Events{
		{Name: Start, Src: []string{Acknowledged}, Dst: InProgress},
		{Name: Complete, Src: []string{InProgress}, Dst: Done},
		{Name: Fail, Src: []string{Acknowledged, InProgress}, Dst: TerminatedWithError},
	}},
}

// Kinds lists every lifecycle in a stable order.
func Kinds() []Kind {
	return []Kind{ProductOrder, ProductOrderItem, ServiceOrder, ServiceOrderItem,
		ResourceOrder, ResourceOrderItem, Quote, Approval, Wave, Shipment, Task, Qualification}
}

// Initial is the state a new entity of the kind starts in.
func Initial(k Kind) string { return table[k].initial }

// IsFinal reports whether state ends the lifecycle of kind k: a state of
// the lifecycle that no event leaves (completed, failed, partial,
// cancelled, rejected for the TMF orders). A state the lifecycle does not
// have is not final.
func IsFinal(k Kind, state string) bool {
	known := table[k].initial == state
	for _, ev := range table[k].events {
		if slices.Contains(ev.Src, state) {
			return false
		}
		known = known || ev.Dst == state
	}
	return known
}
