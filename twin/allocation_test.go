package twin

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Reference: worked example, Step 4, "Complete Resource Allocation Summary
// (Pilot Site)": the first free resource of au-east.yaml is exactly what
// the pilot site is allocated.
func TestReservePilotSiteResources(t *testing.T) {
	tests := []struct {
		resourceType string
		value        string
		id           string
		chars        tmf.Characteristics
	}{
		// "Selected: OLT-SOUTH-03, Line Card 2, Port 8" (LC1 full, LC2 1-7 in use).
		{"OLTPort", "OLT-SOUTH-03 LC2 Port 8", "OLT-SOUTH-03-LC2-P8", tmf.Characteristics{
			{Name: "olt", Value: "OLT-SOUTH-03"}, {Name: "lineCard", Value: "2"}, {Name: "port", Value: "8"}}},
		// "ROM allocates VLAN 2108 from the enterprise VLAN pool".
		{"VLAN", "VLAN 2108", "ENT-MEL-VLAN-2108", tmf.Characteristics{
			{Name: "pool", Value: "ENT-MEL"}, {Name: "vlanId", Value: "2108"}}},
		// "10.88.12.0/29 allocated (6 usable addresses)".
		{"IPv4Subnet", "10.88.12.0/29", "SOUTH-ENT-10.88.12.0/29", tmf.Characteristics{
			{Name: "pool", Value: "SOUTH-ENT"}}},
		// "QoS policy template BW-500-500-GOLD-ENT (500 Mbps symmetric, ... committed information rate)".
		{"QoSPolicy", "BW-500-500-GOLD-ENT", "BW-500-500-GOLD-ENT-ROI-004", tmf.Characteristics{
			{Name: "bng", Value: "BNG-MEL-01"}, {Name: "cir", Value: "true"}}},
		// Allocation summary: "TWAMP Probe | Probe-ENT-1102-MELB".
		{"TWAMPProbe", "Probe-ENT-1102-MELB", "Probe-ENT-1102-MELB", nil},
		// "ROM pre-stages a Cisco ISR 4431 (S/N: FDO2340567)".
		{"CPE", "ISR-4431 S/N: FDO2340567", "FDO2340567", tmf.Characteristics{
			{Name: "model", Value: "ISR-4431"}, {Name: "serialNumber", Value: "FDO2340567"}}},
	}
	for _, tt := range tests {
		t.Run(tt.resourceType, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			key := "ROI-004/reserve/1"
			a := call(t, tw, 0, reserveReq(key, melbHQ, tt.resourceType))
			require.Nil(t, a.res.Err)
			r := a.res.Resource
			require.NotNil(t, r)
			assert.Equal(t, tt.value, r.Value)
			assert.Equal(t, tt.id, r.ID)
			assert.Equal(t, tt.resourceType, r.ResourceType)
			assert.Equal(t, "reserved", r.State)
			assert.Equal(t, melbHQ.place(), r.Place)
			assert.Equal(t, tt.chars, r.Characteristics)
			assert.Equal(t, port.Result{Key: key, System: resourceSystems[tt.resourceType].reserve, Op: port.Reserve,
				Item: "ROI-004", Final: true, Resource: r}, a.res, "the answer echoes the request")
		})
	}
}

// All six resources of the pilot site come out of one twin unchanged: the
// pools do not interfere with one another.
func TestReservePilotSiteInOneTwin(t *testing.T) {
	tw := newTwin(t, auEast(t))
	var got []string
	for _, typ := range []string{"OLTPort", "VLAN", "IPv4Subnet", "QoSPolicy", "TWAMPProbe", "CPE"} {
		got = append(got, reserve(t, tw, typ, melbHQ, typ).Value)
	}
	assert.Equal(t, []string{"OLT-SOUTH-03 LC2 Port 8", "VLAN 2108", "10.88.12.0/29", "BW-500-500-GOLD-ENT",
		"Probe-ENT-1102-MELB", "ISR-4431 S/N: FDO2340567"}, got)
}

