package twin

import (
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/port"
)

// pooledTypes are the resources of which each one goes to one order only.
var pooledTypes = map[string]bool{"OLTPort": true, "P2PHandoff": true, "VLAN": true, "IPv4Subnet": true}

// FuzzParseNetwork feeds network files to ParseNetwork; whatever it
// accepts must build a twin that serves every address without panicking
// and without handing out a pooled resource twice. Reference:
// CONVENTIONS.md, "go test -fuzz targets for every decoder of outside
// input".
func FuzzParseNetwork(f *testing.F) {
	for _, path := range []string{auEastFile, "testdata/minimal.yaml"} {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Validate expands occupied ranges port by port: look at the sizes
		// before it does.
		var sizes Network
		if yaml.Unmarshal(data, &sizes) == nil && !fuzzable(&sizes) {
			t.Skip()
		}
		n, err := ParseNetwork(data)
		if err != nil {
			return
		}
		tw, err := New(n)
		require.NoError(t, err)
		taken := map[string]bool{}
		calls := 0
		do := func(req *port.Request) port.Result {
			calls++
			req.Key = fmt.Sprint(calls)
			var d discard
			tw.Call(0, req, &d)
			return d.last
		}
		for i, a := range n.Addresses {
			s := site{code: fmt.Sprint("S", i), address: a.Address}
			do(qualifyReq("", port.Revalidate, s))
			for _, typ := range []string{"OLTPort", "P2PHandoff", "VLAN", "IPv4Subnet", "QoSPolicy", "CPE", "TWAMPProbe"} {
				res := do(reserveReq("", s, typ))
				if res.Err != nil {
					continue
				}
				r := res.Resource
				require.NotNil(t, r)
				if pooledTypes[typ] {
					assert.False(t, taken[r.ID], "%s handed out twice", r.ID)
					taken[r.ID] = true
				}
				do(commitReq("", s, r))
			}
		}
		for _, acct := range n.Credit {
			do(creditReq("", acct.Account, 1))
		}
	})
}

// fuzzable leaves out networks too big to validate and build quickly (the
// work is proportional to the declared port and subnet counts) and those
// that hit the known bugs of TestParseNetworkRejectsNegativePortCounts and
// TestParseNetworkRejectsDuplicateSlots.
func fuzzable(n *Network) bool {
	const most = 1 << 16
	total := 0
	for _, e := range n.Exchanges {
		if e.P2PPorts < 0 {
			return false
		}
		total += e.P2PPorts
	}
	for _, o := range n.OLTs {
		slots := map[int]bool{}
		for _, lc := range o.LineCards {
			if lc.Ports < 0 || slots[lc.Slot] {
				return false
			}
			slots[lc.Slot] = true
			total += lc.Ports
		}
	}
	for _, p := range n.IPPools {
		pfx, err := netip.ParsePrefix(p.Prefix)
		subnets := p.Size - pfx.Bits()
		switch {
		case err != nil || subnets < 0:
			continue // Validate rejects it before expanding anything
		case subnets > 16:
			return false
		}
		total += 1 << subnets
	}
	return total <= most
}
