package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Evidence is what a run gathers to judge a server by: what the run was
// answered, and what the server's APIs and journal say afterwards.
type Evidence struct {
	// Answered holds, for each order the run placed (by the key it sent
	// as Idempotency-Key and externalId), the order id of every answer it
	// was given: the first, and one more for each re-send of a request
	// whose answer was lost.
	Answered map[string][]string
	// Unanswered says which orders the run sent were never acknowledged,
	// and why (refused, given up on), one line a reason.
	Unanswered []string
	// Orders are the product orders the server lists at the end.
	Orders []Order
	// Resources are the resources the server's inventory lists at the end.
	Resources []Resource
	// Journals are the event ids the hub owes the run's listener, one
	// list a journal in its order: the server's one, or each shard's of a
	// deployment of several (an event id is one shard's, and events are
	// ordered within their shard only); nil when the run could not read
	// the journals (a server it does not own), and the check is not made.
	Journals [][]string
	// Heard is the event ids the listener was sent, in the order it was
	// sent them, repeats included.
	Heard []string
	// Outcomes is how each acknowledged order ended, by its key: its
	// state and its items'.
	Outcomes map[string]Outcome
	// Reference is how each order ended in an uninterrupted run of the
	// same seed; nil when there is none, and the check is not made.
	Reference map[string]Outcome
	// Hits are the faults as they happened: what a full disk did, and
	// which faults explain an order ending otherwise.
	Hits []Hit
	// Flights are when each order the run placed could make calls to the
	// network, by its key: what a twin fault may have hit.
	Flights map[string]Flight
	// Unsettled is the settle time, when it ran out before every order
	// had ended and been heard to; 0 when it did not.
	Unsettled time.Duration
}

// Flight is when an order was in flight, from the run's start: from when
// its order was first sent (the server cannot have it before) to when
// the listener heard it end (it ended before); Ended is 0 when it was
// not heard to end.
type Flight struct {
	Sent, Ended time.Duration
}

// TwinCalls is how many NETCONF calls a twin fault fails: the next ones
// to the access network after it is injected, each one item's.
const TwinCalls = 3

// Outcome is how an order ended: its state, and each item's by its site
// (or its place in the order: "#2"), not by the ids a server numbers.
type Outcome struct {
	State string            `json:"state"`
	Items map[string]string `json:"items,omitempty"`
	// Reason is why it ended so, as its first item says (a rejection's,
	// a failure's), for a difference to say why.
	Reason string `json:"reason,omitempty"`
}

// sameItems says whether o has the items ref has, at the same sites: a
// failed call changes how an item ends, never which items an order has.
func (o Outcome) sameItems(ref Outcome) bool {
	return len(o.Items) == len(ref.Items) && !slices.ContainsFunc(slices.Collect(maps.Keys(o.Items)), func(id string) bool {
		_, ok := ref.Items[id]
		return !ok
	})
}

