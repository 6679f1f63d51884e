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
	withAccounts := edit(t, auEast(t), `  - {account: ACC-ENT-3384, limit: 500000, exposure: 0, standing: good}`,
		`  - {account: ACC-ENT-3384, limit: 500000, exposure: 0, standing: good}
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
