package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
)

// LiveWorkload builds a scenario spec of n enterprise orders of 25 sites
// each (the national rollout's shape: a pilot site, then 12 and 12, the
// last wave due 75 days after the order), arriving at a steady rate over
// the first 30 virtual days, so that from then on all n are in flight at
// once, on a generated network with room for every site.
func LiveWorkload(n int) (scenarios.Spec, error) {
	arrival := tmf.FormatOffset(30 * 24 * time.Hour / time.Duration(max(n, 1)))
	p := scenarios.Population{Customers: n, SitesPerCustomer: 25, Offering: "PO-EFCG-01", SLA: "Gold",
		Speed: "500M-sym", Term: 36, RateCard: "RC-ENT-2024-NEG", Price: 1800, P2PEvery: 4, Arrival: arrival,
		Waves: []scenarios.PopulationWave{{Name: "Pilot", Sites: 1, Target: "P14D"},
			{Name: "Wave 1", Sites: 12, Target: "P45D"}, {Name: "Wave 2", Sites: 12, Target: "P75D"}},
		Network: scenarios.PopulationNetwork{Regions: []string{"MEL", "SYD", "BNE"}, SitesPerArea: 200}}
	return p.Spec(fmt.Sprintf("live-%d", n), 1, time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC))
}

// LiveResult is what a live run measured. Lag is how far the engine was
// behind the wall clock (Engine.Behind: the present less the time of the
// earliest input due and not yet handled), in wall time, sampled every
// 100 ms while the orders ran (the orders ended are counted every second).
type LiveResult struct {
	// Orders were placed, Completed ended; Peak is the most in flight at
	// once (placed and not ended).
	Orders, Completed, Peak int
	Wall                    time.Duration
	LagP50, LagP99          time.Duration
	LagMax                  time.Duration
}

// RunLive serves the live workload of n orders on the wall clock at scale
// (virtual seconds per second) as `ordertwin serve` does: the SQLite store
// in dir, the hub notifier running (with no listener), until every order
// has ended or ctx ends.
func RunLive(ctx context.Context, n int, scale float64, dir string) (LiveResult, error) {
	spec, err := LiveWorkload(n)
	if err != nil {
		return LiveResult{}, err
	}
	file := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(file, sqlite.Options{})
	if err != nil {
		return LiveResult{}, err
	}
	defer st.Close()
	clock := engine.NewWall(scale)
	sys, err := scenarios.New(spec, scenarios.Options{Clock: clock, Journal: st, Log: st})
	if err != nil {
		return LiveResult{}, err
	}
	front := sys.API()
	notifier, err := events.Open(st, events.Options{Feed: st.Feed(), Directory: front.Listeners(), Epoch: spec.Epoch})
	if err != nil {
		return LiveResult{}, err
	}
	ectx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	// The clock starts as the engine starts serving: building the system
	// is not lag.
	clock.Start = time.Now()
	go func() { done <- sys.Engine.Serve(ectx) }()
	notifier.Start(ectx)
	defer notifier.Stop()
	start := time.Now()
	var lags []time.Duration
	res := LiveResult{Orders: n}
	for tick, i := time.NewTicker(100*time.Millisecond), 0; ; i++ {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case err := <-done:
			return res, fmt.Errorf("engine: %w", err)
		case <-tick.C:
		}
		var behind time.Duration
		ended := 0
		if err := sys.Engine.Query(ctx, func() {
			behind = sys.Engine.Behind()
			if i%10 != 9 {
				ended = -1 // counted once a second
				return
			}
			orders := sys.COM.Orders()
			for _, po := range orders {
				if lc.IsFinal(lc.ProductOrder, po.State) {
					ended++
				}
			}
			res.Peak = max(res.Peak, len(orders)-ended)
		}); err != nil {
			return res, err
		}
		lags = append(lags, time.Duration(float64(max(behind, 0))/scale))
		if ended >= 0 {
			res.Completed = ended
		}
		if ended >= n {
			break
		}
	}
	res.Wall = time.Since(start)
	slices.Sort(lags)
	res.LagP50, res.LagP99, res.LagMax = lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1]
	return res, nil
}
