package radius

import (
	"context"
	"strconv"
	"testing"

	"github.com/ordertwin/ordertwin/core/port"
)

// BenchmarkCommitVLAN is one CoA-Request and its CoA-ACK with the twin's
// DAS on loopback, per call.
func BenchmarkCommitVLAN(b *testing.B) {
	r := newRig(b, nil, nil)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if res := r.bng.Do(ctx, request(port.Commit, "ROI-002/commit/"+strconv.Itoa(i), vlan)); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
