package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

func creditReq(key, acct string, amount float64) *port.Request {
	return &port.Request{Key: key, System: port.Credit, Op: port.Check, Customer: customer, Account: acct,
		Amount: amount}
}

// Reference: worked example, Step 2, "Credit Check": GlobalTech's account
// is in good standing with a $500K limit, and the $324K order is within it.
func TestCreditCheck(t *testing.T) {
	withAccounts := edit(t, auEast(t), `  - {account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}`,
		`  - {account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}
  - {account: ACC-USED, limit: 500000, exposure: 400000, standing: good}
  - {account: ACC-WATCH, limit: 500000, exposure: 0, standing: watch}
  - {account: ACC-BLOCKED, limit: 500000, exposure: 0, standing: blocked}`)
	tests := []struct {
		name     string
		account  string
		amounts  []float64 // checked in turn; the last one is asserted
		approved bool
		reason   string
	}{
		{"worked example", account, []float64{324000}, true, "within limit 500000"},
		{"exactly the limit", account, []float64{500000}, true, "within limit 500000"},
		{"over the limit", account, []float64{500001}, false, "order value 500001 exceeds the remaining limit 500000"},
		{"exposure adds up", account, []float64{324000, 200000}, false,
			"order value 200000 exceeds the remaining limit 176000"},
		{"a refusal adds no exposure", account, []float64{600000, 500000}, true, "within limit 500000"},
		{"existing exposure", "ACC-USED", []float64{324000}, false, "order value 324000 exceeds the remaining limit 100000"},
		{"watch standing", "ACC-WATCH", []float64{1}, false, "account ACC-WATCH is in watch standing"},
		{"blocked standing", "ACC-BLOCKED", []float64{1}, false, "account ACC-BLOCKED is in blocked standing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, withAccounts)
			var a answer
			for i, amount := range tt.amounts {
				a = call(t, tw, hours(1), creditReq(string(rune('a'+i)), tt.account, amount))
				require.Nil(t, a.res.Err)
			}
			assert.Equal(t, tt.approved, a.res.Approved)
			assert.Equal(t, tt.reason, a.res.Reason)
			assert.Equal(t, hours(1)+hours(1)/2, a.at, "credit.check takes 30m")
		})
	}
}

// An account the network gives a customer is that customer's: another
// customer's order on it is not approved, and its check adds no
// exposure (a party cannot spend another's credit).
func TestCreditOfAnotherCustomersAccount(t *testing.T) {
	tw := newTwin(t, auEast(t))
	other := creditReq("k", account, 324000)
	other.Customer = "CUST-OTHER-1"
	a := call(t, tw, 0, other)
	require.Nil(t, a.res.Err)
	assert.False(t, a.res.Approved)
	assert.Equal(t, "account ACC-ENT-3384 is not CUST-OTHER-1's", a.res.Reason, "nor whose it is: the customer reads it")
	assert.True(t, call(t, tw, 0, creditReq("k2", account, 500000)).res.Approved, "its own customer has the whole limit")
}

func TestCreditCheckUnknownAccount(t *testing.T) {
	tw := newTwin(t, auEast(t))
	a := call(t, tw, 0, creditReq("k", "ACC-NOBODY", 1))
	require.NotNil(t, a.res.Err)
	assert.Equal(t, port.Invalid, a.res.Err.Class)
	assert.Equal(t, "unknownAccount", a.res.Err.Code)
	assert.Contains(t, a.res.Err.Message, `"ACC-NOBODY"`)
	assert.False(t, a.res.Approved)
}

// The twin's credit system does not write back to the network it was
// built from: two twins of one Network start with the same exposure.
func TestCreditExposureIsPerTwin(t *testing.T) {
	n, err := ParseNetwork(auEast(t))
	require.NoError(t, err)
	for range 2 {
		tw, err := New(n)
		require.NoError(t, err)
		assert.True(t, call(t, tw, 0, creditReq("k", account, 324000)).res.Approved)
	}
	assert.Zero(t, n.Credit[0].Exposure)
}

// Credit at the parent account: a subsidiary's check is judged against
// its group's limit, which every account of the hierarchy shares, and
// against its own where it has one; what one subsidiary is approved for
// leaves less for its siblings; a parent in bad standing refuses them all.
func TestCreditAtTheParentAccount(t *testing.T) {
	group := edit(t, auEast(t), `  - {account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}`,
		`  - {account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}
  - {account: ACC-GRP, limit: 400000, exposure: 100000, standing: good}
  - {account: ACC-SUB-A, parent: ACC-GRP, limit: 0, exposure: 0, standing: good}
  - {account: ACC-SUB-B, parent: ACC-GRP, limit: 50000, exposure: 0, standing: good}
  - {account: ACC-SUB-B1, parent: ACC-SUB-B, limit: 0, exposure: 0, standing: good}
  - {account: ACC-HELD, limit: 400000, exposure: 0, standing: blocked}
  - {account: ACC-SUB-H, parent: ACC-HELD, limit: 0, exposure: 0, standing: good}`)
	tw := newTwin(t, group)
	check := func(key, acct string, amount float64) answer {
		a := call(t, tw, 0, creditReq(key, acct, amount))
		require.Nil(t, a.res.Err)
		return a
	}
	a := check("a", "ACC-SUB-A", 250000)
	assert.True(t, a.res.Approved)
	assert.Equal(t, "within limit 400000 of parent account ACC-GRP", a.res.Reason)
	a = check("b", "ACC-SUB-A", 60000)
	assert.False(t, a.res.Approved, "300,000 of the group's 400,000 in use, 50,000 left")
	assert.Equal(t, "order value 60000 exceeds the remaining limit 50000 of parent account ACC-GRP, shared by its hierarchy", a.res.Reason)
	a = check("c", "ACC-SUB-B1", 50001)
	assert.False(t, a.res.Approved, "its parent's own limit of 50,000")
	assert.Contains(t, a.res.Reason, "remaining limit 50000 of parent account ACC-SUB-B")
	assert.True(t, check("d", "ACC-SUB-B1", 40000).res.Approved)
	a = check("e", "ACC-SUB-A", 20000)
	assert.False(t, a.res.Approved, "the grandchild's 40,000 counted at the top too: 10,000 left")
	assert.Contains(t, a.res.Reason, "remaining limit 10000 of parent account ACC-GRP")
	a = check("f", "ACC-SUB-H", 1)
	assert.False(t, a.res.Approved)
	assert.Equal(t, "account ACC-HELD (the parent of ACC-SUB-H) is in blocked standing", a.res.Reason)
}

// A parent that is not an account, or parents that go round in a circle,
// are errors of the network file.
func TestCreditParentsChecked(t *testing.T) {
	for _, tt := range []struct{ accounts, want string }{
		{`  - {account: ACC-SUB, parent: ACC-GRUP, limit: 0, standing: good}
  - {account: ACC-GRP, limit: 1, standing: good}`, `credit account ACC-SUB: parent "ACC-GRUP" is not a credit account (did you mean "ACC-GRP"?)`},
		{`  - {account: ACC-A, parent: ACC-B, limit: 0, standing: good}
  - {account: ACC-B, parent: ACC-A, limit: 0, standing: good}`, `credit account ACC-A: its parents go round in a circle (back to ACC-A)`},
	} {
		_, err := ParseNetwork(edit(t, auEast(t), `  - {account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}`, tt.accounts))
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
}
