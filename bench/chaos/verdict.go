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
)

// maxDetail is the most things a check lists.
const maxDetail = 30

// Judge computes the verdict on ev.
func Judge(ev Evidence) Verdict {
	v := Verdict{Checks: []Check{acknowledged(ev), once(ev), resends(ev), ended(ev), twice(ev), leaked(ev), delivered(ev)}}
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
