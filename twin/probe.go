package twin

import "fmt"

// BaselineIn is what a probe measures in region when nothing goes wrong:
// the region's baseline, or the one for any region ("*").
func (p ProbeConfig) BaselineIn(region string) Measurement {
	if m, ok := p.Baseline[region]; ok {
		return m
	}
	return p.Baseline["*"]
}

// ProbeSite is where a site's probe stands in the network: the serving
// area and region of the site's address, and the baseline its probe
// measures there. Protocol front-ends (the STAMP reflectors) read it.
type ProbeSite struct {
	Area, Region string
	Baseline     Measurement
}

// ProbeAt finds the probe site of an address of the address book.
func (n *Network) ProbeAt(address string) (ProbeSite, error) {
	for _, a := range n.Addresses {
		if a.Address != address {
			continue
		}
		for _, ar := range n.ServingAreas {
			if ar.ID != a.Area {
				continue
			}
			for _, x := range n.Exchanges {
				if x.ID == ar.Exchange {
					return ProbeSite{Area: ar.ID, Region: x.Region, Baseline: n.Probes.BaselineIn(x.Region)}, nil
				}
			}
		}
		return ProbeSite{}, fmt.Errorf("address %q: its serving area %s has no exchange in the network", address, a.Area)
	}
	return ProbeSite{}, fmt.Errorf("address %q is not in the address book", address)
}
