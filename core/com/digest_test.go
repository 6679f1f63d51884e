package com_test

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/stretchr/testify/assert"
)

// The digest an approval is signed over is fixed by the quote's content
// (a golden value: a change of the encoding breaks every signature made)
// and changes with anything an approver decides on, but not with the
// quote's id or idempotency key.
func TestDigest(t *testing.T) {
	q := com.QuoteRequest{ID: "QT-001", Key: "k", Customer: com.Customer{ID: "CUST-ENT-1102", Name: "GlobalTech", Account: "ACC-ENT-3384"},
		Offering: "PO-EFCG-01", Tier: "Gold", Speed: "500M-sym", Term: 36, RateCard: "RC-ENT-2024-NEG", Monthly: 1800,
		Waves: []com.WavePlan{{Name: "Pilot", ServiceOrder: "SO-PILOT", Target: 14 * 24 * time.Hour}},
		Sites: []com.Site{{Code: "MELB", Name: "Melbourne HQ", Address: "1 Collins St", Wave: "Pilot"}}}
	d := com.Digest(q)
	// sha256sum of {"customer":"CUST-ENT-1102","customerName":"GlobalTech","account":"ACC-ENT-3384",
	// "offering":"PO-EFCG-01","tier":"Gold","speed":"500M-sym","termMonths":36,"rateCard":"RC-ENT-2024-NEG",
	// "monthly":1800,"waves":[{"name":"Pilot","serviceOrder":"SO-PILOT","targetNs":1209600000000000}],
	// "sites":[{"code":"MELB","name":"Melbourne HQ","address":"1 Collins St","wave":"Pilot"}]} on one line
	// (docs/api.md, Quotes).
	assert.Equal(t, "aeb9eab86f86bf67a1ea72176157c0e6397ab39814b1345d9165cb4bd1c97f8f", d)
	same := q
	same.ID, same.Key = "QT-999", "other"
	assert.Equal(t, d, com.Digest(same))
	for name, change := range map[string]func(*com.QuoteRequest){
		"price": func(q *com.QuoteRequest) { q.Monthly = 1799.99 },
		"term":  func(q *com.QuoteRequest) { q.Term = 24 },
		"tier":  func(q *com.QuoteRequest) { q.Tier = "Silver" },
		"address": func(q *com.QuoteRequest) {
			q.Sites = []com.Site{{Code: "MELB", Name: "Melbourne HQ", Address: "2 Collins St", Wave: "Pilot"}}
		},
		"target": func(q *com.QuoteRequest) {
			q.Waves = []com.WavePlan{{Name: "Pilot", ServiceOrder: "SO-PILOT", Target: time.Hour}}
		},
		"account": func(q *com.QuoteRequest) { q.Customer.Account = "ACC-X" },
		"site tier": func(q *com.QuoteRequest) {
			q.Sites = []com.Site{{Code: "MELB", Name: "Melbourne HQ", Address: "1 Collins St", Wave: "Pilot", Tier: "Platinum"}}
		},
		"site price": func(q *com.QuoteRequest) {
			q.Sites = []com.Site{{Code: "MELB", Name: "Melbourne HQ", Address: "1 Collins St", Wave: "Pilot", Monthly: 3200}}
		},
		"manual release": func(q *com.QuoteRequest) {
			q.Waves = []com.WavePlan{{Name: "Pilot", ServiceOrder: "SO-PILOT", Target: 14 * 24 * time.Hour, Manual: true}}
		},
	} {
		c := q
		change(&c)
		assert.NotEqual(t, d, com.Digest(c), name)
	}
}