// diff says how o differs from ref ("" when it does not).
func (o Outcome) diff(ref Outcome) string {
	var parts []string
	if o.State != ref.State {
		why := ""
		if o.Reason != "" {
			why = " (" + o.Reason + ")"
		}
		parts = append(parts, fmt.Sprintf("%s%s, not %s", o.State, why, ref.State))
	}
	for _, id := range slices.Sorted(maps.Keys(ref.Items)) {
		if o.Items[id] != ref.Items[id] {
			parts = append(parts, fmt.Sprintf("item %s %s, not %s", id, orNone(o.Items[id]), ref.Items[id]))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.Items)) {
		if _, ok := ref.Items[id]; !ok {
			parts = append(parts, fmt.Sprintf("item %s %s, not there", id, o.Items[id]))
		}
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

// Order is a product order as the server lists it.
type Order struct {
	ID, ExternalID, State string
	// Final says the state ends the order's lifecycle; Held, when set,
	// is why a live order waits (a person, a capacity build): it is
	// explained.
	Final bool
	Held  string
}

// name is the order's id, and the run's key when it has one: "PO-7
// (chaos-1-6)".
func (o Order) name() string {
	if o.ExternalID == "" {
		return o.ID
	}
	return o.ID + " (" + o.ExternalID + ")"
}

// Resource is a resource as the inventory lists it.
type Resource struct {
	ID, Type, Value, State string
	// Pool is the pool the value is unique in (VLAN 2000 in each area's
	// VLAN pool), when it is not unique alone.
	Pool string
	// Shared says the resource is a template many may bind (a QoS
	// policy), never held twice.
	Shared bool
}

// Check is one point of the verdict.
type Check struct {
	Name string `json:"name"`
	Pass bool   `json:"pass"`
	// Detail says what failed, each thing once (at most a few dozen).
	Detail []string `json:"detail,omitempty"`
	// Skipped says why the check was not made.
	Skipped string `json:"skipped,omitempty"`
	// Explained lists what differs but is allowed: an order ending
	// otherwise than in an uninterrupted run when a fault of the twin may
	// have failed one of its calls, or what was not judged because the
	// settle time ran out.
	Explained []string `json:"explained,omitempty"`
}

// Verdict is every check; the run passes when each made passes.
type Verdict struct {
	Pass   bool    `json:"pass"`
	Checks []Check `json:"checks"`
}

// The checks, by name.
const (
	CheckAcked     = "every order sent was acknowledged"
	CheckOnce      = "every acknowledged order exists, once"
	CheckResend    = "a re-sent request got the first answer"
	CheckEnded     = "every order ended or is explained"
	CheckTwice     = "no resource is allocated twice"
	CheckLeaked    = "no resource is left reserved"
	CheckDelivered = "every event was delivered, at least once, in order"
	CheckDiskFull  = "a full disk was refused with a 503, and the server recovered"
	CheckOutcome   = "every order ended as in an uninterrupted run, where the faults allow"
	CheckInjected  = "every fault was injected"
)

// maxDetail is the most things a check lists.
const maxDetail = 30

// Judge computes the verdict on ev.
func Judge(ev Evidence) Verdict {
	v := Verdict{Checks: []Check{acknowledged(ev), once(ev), resends(ev), ended(ev), twice(ev), leaked(ev), delivered(ev),
		diskFull(ev), outcome(ev), injected(ev)}}
	v.Pass = !slices.ContainsFunc(v.Checks, func(c Check) bool { return !c.Pass })
	return v
}

func check(name string, detail []string) Check {
	if len(detail) > maxDetail {
		detail = append(detail[:maxDetail], fmt.Sprintf("… and %d more", len(detail)-maxDetail))
	}
	return Check{Name: name, Pass: len(detail) == 0, Detail: detail}
}

func acknowledged(ev Evidence) Check {
	detail := slices.Clone(ev.Unanswered)
	if len(ev.Answered) == 0 && len(detail) == 0 {
		detail = []string{"the run sent no order"}
	}
	return check(CheckAcked, detail)
}

func once(ev Evidence) Check {
	byID := map[string]bool{}
	byKey := map[string][]string{}
	for _, o := range ev.Orders {
		byID[o.ID] = true
		if o.ExternalID != "" {
			byKey[o.ExternalID] = append(byKey[o.ExternalID], o.ID)
		}
	}
	var detail []string
	for _, key := range slices.Sorted(maps.Keys(ev.Answered)) {
		ids := ev.Answered[key]
		switch {
		case len(ids) == 0:
			continue
		case !byID[ids[0]]:
			detail = append(detail, fmt.Sprintf("%s: acknowledged as %s, which the server does not list: lost", key, ids[0]))
		case len(byKey[key]) > 1:
			detail = append(detail, fmt.Sprintf("%s: placed %d times (%s)", key, len(byKey[key]), strings.Join(byKey[key], ", ")))
		}
	}
	return check(CheckOnce, detail)
}

func resends(ev Evidence) Check {
	var detail []string
	for _, key := range slices.Sorted(maps.Keys(ev.Answered)) {
		ids := ev.Answered[key]
		for _, id := range ids[min(1, len(ids)):] {
			if id != ids[0] {
				detail = append(detail, fmt.Sprintf("%s: first answered %s, then %s", key, ids[0], id))
				break
			}
		}
	}
	return check(CheckResend, detail)
}

// ended checks that every order ended or waits for a reason. When the
// settle time ran out first, that is what it says: the orders still under
// way may only need longer (a low --scale), and the server is not blamed.
func ended(ev Evidence) Check {
	var detail []string
	for _, o := range ev.Orders {
		switch {
		case o.Final || o.Held != "":
		case ev.Unsettled > 0:
			detail = append(detail, fmt.Sprintf("%s is %s: not ended yet", o.name(), o.State))
		default:
			detail = append(detail, fmt.Sprintf("%s is %s, neither ended nor held for a reason", o.name(), o.State))
		}
	}
	if ev.Unsettled > 0 && len(detail) > 0 {
		detail = append([]string{fmt.Sprintf("the settle time (%s) ran out before %d orders could end: give a longer --settle", ev.Unsettled, len(detail))}, detail...)
	}
	return check(CheckEnded, detail)
}

// injected checks that each fault of the plan was injected: a run whose
// faults did not happen proves nothing about them.
func injected(ev Evidence) Check {
	var detail []string
	for _, h := range ev.Hits {
		if h.Error != "" {
			detail = append(detail, fmt.Sprintf("%s was not injected: %s", h.Name, h.Error))
		}
	}
	return check(CheckInjected, detail)
}

// inUse says whether a resource in state s is held by something.
func inUse(s string) bool {
	switch s {
	case "released", "terminated", "replaced", "lost", "retired":
		return false
	}
	return true
}

func twice(ev Evidence) Check {
	held := map[string][]string{}
	for _, r := range ev.Resources {
		if r.Shared || !inUse(r.State) || r.Value == "" {
			continue
		}
		key := r.Type + " " + r.Value
		if r.Pool != "" {
			key += " of " + r.Pool
		}
		held[key] = append(held[key], r.ID)
	}
	var detail []string
	for _, key := range slices.Sorted(maps.Keys(held)) {
		if ids := held[key]; len(ids) > 1 {
			detail = append(detail, fmt.Sprintf("%s is held by %s", key, strings.Join(ids, " and ")))
		}
	}
	return check(CheckTwice, detail)
}

func leaked(ev Evidence) Check {
	live := slices.ContainsFunc(ev.Orders, func(o Order) bool { return !o.Final })
	var detail []string
	for _, r := range ev.Resources {
		if r.State == "reserved" && !live {
			detail = append(detail, fmt.Sprintf("%s (%s %s) is still reserved, every order having ended", r.ID, r.Type, r.Value))
		}
	}
	return check(CheckLeaked, detail)
}

func delivered(ev Evidence) Check {
	if ev.Journals == nil {
		return Check{Name: CheckDelivered, Pass: true, Skipped: "the run does not own the server's journal"}
	}
	var detail []string
	late := 0 // not delivered when the settle time ran out: not judged
	for j, journal := range ev.Journals {
		of := ""
		if len(ev.Journals) > 1 {
			of = fmt.Sprintf(" of shard %d", j)
		}
		owed := map[string]bool{}
		for _, id := range journal {
			owed[id] = true
		}
		// The first time each owed event was heard, in the order heard:
		// the hub may send others too (another journal's), and repeats
		// after a restart.
		seen := map[string]bool{}
		var first []string
		for _, id := range ev.Heard {
			if owed[id] && !seen[id] {
				seen[id] = true
				first = append(first, id)
			}
		}
		outOfOrder := false
		for i, id := range journal {
			switch {
			case !seen[id] && ev.Unsettled > 0:
				late++
			case !seen[id]:
				detail = append(detail, fmt.Sprintf("event %s%s was never delivered", id, of))
			case i < len(first) && first[i] != id && !outOfOrder:
				outOfOrder = true
				detail = append(detail, fmt.Sprintf("out of order: event %d of the journal%s is %s, the listener's %d was %s", i+1, of, id, i+1, first[i]))
			}
		}
	}
	c := check(CheckDelivered, detail)
	if late > 0 {
		c.Explained = []string{fmt.Sprintf("%d events had not reached the listener when the settle time (%s) ran out: not judged", late, ev.Unsettled)}
	}
	return c
}

// diskFull checks each full disk: while it was full, an order was either
// committed (201) or refused with a 503 (the store cannot write): never
// another error, nor no answer; and once space came back the server was
// ready again. That nothing acknowledged was lost is the once-check's.
func diskFull(ev Evidence) Check {
	var detail []string
	made := false
	for _, h := range ev.Hits {
		if h.Kind != DiskFull || h.Error != "" {
			continue
		}
		made = true
		for _, status := range slices.Sorted(maps.Keys(h.Answers)) {
			if !strings.HasPrefix(status, "2") && status != "503" {
				detail = append(detail, fmt.Sprintf("%s: %d answers %s while the disk was full (want 201, or 503 the store cannot write)", h.Name, h.Answers[status], status))
			}
		}
		if !h.Recovered {
			detail = append(detail, fmt.Sprintf("%s: the server was not ready again %.0f s after space came back", h.Name, h.RecoverSeconds))
		}
	}
	if !made {
		return Check{Name: CheckDiskFull, Pass: true, Skipped: "the run filled no disk"}
	}
	return check(CheckDiskFull, detail)
}

// outcome compares how each order ended with an uninterrupted run of the
// same seed. A fault of the twin fails the next TwinCalls calls to the
// access network, each one item's: it may make an order end otherwise,
// but only an order in flight between its injection and its last failed
// call (or one whose reason names it), only in how its items end (not
// which items it has, nor whether it is placed), and at most TwinCalls
// orders. Those differences are listed as explained; any other fails. A
// kill, a pause, a full disk or a listener down explains none: the
// server must carry each order to the same end through them. An order
// still under way when the settle time ran out is not compared.
func outcome(ev Evidence) Check {
	if ev.Reference == nil {
		return Check{Name: CheckOutcome, Pass: true, Skipped: "no uninterrupted run to compare with"}
	}
	var twins []Hit
	for _, h := range ev.Hits {
		if h.Kind == Twin && h.Error == "" {
			twins = append(twins, h)
		}
	}
	over := map[string]bool{} // by key: the order ended or waits for a reason
	for _, o := range ev.Orders {
		if o.ExternalID != "" {
			over[o.ExternalID] = o.Final || o.Held != ""
		}
	}
	type difference struct {
		key, text string
		// items says it differs only in how the order or its items
		// ended: what a failed call may do.
		items bool
		// twins are the twin faults (their index) that may have hit it.
		twins []int
	}
	var diffs []difference
	var explained []string
	for _, key := range slices.Sorted(maps.Keys(ev.Outcomes)) {
		got := ev.Outcomes[key]
		ref, ok := ev.Reference[key]
		switch {
		case !ok:
			diffs = append(diffs, difference{key: key, text: fmt.Sprintf("%s: %s here, not placed in the uninterrupted run", key, got.State)})
		case got.diff(ref) == "":
		case ev.Unsettled > 0 && !over[key]:
			explained = append(explained, fmt.Sprintf("%s: %s, not compared: it had not ended when the settle time ran out", key, got.State))
		default:
			diffs = append(diffs, difference{key: key, text: key + ": " + got.diff(ref), items: got.sameItems(ref)})
		}
	}
	for _, key := range slices.Sorted(maps.Keys(ev.Reference)) {
		if _, ok := ev.Outcomes[key]; !ok {
			diffs = append(diffs, difference{key: key, text: fmt.Sprintf("%s: %s in the uninterrupted run, not placed here", key, ev.Reference[key].State)})
		}
	}
	for i := range diffs {
		d := &diffs[i]
		if !d.items {
			continue
		}
		reason := ev.Outcomes[d.key].Reason
		flight, known := ev.Flights[d.key]
		for t, h := range twins {
			if strings.Contains(reason, "(fault "+h.Name+")") || !known || flight.inReach(h) {
				d.twins = append(d.twins, t)
			}
		}
	}
	cands := make([][]int, len(diffs))
	for i, d := range diffs {
		cands[i] = d.twins
	}
	by := assign(cands, len(twins), TwinCalls)
	var detail []string
	for i, d := range diffs {
		switch {
		case by[i] >= 0:
			explained = append(explained, fmt.Sprintf("%s (the twin fault %s may have failed one of its calls)", d.text, twins[by[i]].Name))
		case len(twins) == 0:
			detail = append(detail, d.text)
		case !d.items:
			detail = append(detail, d.text+" (a twin fault changes how items end, not which an order has, nor whether it is placed)")
		case len(d.twins) == 0:
			detail = append(detail, d.text+" (no twin fault failed a call while it was in flight)")
		default:
			detail = append(detail, fmt.Sprintf("%s (more orders differ than the twin faults of its time failed calls: %d each)", d.text, TwinCalls))
		}
	}
	c := check(CheckOutcome, detail)
	c.Explained = check("", explained).Detail
	return c
}

// inReach says whether a twin fault h may have failed a call of an order
// in flight f: the order was sent before the fault's last failed call
// (when the run saw it: any time after, when not), and had not been
// heard to end before the fault was injected.
func (f Flight) inReach(h Hit) bool {
	sent := f.Sent.Seconds() <= h.SpentSeconds || h.SpentSeconds == 0
	return sent && (f.Ended == 0 || f.Ended.Seconds() >= h.AtSeconds)
}

// assign gives each of the things a slot of one of its candidates (cands[i]
// are thing i's, among n), each candidate at most capacity things, as many
// things as can be (augmenting paths); -1 for a thing left out. The same
// candidates give the same answer.
func assign(cands [][]int, n, capacity int) []int {
	by := make([]int, len(cands))
	for i := range by {
		by[i] = -1
	}
	held := make([][]int, n) // the things each candidate explains
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for _, c := range cands[i] {
			if seen[c] {
				continue
			}
			seen[c] = true
			if len(held[c]) < capacity {
				held[c] = append(held[c], i)
				by[i] = c
				return true
			}
			for k, other := range held[c] {
				if try(other, seen) {
					held[c][k] = i
					by[i] = c
					return true
				}
			}
		}
		return false
	}
	for i := range cands {
		try(i, make([]bool, n))
	}
	return by
}
