package netbox

import (
	"context"
	"fmt"
	"testing"

	"github.com/ordertwin/ordertwin/core/port"
)

// BenchmarkReserveRelease is one VLAN's round trip over loopback against
// the twin's front-end: reserve (3 requests) then release (3 requests).
func BenchmarkReserveRelease(b *testing.B) {
	nb := serve(b, network(b))
	a := nb.adapter(b, token, quiet)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		req := reserve(fmt.Sprintf("ROI-%d", i), "VLAN")
		i++
		res := a.Do(ctx, req)
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		if rel := a.Do(ctx, then(req, port.Release, port.VLAN, res.Resource)); rel.Err != nil {
			b.Fatal(rel.Err)
		}
	}
}
