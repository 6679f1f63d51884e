package ztp

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/twin"
)

var stock = []twin.CPEStock{{Model: "ISR-4431", Region: "VIC", Serials: []string{"FDO2340567", "FDO2340568"}}}

func fleet(t *testing.T) *Fleet {
	t.Helper()
	f, err := NewFleet(stock, Config{Option43: "5A1N;B2;K4;I127.0.0.1;J1"})
	require.NoError(t, err)
	return f
}

const day1 = `hostname CE-1
policy-map P-IN
 class class-default
  police cir 1000
policy-map P-OUT
interface GigabitEthernet0/0/0
 no shutdown
interface GigabitEthernet0/0/0.2108
 description to the BNG
 encapsulation dot1Q 2108
 ip address 10.88.12.2 255.255.255.248
 service-policy input P-IN
 service-policy output P-OUT
 no shutdown
ip route 0.0.0.0 0.0.0.0 10.88.12.1
ip sla responder twamp
end
`

func TestApplyBuildsTheRoutersState(t *testing.T) {
	d := fleet(t).Device("FDO2340567")
	applied, refused := d.apply(day1, true)
	require.Nil(t, refused)
	assert.Len(t, applied, 16)
	st := d.Show()
	assert.Equal(t, "CE-1", st.Hostname)
	assert.Equal(t, Interface{Description: "to the BNG", VLAN: 2108, Address: netip.MustParsePrefix("10.88.12.2/29"),
		PolicyIn: "P-IN", PolicyOut: "P-OUT", Up: true}, st.Interfaces["GigabitEthernet0/0/0.2108"])
	assert.Equal(t, []string{"P-IN", "P-OUT"}, st.PolicyMaps)
	assert.Equal(t, []string{"0.0.0.0 0.0.0.0 10.88.12.1"}, st.Routes)
	assert.True(t, st.TWAMPResponder)
	assert.True(t, st.Saved)
	assert.Equal(t, 1, st.Applies)
	assert.Equal(t, day1, st.Running)
}

// A line the router refuses stops the apply, names the line, and leaves
// the configuration as it was.
func TestApplyRefuses(t *testing.T) {
	for name, c := range map[string]struct{ text, line, why string }{
		"a port the router lacks":        {"hostname X\ninterface GigabitEthernet0/0/9\n", "interface GigabitEthernet0/0/9", "Invalid input"},
		"a VLAN not the sub-interface's": {"interface GigabitEthernet0/0/0.10\n encapsulation dot1Q 11\n", "encapsulation dot1Q 11", "Invalid VLAN"},
		"a bad mask":                     {"interface GigabitEthernet0/0/1\n ip address 10.0.0.1 255.0.255.0\n", "ip address 10.0.0.1 255.0.255.0", "contiguous"},
		"a policy not configured":        {"interface GigabitEthernet0/0/1\n service-policy input NOPE\n", "service-policy input NOPE", "not configured"},
	} {
		t.Run(name, func(t *testing.T) {
			d := fleet(t).Device("FDO2340567")
			applied, refused := d.apply(c.text, true)
			require.NotNil(t, refused)
			assert.Equal(t, c.line, refused.line)
			assert.Equal(t, c.line, applied[len(applied)-1])
			assert.Contains(t, refused.why, c.why)
			st := d.Show()
			assert.Equal(t, "Router", st.Hostname)
			assert.Empty(t, st.Interfaces)
			assert.False(t, st.Saved)
			assert.Equal(t, 1, st.Applies)
		})
	}
}

func TestBadConfigFault(t *testing.T) {
	d := fleet(t).Device("FDO2340567")
	d.Inject(&Fault{Kind: BadConfig, Times: 1})
	_, refused := d.apply(day1, true)
	require.NotNil(t, refused)
	assert.Equal(t, "interface GigabitEthernet0/0/0", refused.line)
	_, refused = d.apply(day1, true)
	assert.Nil(t, refused, "the fault fires once")
	assert.Equal(t, 1, d.Hits(BadConfig))
}

func TestLostRouterCallsNoOne(t *testing.T) {
	f := fleet(t)
	d := f.Device("FDO2340568")
	d.Inject(&Fault{Kind: LostCPE})
	// The option 43 server (port 1) is not listening: a call would fail otherwise.
	assert.ErrorIs(t, f.CallHome(context.Background(), "FDO2340568"), ErrLost)
	assert.Equal(t, 0, d.Show().CalledHome)
	assert.Equal(t, 1, d.Hits(LostCPE))
	assert.Empty(t, d.Heard())
}

func TestFleetRefuses(t *testing.T) {
	_, err := NewFleet(stock, Config{Option43: "I127.0.0.1"})
	assert.ErrorContains(t, err, "5A1")
	_, err = NewFleet([]twin.CPEStock{{Model: "ASR-9000", Region: "VIC", Serials: []string{"X"}}}, Config{Option43: "5A1N;I127.0.0.1"})
	assert.ErrorContains(t, err, "ASR-9000")
	f := fleet(t)
	assert.ErrorContains(t, f.Install("NOPE"), "NOPE")
	assert.ErrorContains(t, f.CallHome(context.Background(), "NOPE"), "NOPE")
	assert.Nil(t, f.Device("NOPE"))
	require.NotNil(t, f.Device("FDO2340567"))
	assert.Equal(t, "PID:ISR4431/K9,VID:V01,SN:FDO2340567", f.Device("FDO2340567").UDI.String())
}

func TestExecShowsTheRunningConfiguration(t *testing.T) {
	d := fleet(t).Device("FDO2340567")
	_, refused := d.apply(day1+"event manager environment ztp_call K/1\n", true)
	require.Nil(t, refused)
	assert.Equal(t, day1, d.Show().Running, "nothing after end is applied")
	out, err := d.exec("show running-config | include ztp_call")
	require.NoError(t, err)
	assert.Empty(t, out)
	out, err = d.exec("show running-config | include ip route")
	require.NoError(t, err)
	assert.Equal(t, "ip route 0.0.0.0 0.0.0.0 10.88.12.1", out)
	out, err = d.exec("show running-config")
	require.NoError(t, err)
	assert.Equal(t, d.Show().Running, out)
	_, err = d.exec("reload")
	assert.ErrorContains(t, err, "Invalid input")
	_, err = d.exec("show running-config | section x")
	assert.ErrorContains(t, err, "Invalid input")
}
