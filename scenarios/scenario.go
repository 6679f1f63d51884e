// Package scenarios reads scenario files (format v1, documented in
// README.md beside them), wires the core to the network twin, runs
// scenarios on the virtual or the wall clock, and reports what happened:
// the seed-style timeline and entity map, the JSON report, and the
// scenario's expectations checked against it.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
	"go.yaml.in/yaml/v3"
)

// File is the YAML shape of a scenario file, version 1.
type File struct {
	Version     int              `yaml:"version"`
	Name        string           `yaml:"name"`
	Description string           `yaml:"description"`
	Seed        uint64           `yaml:"seed"`
	Start       string           `yaml:"start"`
	Catalog     string           `yaml:"catalog"`
	Network     string           `yaml:"network"`
	Customer    CustomerSpec     `yaml:"customer"`
	Quote       QuoteSpec        `yaml:"quote"`
	Order       OrderSpec        `yaml:"order"`
	Faults      []twin.FaultRule `yaml:"faults"`
	Events      []EventSpec      `yaml:"events"`
	Expect      *Expectations    `yaml:"expect"`
}

// CustomerSpec is the customer block.
type CustomerSpec struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
}

// QuoteSpec is the quote block.
type QuoteSpec struct {
	ID       string     `yaml:"id"`
	Offering string     `yaml:"offering"`
	Term     int        `yaml:"term"`
	SLA      string     `yaml:"sla"`
	Speed    string     `yaml:"speed"`
	RateCard string     `yaml:"rateCard"`
	Price    float64    `yaml:"price"`
	Waves    []WaveSpec `yaml:"waves"`
	Sites    []SiteSpec `yaml:"sites"`
}

// WaveSpec is one wave of the rollout plan.
type WaveSpec struct {
	Name         string `yaml:"name"`
	ServiceOrder string `yaml:"serviceOrder"`
	Target       string `yaml:"target"`
}

// SiteSpec is one site.
type SiteSpec struct {
	Code    string `yaml:"code"`
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	Wave    string `yaml:"wave"`
}

// OrderSpec says when the product order is placed.
type OrderSpec struct {
	ID string `yaml:"id"`
	At string `yaml:"at"`
}

// EventSpec is a timed event. Version 1 knows no event kinds yet; the
// field is reserved so that files stay forward compatible.
type EventSpec struct {
	At   string `yaml:"at"`
	Kind string `yaml:"kind"`
}

// Scenario is a loaded, checked scenario, ready to run.
type Scenario struct {
	Path   string
	Name   string
	Expect *Expectations
	Spec   Spec
}

// Spec is everything a run needs; the bench builds it without a file.
type Spec struct {
	Name    string
	Seed    uint64
	Epoch   time.Time
	Catalog *catalog.Catalog
	Network *twin.Network
	Orders  []Placement
	// Faults are injected into the twin.
	Faults []twin.FaultRule
}

// Placement is one customer's quote and the product order placed for it.
type Placement struct {
	Quote   com.QuoteRequest
	OrderID string
	At      time.Duration
}

// Load reads a scenario file, the catalog and network it names, and checks
// them all; every error names the file and what is wrong.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc, err := f.build(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc.Path = path
	return sc, nil
}

func (f *File) build(dir string) (*Scenario, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.Version != 1 {
		return nil, fmt.Errorf("version: %d is not supported (this build reads version 1)", f.Version)
	}
	if f.Name == "" {
		bad("name: missing")
	}
	epoch, err := time.Parse(time.RFC3339, f.Start)
	if err != nil {
		bad("start: %q is not an RFC 3339 time such as 2024-06-03T09:00:00+10:00", f.Start)
	}
	for i, e := range f.Events {
		bad("events[%d]: unknown event kind %q (scenario version 1 has none)", i, e.Kind)
	}
	var cat *catalog.Catalog
	if f.Catalog == "" {
		bad("catalog: missing")
	} else if cat, err = catalog.Load(filepath.Join(dir, f.Catalog)); err != nil {
		bad("%v", err)
	}
	var net *twin.Network
	if f.Network == "" {
		bad("network: missing")
	} else if net, err = twin.LoadNetwork(filepath.Join(dir, f.Network)); err != nil {
		bad("%v", err)
	}
	q := com.QuoteRequest{ID: f.Quote.ID, Customer: com.Customer(f.Customer), Offering: f.Quote.Offering,
		Tier: f.Quote.SLA, Speed: f.Quote.Speed, Term: f.Quote.Term, RateCard: f.Quote.RateCard, Monthly: f.Quote.Price}
	for i, w := range f.Quote.Waves {
		target, err := tmf.ParseOffset(w.Target)
		if err != nil {
			bad("quote.waves[%d] (%s): target: %v", i, w.Name, err)
		}
		so := w.ServiceOrder
		if so == "" {
			so = defaultSOName(w.Name)
		}
		q.Waves = append(q.Waves, com.WavePlan{Name: w.Name, ServiceOrder: so, Target: target})
	}
	for _, s := range f.Quote.Sites {
		q.Sites = append(q.Sites, com.Site(s))
	}
	at := time.Duration(0)
	if f.Order.At != "" {
		if at, err = tmf.ParseOffset(f.Order.At); err != nil {
			bad("order.at: %v", err)
		}
	}
	if cat != nil {
		if err := com.New(com.Config{Catalog: cat}).Check(q); err != nil {
			bad("quote: %v", err)
		}
	}
	if net != nil {
		known := map[string]bool{}
		for _, a := range net.Addresses {
			known[a.Address] = true
		}
		for _, s := range q.Sites {
			if s.Address != "" && !known[s.Address] {
				bad("quote.sites %s: address %q is not in network %s", s.Code, s.Address, f.Network)
			}
		}
	}
	if err := twin.CheckFaults(f.Faults); err != nil {
		bad("%v", err)
	}
	if err := f.Expect.check(f.Faults); err != nil {
		bad("expect: %v", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Scenario{Name: f.Name, Expect: f.Expect, Spec: Spec{Name: f.Name, Seed: f.Seed, Epoch: epoch,
		Catalog: cat, Network: net, Orders: []Placement{{Quote: q, OrderID: f.Order.ID, At: at}}, Faults: f.Faults}}, nil
}

// defaultSOName turns "Wave 1" into "SO-WAVE1".
func defaultSOName(wave string) string {
	b := []byte("SO-")
	for _, r := range wave {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		}
	}
	return string(b)
}
