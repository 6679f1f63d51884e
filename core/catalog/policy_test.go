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
