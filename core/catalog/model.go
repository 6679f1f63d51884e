package catalog

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// Catalog is a loaded, validated catalog.
type Catalog struct {
	Name      string
	Offerings map[string]*Offering
	Specs     map[string]*ProductSpec
	Tiers     map[string]*SLATier
	CFS       map[string]*CFS
	RFS       map[string]*RFS
	// Policies say what to do when a step fails, first match wins.
	Policies []Policy
	plans    map[string]*Plan
}

// Offering is a product offering (PO-EFCG-01).
type Offering struct {
	ID            string     `yaml:"id"`
	Name          string     `yaml:"name"`
	Code          string     `yaml:"code"`
	Specification string     `yaml:"specification"`
	Tiers         []string   `yaml:"slaTiers"`
	Speeds        []string   `yaml:"speeds"`
	Terms         []int      `yaml:"terms"`
	Currency      string     `yaml:"currency"`
	ListPrice     float64    `yaml:"listPrice"`
	RateCards     []RateCard `yaml:"rateCards"`
	// DiscountAuthority is the largest discount off list price that the
	// commercial review may approve, as a fraction (0.25 = 25%).
	DiscountAuthority float64 `yaml:"discountAuthority"`
	// CPEModel is the managed router every site gets.
	CPEModel string `yaml:"cpeModel"`
	// InstanceID names the product instance per site, e.g.
	// "PI-EFCG-{customer.number}-{site}".
	InstanceID string `yaml:"instanceId"`
}

// RateCard is a negotiated price list.
type RateCard struct {
	ID       string  `yaml:"id"`
	Monthly  float64 `yaml:"monthly"`
	Approved bool    `yaml:"approved"`
	From     string  `yaml:"validFrom"` // YYYY-MM-DD
	To       string  `yaml:"validTo"`   // YYYY-MM-DD, inclusive
	Terms    []int   `yaml:"terms"`
	// SpeedPrices are the monthly prices of speeds that cost other than
	// Monthly.
	SpeedPrices map[string]float64 `yaml:"speedPrices"`
	// TierPrices are the monthly prices by SLA tier and speed (tier →
	// speed → price): a tier × speed rate card. A tier and speed it does
	// not list cost what SpeedPrices and Monthly say.
	TierPrices map[string]map[string]float64 `yaml:"tierPrices"`
}

// PriceOf is the card's monthly price of a speed at an SLA tier.
func (r *RateCard) PriceOf(tier, speed string) float64 {
	if p, ok := r.TierPrices[tier][speed]; ok {
		return p
	}
	return r.Price(speed)
}

// Price is the card's monthly price of a speed.
func (r *RateCard) Price(speed string) float64 {
	if p, ok := r.SpeedPrices[speed]; ok {
		return p
	}
	return r.Monthly
}

// Current tells whether the card is valid on day (YYYY-MM-DD).
func (r *RateCard) Current(day string) bool { return r.From <= day && day <= r.To }

// ProductSpec is a product specification (PS-ESA-01) and its CFS list.
type ProductSpec struct {
	ID       string        `yaml:"id"`
	Name     string        `yaml:"name"`
	Services []SpecService `yaml:"services"`
}

// SpecService is one CFS of a product specification. When names a flag of
// the SLA tier that the CFS needs ("" = always).
type SpecService struct {
	CFS  string `yaml:"cfs"`
	When string `yaml:"whenTier"`
}

// SLATier is an SLA tier (Gold: 99.95%, 4-hour restore).
type SLATier struct {
	Name         string        `yaml:"name"`
	Availability float64       `yaml:"availability"` // percent
	Restore      time.Duration `yaml:"restore"`
	LatencyMs    float64       `yaml:"latencyMs"` // probe threshold
	LossPct      float64       `yaml:"lossPct"`   // probe threshold
	Class        string        `yaml:"class"`     // QoS class: GOLD
	Flags        []string      `yaml:"flags"`     // enterpriseQoS, ...
}

// Has tells whether the tier carries flag.
func (t *SLATier) Has(flag string) bool {
	for _, f := range t.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// CFS is a customer-facing service and its RFS per access technology.
type CFS struct {
	ID              string   `yaml:"id"`
	Name            string   `yaml:"name"`
	InstanceID      string   `yaml:"instanceId"` // SI-FA-{customer.code}-{site}
	Characteristics Template `yaml:"characteristics"`
	// RFS maps an access technology to the RFS ids that realise the CFS on
	// it; "*" applies to every technology. The CFS item completes when all
	// of them do (the completion mapping).
	RFS map[string][]string `yaml:"rfs"`
}

// RFSFor returns the RFS ids of the CFS on technology.
func (c *CFS) RFSFor(technology string) []string {
	if ids, ok := c.RFS[technology]; ok {
		return ids
	}
	return c.RFS["*"]
}

// RFS is a resource-facing service: one resource order item.
type RFS struct {
	ID              string   `yaml:"id"`
	Name            string   `yaml:"name"`
	Characteristics Template `yaml:"characteristics"`
	Resource        struct {
		Type     string `yaml:"type"`     // OLTPort, VLAN, IPv4Subnet, ...
		Category string `yaml:"category"` // physical or logical
		Reserve  string `yaml:"reserve"`  // system that picks it
		Commit   string `yaml:"commit"`   // system that activates it
	} `yaml:"resource"`
	// After lists RFS that must be completed first when they are in the
	// same plan; Reason says why (the seed's dependency table).
	After  []string `yaml:"after"`
	Reason string   `yaml:"reason"`
	// Deadline is how long the step may be in progress (from its start,
	// retries and replacements included) before ROM raises a jeopardy
	// alert; 0 sets none.
	Deadline time.Duration `yaml:"deadline"`
}

// Template is an ordered list of characteristics whose values may hold
// {variables}.
type Template []tmf.Characteristic

// Breach compares a probe's measurements (measuredLatencyMs,
// measuredLossPct, measuredAvailability) with the tier's thresholds and
// says what breaches them, or "" when nothing does; a measurement not
// reported passes. It is the pilot gate's SLA validation.
func (t *SLATier) Breach(cs tmf.Characteristics) string {
	get := func(name string) (float64, bool) {
		s := cs.Get(name)
		if s == "" {
			return 0, false
		}
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	if v, ok := get("measuredLatencyMs"); ok && v > t.LatencyMs {
		return fmt.Sprintf("latency %gms over %gms", v, t.LatencyMs)
	}
	if v, ok := get("measuredLossPct"); ok && v > t.LossPct {
		return fmt.Sprintf("loss %g%% over %g%%", v, t.LossPct)
	}
	if v, ok := get("measuredAvailability"); ok && v < t.Availability {
		return fmt.Sprintf("availability %g%% under %g%%", v, t.Availability)
	}
	return ""
}
