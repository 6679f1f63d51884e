package catalog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyFor(t *testing.T) {
	c, err := Load("../../scenarios/catalog/enterprise.yaml")
	require.NoError(t, err)
	p := c.PolicyFor("RFS:VLAN-Service", "VLAN", "transient")
	assert.Equal(t, Retry, p.Action)
	assert.Equal(t, 4, p.Attempts)
	assert.Equal(t, 10*time.Minute, p.Backoff)
	assert.Equal(t, Compensate, p.Then)
	assert.Equal(t, Compensate, c.PolicyFor("RFS:GPON-Bearer", "OLTPort", "exhausted").Action)
	assert.Equal(t, FailStep, (&Catalog{}).PolicyFor("x", "y", "hard").Action, "no table: the step fails")
}

func TestPolicyOrder(t *testing.T) {
	c := &Catalog{Policies: []Policy{
		{Step: "CPE", Error: "exhausted", Action: HoldStep, Deadline: time.Hour, Then: Compensate},
		{Step: "*", Error: "*", Action: FailStep},
	}}
	assert.Equal(t, HoldStep, c.PolicyFor("RFS:CE-Router", "CPE", "exhausted").Action, "first match wins")
	assert.Equal(t, FailStep, c.PolicyFor("RFS:CE-Router", "CPE", "hard").Action)
}

func TestPolicyChecks(t *testing.T) {
	c := &Catalog{RFS: map[string]*RFS{}, Policies: []Policy{
		{Step: "", Error: "transient", Action: Retry},
		{Step: "RFS:Nope", Error: "weird", Action: "pray"},
		{Step: "*", Error: "transient", Action: Retry, Attempts: 1, Then: "sulk"},
		{Step: "*", Error: "*", Action: HoldStep},
	}}
	err := c.checkPolicies()
	require.Error(t, err)
	for _, want := range []string{"no step", `step "RFS:Nope" is neither`, `error "weird"`, `action "pray"`,
		"attempts ≥ 2", "then must be fail or compensate", "a hold needs a positive deadline"} {
		assert.ErrorContains(t, err, want)
	}
}

// A gate's row is COM's: one shape, only its deadline given; ROM's steps
// never match it (scenarios/README.md, "Failure policies").
func TestGatePolicy(t *testing.T) {
	c, err := Load("../../scenarios/catalog/enterprise.yaml")
	require.NoError(t, err)
	assert.Equal(t, 72*time.Hour, c.GateDecision())
	assert.Equal(t, DefaultGateDecision, (&Catalog{}).GateDecision(), "no gate row: 72h")
	d := &Catalog{Policies: []Policy{{Step: GateStep, Error: GateBlocked, Action: HoldStep, Deadline: 5 * time.Hour, Then: FailStep}}}
	require.NoError(t, d.checkPolicies())
	assert.Equal(t, 5*time.Hour, d.GateDecision())
	assert.Equal(t, FailStep, d.PolicyFor("RFS:CE-Router", "CPE", "hard").Action, "a ROM step does not match the gate row")

	bad := &Catalog{Policies: []Policy{
		{Step: GateStep, Error: GateBlocked, Action: HoldStep, Then: FailStep},
		{Step: GateStep, Error: "hard", Action: Compensate},
	}}
	err = bad.checkPolicies()
	require.Error(t, err)
	assert.ErrorContains(t, err, "policies[0] (gate × blocked): a gate's policy is {step: gate, error: blocked, action: hold")
	assert.ErrorContains(t, err, "policies[1] (gate × hard): a gate's policy is")
}
