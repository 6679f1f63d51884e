package ztp

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCommitOverPnP is one commit of the pilot's router end to end on
// loopback: the call, and the router's HELLO, device-info and cli-config
// exchanges (five HTTP requests), to its final answer.
func BenchmarkCommitOverPnP(b *testing.B) {
	rg := start(b, Config{Timeout: time.Minute})
	rg.z.cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	r, _ := reserved(b, network(b))
	req := pilot(r)
	ctx := context.Background()
	got := make(collect, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req.Key = "ROI-006/commit/" + strconv.Itoa(i+1)
		rg.z.Call(0, req, got)
		if err := rg.fleet.CallHome(ctx, pilotSerial); err != nil {
			b.Fatal(err)
		}
		for res := range got {
			if res.Final {
				if res.Err != nil {
					b.Fatal(res.Err)
				}
				break
			}
		}
	}
}