// Reference: worked example, "Per-Site Feasibility Check" and "Wave 1":
// Sydney sites are P2P Ethernet, so their bearer is a P2P handoff at
// SYD-EX-01 (ports 1-30 in use); the Brisbane sites are GPON on OLT-BNE-07.
// The other resources come from the site's own region.
func TestReserveOtherSites(t *testing.T) {
	tw := newTwin(t, auEast(t))
	tests := []struct {
		site         site
		resourceType string
		value        string
	}{
		{syd1, "P2PHandoff", "SYD-EX-01 P2P Port 31"},
		{syd2, "P2PHandoff", "SYD-EX-01 P2P Port 32"},
		{syd1, "VLAN", "VLAN 2232"},
		{syd2, "VLAN", "VLAN 2233"},
		{syd1, "IPv4Subnet", "10.89.0.16/29"},
		{syd2, "IPv4Subnet", "10.89.0.24/29"},
		{syd1, "CPE", "ISR-4431 S/N: FDO2341102"},
		{syd2, "CPE", "ISR-4431 S/N: FDO2341103"},
		{syd1, "TWAMPProbe", "Probe-ENT-1102-SYD1"},
		{bne1, "OLTPort", "OLT-BNE-07 LC1 Port 14"},
		{bne2, "OLTPort", "OLT-BNE-07 LC1 Port 15"},
		{bne1, "VLAN", "VLAN 2312"},
		{bne1, "IPv4Subnet", "10.90.4.8/29"},
		{bne1, "CPE", "ISR-4431 S/N: FDO2342210"},
	}
	for i, tt := range tests {
		r := reserve(t, tw, fmt.Sprint(i), tt.site, tt.resourceType)
		assert.Equal(t, tt.value, r.Value, "%s %s", tt.site.code, tt.resourceType)
	}

	h := reserve(t, tw, "h", syd1, "P2PHandoff")
	assert.Equal(t, "SYD-EX-01-P2P-33", h.ID)
	assert.Equal(t, tmf.Characteristics{{Name: "exchange", Value: "SYD-EX-01"}, {Name: "port", Value: "33"}},
		h.Characteristics)
	q := reserve(t, tw, "q", syd1, "QoSPolicy")
	assert.Equal(t, "BNG-SYD-01", q.Characteristics.Get("bng"), "the QoS policy goes on the site's own BNG")
}

// Reference: worked example, "Per-Site Feasibility Check": Melbourne HQ is
// GPON in the OLT-SOUTH-03 serving area, the Sydney offices P2P Ethernet,
// the Brisbane offices GPON.
func TestQualifySites(t *testing.T) {
	tw := newTwin(t, auEast(t))
	tests := []struct {
		site     site
		want     port.QualificationResult
		duration string
	}{
		{melbHQ, port.QualificationResult{Technology: "GPON", Area: "SOUTH-03", Exchange: "MEL-SOUTH", Region: "MEL",
			IPPool: "SOUTH-ENT", FreeCapacity: 9}, "0s"},
		{syd1, port.QualificationResult{Technology: "P2P-Ethernet", Area: "SYD-CBD", Exchange: "SYD-EX-01", Region: "SYD",
			IPPool: "SYD-ENT", FreeCapacity: 18}, "0s"},
		{bne2, port.QualificationResult{Technology: "GPON", Area: "BNE-CBD", Exchange: "BNE-EX-01", Region: "BNE",
			IPPool: "BNE-ENT", FreeCapacity: 3}, "0s"},
	}
	for i, tt := range tests {
		t.Run(tt.site.code, func(t *testing.T) {
			a := call(t, tw, hours(5), qualifyReq("q"+tt.site.code, port.Qualify, tt.site))
			require.Nil(t, a.res.Err)
			q := a.res.Qualification
			require.NotNil(t, q)
			assert.True(t, a.res.Approved)
			assert.Equal(t, hours(5), a.at)
			assert.Equal(t, fmt.Sprintf("FQ-%s-%06d", tt.want.Area, i+1), q.Token, "tokens are numbered per twin")
			assert.Equal(t, hours(5)+30*24*hours(1), q.Expires, "a feasibility token lasts 30 days")
			q.Token, q.Expires = "", 0
			assert.Equal(t, tt.want, *q)
		})
	}
}

