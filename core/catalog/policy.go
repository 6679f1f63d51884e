package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy says what ROM does when a step fails with an error class: retry
// with backoff, then fall back to Then; replace the step's resource (a CPE
// lost in transit: write it off, reserve and ship another) up to Attempts
// times, then fall back to Then; fail the step; compensate the site
// (release everything it holds and fail it); or hold the step for manual
// action until a deadline, then fall back to Then.
type Policy struct {
	// Step is an RFS id or a resource type; "*" matches every step.
	Step string `yaml:"step"`
	// Error is an error class (transient, exhausted, hard, invalid) or "*".
	Error  string `yaml:"error"`
	Action string `yaml:"action"` // retry, fail, compensate, hold
	// Attempts is how many times a retry policy tries in all (first call
	// included); Backoff the wait before the first retry, doubled each time.
	Attempts int           `yaml:"attempts"`
	Backoff  time.Duration `yaml:"backoff"`
	// Deadline is how long a hold waits for manual action.
	Deadline time.Duration `yaml:"deadline"`
	// Then is the secondary action when retries are exhausted or a hold's
	// deadline passes: fail or compensate.
	Then string `yaml:"then"`
}

// Policy actions.
const (
	Retry      = "retry"
	FailStep   = "fail"
	Compensate = "compensate"
	HoldStep   = "hold"
	Replace    = "replace"
)

var (
	policyActions = []string{Compensate, FailStep, HoldStep, Replace, Retry}
	errorClasses  = []string{"*", "exhausted", "hard", "invalid", "lost", "transient"}
)

// checkPolicies validates the policy table.
func (c *Catalog) checkPolicies() error {
	var errs []error
	for i, p := range c.Policies {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("policies[%d] (%s × %s): %s", i, p.Step, p.Error, fmt.Sprintf(format, args...)))
		}
		if p.Step == GateStep {
			if p.Error != GateBlocked || p.Action != HoldStep || p.Deadline <= 0 || p.Then != FailStep {
				bad("a gate's policy is {step: gate, error: blocked, action: hold, deadline: <how long people have to decide>, then: fail}")
			}
			continue
		}
		if p.Step == "" {
			bad("no step (an RFS id, a resource type or *)")
		} else if p.Step != "*" && c.RFS[p.Step] == nil && !c.resourceType(p.Step) {
			bad("step %q is neither an RFS nor a resource type of the catalog", p.Step)
		}
		if !slices.Contains(errorClasses, p.Error) {
			bad("error %q is not one of %s", p.Error, strings.Join(errorClasses, ", "))
		}
		if !slices.Contains(policyActions, p.Action) {
			bad("action %q is not one of %s", p.Action, strings.Join(policyActions, ", "))
		}
		switch p.Action {
		case Retry:
			if p.Attempts < 2 || p.Backoff <= 0 {
				bad("a retry needs attempts ≥ 2 and a positive backoff")
			}
		case Replace:
			if p.Attempts < 1 {
				bad("a replace needs attempts ≥ 1 (how many replacements)")
			}
		case HoldStep:
			if p.Deadline <= 0 {
				bad("a hold needs a positive deadline")
			}
		}
		if (p.Action == Retry || p.Action == HoldStep || p.Action == Replace) && p.Then != FailStep && p.Then != Compensate {
			bad("then must be fail or compensate")
		}
	}
	return errors.Join(errs...)
}

func (c *Catalog) resourceType(t string) bool {
	for _, r := range c.RFS {
		if r.Resource.Type == t {
			return true
		}
	}
	return false
}

// A wave's gate that can no longer open by itself (the waves it waits for
// ended without meeting it) is held for people's decision: its policy is
// the row {step: gate, error: blocked, action: hold, deadline, then: fail}.
const (
	GateStep    = "gate"
	GateBlocked = "blocked"
	// DefaultGateDecision is how long people have to decide on a blocked
	// gate when the table has no gate row.
	DefaultGateDecision = 72 * time.Hour
)

// GateDecision is how long a blocked gate waits for people's decision
// (release it, or cancel the waves still waiting) before the waves still
// waiting are cancelled and the order ends with the sites it has.
func (c *Catalog) GateDecision() time.Duration {
	for _, p := range c.Policies {
		if p.Step == GateStep {
			return p.Deadline
		}
	}
	return DefaultGateDecision
}

// defaultPolicy applies when no policy matches: the step fails.
var defaultPolicy = Policy{Step: "*", Error: "*", Action: FailStep}

// StepDeadline is the deadline of a step (its RFS id); 0 when it has none.
func (c *Catalog) StepDeadline(rfs string) time.Duration {
	if r := c.RFS[rfs]; r != nil {
		return r.Deadline
	}
	return 0
}

// PolicyFor is the first policy of the table that matches a step (its RFS
// id or resource type) and error class; a step with none fails.
func (c *Catalog) PolicyFor(rfs, resourceType, class string) Policy {
	for _, p := range c.Policies {
		if (p.Step == "*" || p.Step == rfs || p.Step == resourceType) && (p.Error == "*" || p.Error == class) {
			return p
		}
	}
	return defaultPolicy
}
