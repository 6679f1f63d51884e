package bench

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
)

// sitesPerArea is how many sites one generated serving area takes.
const sitesPerArea = 200

// regions cycle through the generated serving areas.
var regions = []string{"MEL", "SYD", "BNE"}

// Workload builds a scenario spec of n enterprise orders shaped like the
// worked example: five sites each (one GPON pilot, two P2P sites in wave 1,
// two GPON sites in wave 2), Gold SLA, 500 Mbps, 36 months, all placed at
// T+0, on a generated network with room for every site.
func Workload(n int) (scenarios.Spec, error) {
	cat, err := scenarios.EnterpriseCatalog()
	if err != nil {
		return scenarios.Spec{}, err
	}
	durations, err := scenarios.NetworkDurations()
	if err != nil {
		return scenarios.Spec{}, err
	}
	sites := n * 5
	areas := (sites + sitesPerArea - 1) / sitesPerArea
	net := &twin.Network{Name: fmt.Sprintf("generated-%d", n), Durations: durations,
		Probes: twin.ProbeConfig{Name: "Probe-{customer.code}-{site}",
			Baseline: map[string]twin.Measurement{"*": {LatencyMs: 3.8, LossPct: 0.001, Availability: 99.99}}},
		QoSTemplates: []twin.QoSTemplate{{Name: "BW-500-500-GOLD-ENT", SpeedMbps: 500, Tier: "Gold"}}}
	for a := range areas {
		region := regions[a%len(regions)]
		ex, area := fmt.Sprintf("EX-%04d", a), fmt.Sprintf("AREA-%04d", a)
		net.Exchanges = append(net.Exchanges, twin.Exchange{ID: ex, Region: region, BNG: "BNG-" + ex, P2PPorts: sitesPerArea})
		net.ServingAreas = append(net.ServingAreas, twin.ServingArea{ID: area, Exchange: ex, VLANPool: "VLAN-" + area, IPPool: "IP-" + area})
		olt := twin.OLT{ID: "OLT-" + area, Area: area}
		for slot := 1; slot <= sitesPerArea/16+1; slot++ {
			olt.LineCards = append(olt.LineCards, twin.LineCard{Slot: slot, Ports: 16})
		}
		net.OLTs = append(net.OLTs, olt)
		net.VLANPools = append(net.VLANPools, twin.VLANPool{ID: "VLAN-" + area, Kind: "enterprise", Range: "2000-2299"})
		net.IPPools = append(net.IPPools, twin.IPPool{ID: "IP-" + area,
			Prefix: fmt.Sprintf("10.%d.%d.0/21", 64+a/32, (a%32)*8), Size: 29})
		stock := twin.CPEStock{Model: "ISR-4431", Region: region}
		for i := range sitesPerArea {
			stock.Serials = append(stock.Serials, fmt.Sprintf("FDO%04d%04d", a, i))
		}
		net.CPE = append(net.CPE, stock)
	}
	spec := scenarios.Spec{Name: net.Name, Seed: 1, Epoch: time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC),
		Catalog: cat, Network: net}
	site := 0
	for o := range n {
		cust := fmt.Sprintf("CUST-ENT-%05d", o)
		acct := fmt.Sprintf("ACC-ENT-%05d", o)
		net.Credit = append(net.Credit, twin.CreditAcct{Account: acct, Limit: 1e9, Standing: "good"})
		q := com.QuoteRequest{ID: fmt.Sprintf("QT-%05d", o), Customer: com.Customer{ID: cust, Name: cust, Account: acct},
			Offering: "PO-EFCG-01", Tier: "Gold", Speed: "500M-sym", Term: 36, RateCard: "RC-ENT-2024-NEG", Monthly: 1800,
			Waves: []com.WavePlan{{Name: "Pilot", ServiceOrder: "SO-PILOT", Target: 14 * 24 * time.Hour},
				{Name: "Wave 1", ServiceOrder: "SO-WAVE1", Target: 30 * 24 * time.Hour},
				{Name: "Wave 2", ServiceOrder: "SO-WAVE2", Target: 45 * 24 * time.Hour}}}
		for i, wave := range []string{"Pilot", "Wave 1", "Wave 1", "Wave 2", "Wave 2"} {
			tech := "GPON"
			if wave == "Wave 1" {
				tech = "P2P-Ethernet"
			}
			addr := fmt.Sprintf("Site %d, Generated Street", site)
			net.Addresses = append(net.Addresses, twin.Address{Address: addr, Area: fmt.Sprintf("AREA-%04d", site/sitesPerArea), Technology: tech})
			q.Sites = append(q.Sites, com.Site{Code: fmt.Sprintf("S%d", i+1), Name: addr, Address: addr, Wave: wave})
			site++
		}
		spec.Orders = append(spec.Orders, scenarios.Placement{Quote: q, OrderID: fmt.Sprintf("PO-%05d", o)})
	}
	return spec, net.Validate()
}

// Result is what one run of a workload measured.
type Result struct {
	Orders             int
	ResourceOrderItems int
	Completed          int
	Wall               time.Duration
	ItemsPerSecond     float64
	HeapAlloc          uint64 // bytes live after the run
	TotalAlloc         uint64 // bytes allocated during the run
}

// Run builds and runs the workload of n orders once, measuring it.
func Run(n int) (Result, error) {
	spec, err := Workload(n)
	if err != nil {
		return Result{}, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	sys, err := scenarios.New(spec, scenarios.Options{})
	if err != nil {
		return Result{}, err
	}
	if err := sys.Run(context.Background()); err != nil {
		return Result{}, err
	}
	wall := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	res := Result{Orders: n, Wall: wall, HeapAlloc: after.HeapAlloc, TotalAlloc: after.TotalAlloc - before.TotalAlloc}
	for _, ro := range sys.ROM.Orders() {
		res.ResourceOrderItems += len(ro.Items)
	}
	for _, po := range sys.COM.Orders() {
		if po.State == "completed" {
			res.Completed++
		}
	}
	res.ItemsPerSecond = float64(res.ResourceOrderItems) / wall.Seconds()
	runtime.KeepAlive(sys)
	return res, nil
}
