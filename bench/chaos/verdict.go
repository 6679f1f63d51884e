package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// Journal is the event ids the hub owes the run's listener, in the
	// journal's order; nil when the run could not read the journal (a
	// server it does not own), and the check is not made.
	Journal []string
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
}

// Outcome is how an order ended: its state, and each item's by its site
// (or its place in the order: "#2"), not by the ids a server numbers.
type Outcome struct {
	State string            `json:"state"`
	Items map[string]string `json:"items,omitempty"`
	// Reason is why it ended so, as its first item says (a rejection's,
	// a failure's), for a difference to say why.
	Reason string `json:"reason,omitempty"`
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
	// be why.
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
)

// maxDetail is the most things a check lists.
const maxDetail = 30

// Judge computes the verdict on ev.
func Judge(ev Evidence) Verdict {
	v := Verdict{Checks: []Check{acknowledged(ev), once(ev), resends(ev), ended(ev), twice(ev), leaked(ev), delivered(ev),
		diskFull(ev), outcome(ev)}}
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

func ended(ev Evidence) Check {
	var detail []string
	for _, o := range ev.Orders {
		if !o.Final && o.Held == "" {
			detail = append(detail, fmt.Sprintf("%s (%s) is %s, neither ended nor held for a reason", o.ID, o.ExternalID, o.State))
		}
	}
	return check(CheckEnded, detail)
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
	if ev.Journal == nil {
		return Check{Name: CheckDelivered, Pass: true, Skipped: "the run does not own the server's journal"}
	}
	owed := map[string]bool{}
	for _, id := range ev.Journal {
		owed[id] = true
	}
	// The first time each owed event was heard, in the order heard: the
	// hub may send others too, and repeats after a restart.
	seen := map[string]bool{}
	var first []string
	for _, id := range ev.Heard {
		if owed[id] && !seen[id] {
			seen[id] = true
			first = append(first, id)
		}
	}
	var detail []string
	for i, id := range ev.Journal {
		switch {
		case !seen[id]:
			detail = append(detail, fmt.Sprintf("event %s was never delivered", id))
		case i < len(first) && first[i] != id:
			if len(detail) == 0 || !strings.HasPrefix(detail[len(detail)-1], "out of order") {
				detail = append(detail, fmt.Sprintf("out of order: event %d of the journal is %s, the listener's %d was %s", i+1, id, i+1, first[i]))
			}
		}
	}
	return check(CheckDelivered, detail)
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
// same seed. A fault of the twin (a NETCONF call failed) may make an
// order end otherwise: those differences are listed as explained. A
// kill, a pause, a full disk or a listener down explains none: the
// server must carry each order to the same end through them.
func outcome(ev Evidence) Check {
	if ev.Reference == nil {
		return Check{Name: CheckOutcome, Pass: true, Skipped: "no uninterrupted run to compare with"}
	}
	var twins []string
	for _, h := range ev.Hits {
		if h.Kind == Twin && h.Error == "" {
			twins = append(twins, h.Name)
		}
	}
	var diffs []string
	for _, key := range slices.Sorted(maps.Keys(ev.Outcomes)) {
		got := ev.Outcomes[key]
		ref, ok := ev.Reference[key]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: %s here, not placed in the uninterrupted run", key, got.State))
		default:
			if d := got.diff(ref); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s: %s", key, d))
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(ev.Reference)) {
		if _, ok := ev.Outcomes[key]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: %s in the uninterrupted run, not placed here", key, ev.Reference[key].State))
		}
	}
	if len(twins) > 0 && len(diffs) > 0 {
		c := check(CheckOutcome, nil)
		c.Explained = check("", diffs).Detail
		c.Explained = append(c.Explained, "(the twin faults "+strings.Join(twins, ", ")+" may explain these)")
		return c
	}
	return check(CheckOutcome, diffs)
}