// Reference: scenarios/networks/au-east.yaml, "the first free port, VLAN,
// prefix and serial is what a new order gets": allocations follow the
// network file's occupancy, not constants.
func TestReserveFollowsOccupancy(t *testing.T) {
	tests := []struct {
		name         string
		old, new     string
		site         site
		resourceType string
		value        string
	}{
		{"LC2 ports 1-9 in use", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-9"}`,
			melbHQ, "OLTPort", "OLT-SOUTH-03 LC2 Port 10"},
		{"gap in LC2", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-3,5-12"}`,
			melbHQ, "OLTPort", "OLT-SOUTH-03 LC2 Port 4"},
		{"LC1 has a free port", `{slot: 1, ports: 16, occupied: "1-16"}`, `{slot: 1, ports: 16, occupied: "1-15"}`,
			melbHQ, "OLTPort", "OLT-SOUTH-03 LC1 Port 16"},
		{"LC2 empty", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16}`,
			melbHQ, "OLTPort", "OLT-SOUTH-03 LC2 Port 1"},
		{"VLANs 2100-2120 in use", `occupied: "2100-2107"`, `occupied: "2100-2120"`,
			melbHQ, "VLAN", "VLAN 2121"},
		{"VLAN gap", `occupied: "2100-2107"`, `occupied: "2100-2104,2106-2110"`,
			melbHQ, "VLAN", "VLAN 2105"},
		{"another enterprise VLAN range", `range: "2100-2199", occupied: "2100-2107"`, `range: "3000-3099", occupied: "3000"`,
			melbHQ, "VLAN", "VLAN 3001"},
		{"10.88.12.0/29 allocated", `size: 29}`, `size: 29, allocated: [10.88.12.0/29]}`,
			melbHQ, "IPv4Subnet", "10.88.12.8/29"},
		{"first and third /29 allocated", `size: 29}`, `size: 29, allocated: [10.88.12.16/29, 10.88.12.0/29]}`,
			melbHQ, "IPv4Subnet", "10.88.12.8/29"},
		{"/28 subnets", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 28, allocated: [10.88.12.0/28]}`,
			melbHQ, "IPv4Subnet", "10.88.12.16/28"},
		{"another first serial", `FDO2340567`, `FDO9000001`,
			melbHQ, "CPE", "ISR-4431 S/N: FDO9000001"},
		{"another model", `{model: ISR-4431, region: MEL,`, `{model: ISR-1111, region: MEL, serials: [FGL0000001]}
  - {model: ISR-4431, region: MEL,`, melbHQ, "CPE", "ISR-4431 S/N: FDO2340567"},
		{"another QoS template name", `{name: BW-500-500-GOLD-ENT,`, `{name: POL-500-GOLD,`,
			melbHQ, "QoSPolicy", "POL-500-GOLD"},
		{"another probe name pattern", `name: "Probe-{customer.code}-{site}"`, `name: "TWAMP-{site}-{customer.code}"`,
			melbHQ, "TWAMPProbe", "TWAMP-MELB-ENT-1102"},
		{"P2P ports 1-40 in use", `p2pPorts: 48, p2pOccupied: "1-30"`, `p2pPorts: 48, p2pOccupied: "1-40"`,
			syd1, "P2PHandoff", "SYD-EX-01 P2P Port 41"},
		{"no P2P port in use", `p2pPorts: 48, p2pOccupied: "1-30"`, `p2pPorts: 48`,
			syd1, "P2PHandoff", "SYD-EX-01 P2P Port 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, edit(t, auEast(t), tt.old, tt.new))
			assert.Equal(t, tt.value, reserve(t, tw, "k", tt.site, tt.resourceType).Value)
		})
	}
}

