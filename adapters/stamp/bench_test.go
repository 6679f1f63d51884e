package stamp

import (
	"context"
	"strconv"
	"testing"
	"time"

	tst "github.com/ordertwin/ordertwin/twin/stamp"
)

// BenchmarkMeasure is one STAMP session of 20 test packets 250 µs apart
// with the twin's reflector on loopback, per call: what the SLA probe's
// commit and measure cost over the wire (the packets' spacing is most of
// it).
func BenchmarkMeasure(b *testing.B) {
	_, addr := reflect(b, tst.Model{RoundTrip: 4 * time.Millisecond})
	p := probe(b, addr, 20, 500*time.Millisecond)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if res := p.Do(ctx, measureReq("POI-001/measure/"+strconv.Itoa(i))); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
