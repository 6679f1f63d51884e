package stamp

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// Site is a site whose probe the twin reflects for: its code (MELB) and
// its address in the network's address book.
type Site struct {
	Code, Address string
}

// Options are what the twin's reflectors share.
type Options struct {
	// Seed seeds every reflector's model (the scenario's seed).
	Seed uint64
	// Variation spreads each one-way delay by this share of its mean, 0
	// to 1 (0: every packet takes the model's delay exactly; the twin's
	// model has no jitter of its own).
	Variation float64
	// Epoch is T+0, from which fault windows count (now if zero).
	Epoch time.Time
	Log   *slog.Logger
}

// ModelOf is the path a probe measuring m sees: m's latency as the mean
// round trip, m's loss, and one-way delays varied by variation (a share of
// their mean).
func ModelOf(m twin.Measurement, variation float64, seed uint64) Model {
	rtt := time.Duration(m.LatencyMs * float64(time.Millisecond))
	return Model{RoundTrip: rtt, Variation: time.Duration(min(max(variation, 0), 1) * float64(rtt/2)),
		Loss: m.LossPct / 100, Seed: seed}
}

// ForSite makes the reflector of a site from the twin's network — the
// baseline its probe measures in the region of its address — with the
// fault rules that reach its probe's packets: slaBreach (the session
// measures the rule's figures) and down or transient (the far end does
// not answer), for system nms or any, whose site, area and region match.
// A rule's window counts from opt.Epoch; its occurrence counts sessions.
// Rules of other kinds do not concern the probe's packets and are left to
// the twin. A rule armed by an order's state (after) is refused: the
// reflector does not see orders.
func ForSite(n *twin.Network, site Site, rules []twin.FaultRule, opt Options) (*Reflector, error) {
	at, err := n.ProbeAt(site.Address)
	if err != nil {
		return nil, fmt.Errorf("reflector %s: %w", site.Code, err)
	}
	r, err := NewReflector(Config{Site: site.Code, Model: ModelOf(at.Baseline, opt.Variation, opt.Seed), Epoch: opt.Epoch, Log: opt.Log})
	if err != nil {
		return nil, err
	}
	for _, rule := range rules {
		f, err := faultOf(rule, site, at, opt)
		if err != nil {
			return nil, fmt.Errorf("reflector %s: %w", site.Code, err)
		}
		if f == nil {
			continue
		}
		if _, err := r.Inject(f); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// faultOf is the reflector's fault for a twin rule, or nil if the rule
// does not reach the site's probe packets.
func faultOf(rule twin.FaultRule, site Site, at twin.ProbeSite, opt Options) (*Fault, error) {
	tg := rule.Target
	if (tg.System != "" && tg.System != "nms") || (tg.Op != "" && tg.Op != "commit" && tg.Op != "measure") ||
		(tg.ResourceType != "" && tg.ResourceType != "TWAMPProbe") || tg.Stage != "" ||
		(tg.Site != "" && tg.Site != site.Code) || (tg.Area != "" && tg.Area != at.Area) ||
		(tg.Region != "" && tg.Region != at.Region) {
		return nil, nil
	}
	f := &Fault{Name: rule.Name, First: int(rule.First), Every: int(rule.Every), Nth: int(rule.Nth), Probability: float64(rule.Probability)}
	switch rule.Kind {
	case twin.SLABreach:
		if rule.Measure == nil {
			return nil, fmt.Errorf("fault %s: an slaBreach needs measure", rule.Name)
		}
		m := ModelOf(*rule.Measure, opt.Variation, opt.Seed)
		f.Kind, f.Model = Breach, &m
	case twin.Down, twin.Transient:
		f.Kind = Silent
	default:
		return nil, nil
	}
	if rule.After != "" {
		return nil, fmt.Errorf("fault %s: armed after %q, an order's state the reflector does not see", rule.Name, rule.After)
	}
	var err error
	if rule.From != "" {
		if f.From, err = tmf.ParseOffset(rule.From); err != nil {
			return nil, fmt.Errorf("fault %s: from: %w", rule.Name, err)
		}
	}
	if rule.Until != "" {
		if f.Until, err = tmf.ParseOffset(rule.Until); err != nil {
			return nil, fmt.Errorf("fault %s: until: %w", rule.Name, err)
		}
	}
	return f, nil
}