// Without an explicit template for the speed and tier, the BNG has no
// policy to apply: a hard error, not a guess.
func TestReserveQoSPolicyTemplate(t *testing.T) {
	tests := []struct {
		speed, tier string
		value       string
		err         string
	}{
		{"500M-sym", "Gold", "BW-500-500-GOLD-ENT", ""},
		{"100M-sym", "Silver", "BW-100-100-SILVER-ENT", ""},
		{"1G-sym", "Gold", "BW-1000-1000-GOLD-ENT", ""},
		{"1G-sym", "Platinum", "BW-1000-1000-PLAT-ENT", ""},
		{"1000M-sym", "Gold", "BW-1000-1000-GOLD-ENT", ""},
		{"500M-sym", "Platinum", "", "no QoS template for 500 Mbps Platinum"},
		{"250M-sym", "Gold", "", "no QoS template for 250 Mbps Gold"},
	}
	for _, tt := range tests {
		t.Run(tt.speed+"/"+tt.tier, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			req := reserveReq("k", melbHQ, "QoSPolicy")
			req.Characteristics = tmf.Characteristics{{Name: "speed", Value: tt.speed}, {Name: "slaTier", Value: tt.tier}}
			a := call(t, tw, 0, req)
			if tt.err != "" {
				require.NotNil(t, a.res.Err)
				assert.Equal(t, port.Hard, a.res.Err.Class)
				assert.Equal(t, "noQoSTemplate", a.res.Err.Code)
				assert.Contains(t, a.res.Err.Message, tt.err)
				return
			}
			require.Nil(t, a.res.Err)
			assert.Equal(t, tt.value, a.res.Resource.Value)
		})
	}
}

func TestReserveRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name  string
		req   *port.Request
		class port.ErrorClass
		code  string
		msg   string
	}{
		{"unknown resource type", reserveReq("k", melbHQ, "Teleporter"), port.Invalid, "unknownResourceType",
			`cannot reserve a "Teleporter"`},
		{"unknown address", reserveReq("k", site{code: "X", address: "1 Nowhere Lane"}, "VLAN"), port.Invalid,
			"unknownAddress", `address "1 Nowhere Lane" is not in the address book`},
		{"CPE model not stocked", func() *port.Request {
			r := reserveReq("k", melbHQ, "CPE")
			r.Characteristics = tmf.Characteristics{{Name: "model", Value: "ASR-920"}}
			return r
		}(), port.Exhausted, "capacityExhausted", "no ASR-920 in stock in MEL"},
		{"unsupported op", &port.Request{Key: "k", System: port.Access, Op: port.Activate, Place: melbHQ.place()},
			port.Invalid, "unsupported", "access does not support activate"},
		{"commit without resource", &port.Request{Key: "k", System: port.Access, Op: port.Commit, Place: melbHQ.place()},
			port.Invalid, "noResource", "commit without a reserved resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			a := call(t, tw, hours(1), tt.req)
			require.NotNil(t, a.res.Err)
			assert.Equal(t, tt.class, a.res.Err.Class)
			assert.Equal(t, tt.code, a.res.Err.Code)
			assert.Contains(t, a.res.Err.Message, tt.msg)
			assert.Nil(t, a.res.Resource)
			assert.Equal(t, hours(1), a.at, "a refusal answers at once")
		})
	}
}

// Pools run dry with an exhausted error naming the pool, and what was
// taken before stays taken.
func TestReservePoolsRunDry(t *testing.T) {
	tests := []struct {
		name         string
		old, new     string
		resourceType string
		values       []string
		msg          string
	}{
		{"VLAN", `occupied: "2100-2107"`, `occupied: "2100-2197"`, "VLAN",
			[]string{"VLAN 2198", "VLAN 2199"}, "VLAN pool ENT-MEL is exhausted"},
		{"IP", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/28, size: 29}`, "IPv4Subnet",
			[]string{"10.88.12.0/29", "10.88.12.8/29"}, "IP pool SOUTH-ENT is exhausted"},
		{"CPE", `[FDO2340567, FDO2340568, FDO2340569, FDO2340570]`, `[FDO2340567, FDO2340568]`, "CPE",
			[]string{"ISR-4431 S/N: FDO2340567", "ISR-4431 S/N: FDO2340568"}, "no ISR-4431 left in stock in MEL"},
		{"OLT", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-14"}`, "OLTPort",
			[]string{"OLT-SOUTH-03 LC2 Port 15", "OLT-SOUTH-03 LC2 Port 16"}, "no OLT capacity at serving exchange"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, edit(t, auEast(t), tt.old, tt.new))
			for i, want := range tt.values {
				assert.Equal(t, want, reserve(t, tw, fmt.Sprint(i), melbHQ, tt.resourceType).Value)
			}
			for _, key := range []string{"dry-1", "dry-2"} {
				a := call(t, tw, 0, reserveReq(key, melbHQ, tt.resourceType))
				require.NotNil(t, a.res.Err)
				assert.Equal(t, port.Exhausted, a.res.Err.Class)
				assert.ErrorIs(t, a.res.Err, port.ErrCapacityExhausted)
				assert.Contains(t, a.res.Err.Message, tt.msg)
			}
		})
	}
}

