package twin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// generatedNetwork is a one-site network with cards×ports OLT ports (the
// first card full, as in au-east.yaml), the whole VLAN range, a /16 of /29s
// and serials CPE, all operations instant.
func generatedNetwork(cards, ports, serials int) []byte {
	var b strings.Builder
	b.WriteString("name: generated\n")
	b.WriteString("exchanges:\n  - {id: G-EX, region: G, bng: BNG-G-01, p2pPorts: 48}\n")
	b.WriteString("servingAreas:\n  - {id: G-AREA, exchange: G-EX, vlanPool: ENT-G, ipPool: G-ENT}\n")
	b.WriteString("olts:\n  - id: OLT-G-1\n    area: G-AREA\n    lineCards:\n")
	fmt.Fprintf(&b, "      - {slot: 0, ports: %d, occupied: \"1-%d\"}\n", ports, ports)
	for slot := 1; slot <= cards; slot++ {
		fmt.Fprintf(&b, "      - {slot: %d, ports: %d}\n", slot, ports)
	}
	b.WriteString("vlanPools:\n  - {id: ENT-G, kind: enterprise, range: \"1-4094\"}\n")
	b.WriteString("ipPools:\n  - {id: G-ENT, prefix: 10.0.0.0/16, size: 29}\n")
	b.WriteString("qosTemplates:\n  - {name: BW-500-500-GOLD-ENT, speedMbps: 500, tier: Gold}\n")
	b.WriteString("probes:\n  name: \"Probe-{customer.code}-{site}\"\n  baseline:\n    \"*\": {latencyMs: 3.8, lossPct: 0.001, availability: 99.99}\n")
	b.WriteString("cpe:\n  - {model: ISR-4431, region: G, serials: [")
	for i := range serials {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "FDO%07d", i)
	}
	b.WriteString("]}\n")
	fmt.Fprintf(&b, "addresses:\n  - {address: %q, area: G-AREA, technology: GPON}\n", generatedSite.address)
	b.WriteString("durations:\n")
	for _, k := range DurationKeys {
		fmt.Fprintf(&b, "  %s: 0s\n", k)
	}
	return []byte(b.String())
}

var generatedSite = site{code: "GEN", address: "1 Generated Road, Benchville"}

// discard keeps only the last answer.
type discard struct{ last port.Result }

func (d *discard) Reply(_ time.Duration, res *port.Result) { d.last = *res }

func TestGeneratedNetwork(t *testing.T) {
	tw := newTwin(t, generatedNetwork(2, 16, 3))
	assert.Equal(t, 32, freeCapacity(t, tw, "q", generatedSite))
	for _, tt := range []struct{ typ, value string }{
		{"OLTPort", "OLT-G-1 LC1 Port 1"}, {"VLAN", "VLAN 1"}, {"IPv4Subnet", "10.0.0.0/29"},
		{"QoSPolicy", "BW-500-500-GOLD-ENT"}, {"TWAMPProbe", "Probe-ENT-1102-GEN"}, {"CPE", "ISR-4431 S/N: FDO0000000"},
	} {
		assert.Equal(t, tt.value, reserve(t, tw, tt.typ, generatedSite, tt.typ).Value)
	}
}

// siteResources are the six resources of one GPON site.
var siteResources = []string{"OLTPort", "VLAN", "IPv4Subnet", "QoSPolicy", "TWAMPProbe", "CPE"}

// benchReserve reserves reqs in turn, b.N times, on twins of net built
// anew (outside the timer) every capacity rounds. The requests have no
// key: the benchmark measures allocation, not the idempotency record.
func benchReserve(b *testing.B, net []byte, capacity int, reqs []*port.Request) {
	n, err := ParseNetwork(net)
	require.NoError(b, err)
	fresh := func() *Twin {
		tw, err := New(n)
		require.NoError(b, err)
		return tw
	}
	tw := fresh()
	var d discard
	b.ReportAllocs()
	rounds := 0
	for b.Loop() {
		if rounds == capacity {
			b.StopTimer()
			tw, rounds = fresh(), 0
			b.StartTimer()
		}
		for _, req := range reqs {
			tw.Call(0, req, &d)
			if d.last.Err != nil {
				b.Fatalf("%s: %v", req.ResourceType, d.last.Err)
			}
		}
		rounds++
	}
}

func BenchmarkReserveOLTPort(b *testing.B) {
	const cards, ports = 64, 16
	req := reserveReq("", generatedSite, "OLTPort")
	benchReserve(b, generatedNetwork(cards, ports, 1), cards*ports, []*port.Request{req})
}

func BenchmarkSiteAllocation(b *testing.B) {
	const cards, ports = 64, 16
	var reqs []*port.Request
	for _, typ := range siteResources {
		reqs = append(reqs, reserveReq("", generatedSite, typ))
	}
	benchReserve(b, generatedNetwork(cards, ports, cards*ports), cards*ports, reqs)
}
