package com

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// quoteContent is what a quote's digest covers: what an approver sees
// and decides on (customer, offering, tier, speed, term, rate card,
// price, waves and sites), not its id nor anything the server derives.
type quoteContent struct {
	Customer string        `json:"customer"`
	Name     string        `json:"customerName"`
	Account  string        `json:"account"`
	Offering string        `json:"offering"`
	Tier     string        `json:"tier"`
	Speed    string        `json:"speed"`
	Term     int           `json:"termMonths"`
	RateCard string        `json:"rateCard"`
	Monthly  float64       `json:"monthly"`
	Waves    []waveContent `json:"waves"`
	Sites    []siteContent `json:"sites"`
}

// waveContent and siteContent convert from WavePlan and Site: a field
// added to those does not compile here until the digest says whether it
// covers it.
type waveContent struct {
	Name         string        `json:"name"`
	ServiceOrder string        `json:"serviceOrder"`
	Target       time.Duration `json:"targetNs"` // from the order
	After        []Gate        `json:"after,omitempty"`
	Manual       bool          `json:"manual,omitempty"`
}

type siteContent struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Address string  `json:"address"`
	Wave    string  `json:"wave"`
	Tier    string  `json:"tier,omitempty"`
	Speed   string  `json:"speed,omitempty"`
	Monthly float64 `json:"monthly,omitempty"`
	// A site of another offering: its offering and rate card.
	Offering string `json:"offering,omitempty"`
	RateCard string `json:"rateCard,omitempty"`
}

// Digest is the hex SHA-256 of a quote's content: the JSON of
// quoteContent, its fields in that order, numbers as Go's encoding/json
// writes them. An approval decision is signed over it (core/approval).
func Digest(q QuoteRequest) string {
	q = q.Normalized()
	c := quoteContent{Customer: q.Customer.ID, Name: q.Customer.Name, Account: q.Customer.Account, Offering: q.Offering,
		Tier: q.Tier, Speed: q.Speed, Term: q.Term, RateCard: q.RateCard, Monthly: q.Monthly}
	for _, w := range q.Waves {
		c.Waves = append(c.Waves, waveContent(w))
	}
	for _, s := range q.Sites {
		c.Sites = append(c.Sites, siteContent(s))
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("com: quote content does not encode: " + err.Error()) // strings and numbers only
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Normalized is q as the quote API writes and reads it: the first site's
// offering, tier, speed, price and rate card are the quote's, and a site has its own
// only where it differs from them. A quote without per-site values is
// itself; a digest over the normalized quote is the same whichever site
// the file or the client gave the quote's values.
func (q QuoteRequest) Normalized() QuoteRequest {
	if !q.PerSite() {
		return q
	}
	sites := make([]Site, len(q.Sites))
	first := QuoteRequest{Offering: q.SiteOffering(0), Tier: q.SiteTier(0), Speed: q.SiteSpeed(0), Monthly: q.SiteMonthly(0), RateCard: q.SiteRateCard(0)}
	for i, s := range q.Sites {
		s.Offering, s.Tier, s.Speed = differs(q.SiteOffering(i), first.Offering), differs(q.SiteTier(i), first.Tier), differs(q.SiteSpeed(i), first.Speed)
		s.Monthly = 0
		if m := q.SiteMonthly(i); m != first.Monthly {
			s.Monthly = m
		}
		s.RateCard = differs(q.SiteRateCard(i), first.RateCard)
		sites[i] = s
	}
	q.Offering, q.Tier, q.Speed, q.Monthly, q.RateCard, q.Sites = first.Offering, first.Tier, first.Speed, first.Monthly, first.RateCard, sites
	return q
}

// differs is v where it differs from the quote's, else "".
func differs(v, quote string) string {
	if v == quote {
		return ""
	}
	return v
}

// orderDigest is the hash of the content of a product order as its
// orderer sent it, but its id: one the orderer gives (a scenario's) names
// the order, as the key does.
func orderDigest(po *tmf.ProductOrder) string {
	content := *po
	content.ID = ""
	b, err := json.Marshal(&content)
	if err != nil {
		panic("com: a product order does not encode: " + err.Error()) // strings, numbers and durations only
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