// Reference: docs/architecture.md §5, "reserve → commit → release ... so a failed
// site's resources can be compensated and nothing leaks".
func TestReleaseGivesResourceBack(t *testing.T) {
	tests := []struct {
		site         site
		resourceType string
		value        string
		next         string
	}{
		{melbHQ, "OLTPort", "OLT-SOUTH-03 LC2 Port 8", "OLT-SOUTH-03 LC2 Port 9"},
		{syd1, "P2PHandoff", "SYD-EX-01 P2P Port 31", "SYD-EX-01 P2P Port 32"},
		{melbHQ, "VLAN", "VLAN 2108", "VLAN 2109"},
		{melbHQ, "IPv4Subnet", "10.88.12.0/29", "10.88.12.8/29"},
		{melbHQ, "CPE", "ISR-4431 S/N: FDO2340567", "ISR-4431 S/N: FDO2340568"},
		{melbHQ, "QoSPolicy", "BW-500-500-GOLD-ENT", "BW-500-500-GOLD-ENT"},
		{melbHQ, "TWAMPProbe", "Probe-ENT-1102-MELB", "Probe-ENT-1102-MELB"},
	}
	for _, tt := range tests {
		t.Run(tt.resourceType, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			r := reserve(t, tw, "reserve-1", tt.site, tt.resourceType)
			require.Equal(t, tt.value, r.Value)

			releaseOK(t, tw, "release-1", tt.site, r)
			again := reserve(t, tw, "reserve-2", tt.site, tt.resourceType)
			assert.Equal(t, tt.value, again.Value, "a released resource is the first free one again")

			// Released twice (two calls, two keys): harmless, and given
			// back only once, so the next two reserves differ.
			releaseOK(t, tw, "release-2", tt.site, again)
			releaseOK(t, tw, "release-3", tt.site, again)
			assert.Equal(t, tt.value, reserve(t, tw, "reserve-3", tt.site, tt.resourceType).Value)
			assert.Equal(t, tt.next, reserve(t, tw, "reserve-4", tt.site, tt.resourceType).Value)
		})
	}
}

// A release gives capacity back to the serving area exactly once.
func TestReleaseRestoresCapacityOnce(t *testing.T) {
	for _, s := range []site{melbHQ, syd1} {
		t.Run(s.code, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			typ := map[string]string{"MELB": "OLTPort", "SYD1": "P2PHandoff"}[s.code]
			before := freeCapacity(t, tw, "q1", s)
			r := reserve(t, tw, "reserve", s, typ)
			assert.Equal(t, before-1, freeCapacity(t, tw, "q2", s))
			releaseOK(t, tw, "release-1", s, r)
			assert.Equal(t, before, freeCapacity(t, tw, "q3", s))
			releaseOK(t, tw, "release-2", s, r)
			assert.Equal(t, before, freeCapacity(t, tw, "q4", s), "a second release frees nothing")
		})
	}
}

// Releasing what the twin never handed out, or nothing, is harmless.
func TestReleaseUnknownResource(t *testing.T) {
	tw := newTwin(t, auEast(t))
	releaseOK(t, tw, "r1", melbHQ, &tmf.Resource{ID: "OLT-SOUTH-03-LC1-P1", ResourceType: "OLTPort"})
	a := call(t, tw, hours(2), &port.Request{Key: "r2", System: port.VLAN, Op: port.Release, Place: melbHQ.place()})
	assert.Nil(t, a.res.Err)
	assert.Equal(t, hours(2), a.at, "a release answers at once")
	assert.Equal(t, 9, freeCapacity(t, tw, "q", melbHQ), "occupied ports stay occupied")
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", reserve(t, tw, "k", melbHQ, "OLTPort").Value)
}
