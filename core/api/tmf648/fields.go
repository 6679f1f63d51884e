package tmf648

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
)

// namedFields is COM's check of a quote (com.COM.Check) with each of its
// errors led by the request's field it is about: COM speaks of sites,
// waves and the quote's offering, speed, tier, term, rate card and price,
// which the request gives per item (the first item's are the quote's,
// DecodeQuote).
func namedFields(err error, q *com.QuoteRequest) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	for n, msg := range lines {
		if field := fieldOf(msg, q); field != "" {
			lines[n] = field + ": " + msg
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// itemFields are the fields of a quote item COM's errors are about, by
// how an error about one begins.
var itemFields = []struct{ says, field string }{
	{"SLA tier", "product.productCharacteristic[slaTier]"},
	{"speed", "product.productCharacteristic[speed]"},
	{"wave", "product.productCharacteristic[wave]"},
	{"term", "itemTerm"},
	{"rate card", "quoteItemPrice[0].productOfferingPrice"},
	{"rateCard", "quoteItemPrice[0].productOfferingPrice"},
	{"price", "quoteItemPrice[0].price.dutyFreeAmount"},
	{"no address", "product.place[0].address"},
}

// fieldOf is the request's field a COM error of q is about, "" when
// it cannot tell.
func fieldOf(msg string, q *com.QuoteRequest) string {
	item := 0 // the quote's own values are its first item's
	rest := msg
	if after, ok := strings.CutPrefix(msg, "site "); ok {
		code, tail, _ := strings.Cut(after, " ")
		code = strings.Trim(strings.TrimSuffix(code, ":"), `"`)
		i := slices.IndexFunc(q.Sites, func(s com.Site) bool { return s.Code == code })
		if i < 0 {
			return ""
		}
		item, rest = i, tail
		if strings.HasPrefix(rest, "declared twice") { // the second is the one too many
			if j := slices.IndexFunc(q.Sites[i+1:], func(s com.Site) bool { return s.Code == code }); j >= 0 {
				item = i + 1 + j
			}
			return tmf630.Field("quoteItem", item, "id")
		}
	} else if after, ok := strings.CutPrefix(msg, "wave "); ok {
		for i, w := range q.Waves {
			if strings.HasPrefix(after, `"`+w.Name+`"`) || strings.HasPrefix(after, w.Name+":") {
				return "wave[" + strconv.Itoa(i) + "]"
			}
		}
		return "wave"
	}
	switch {
	case strings.HasPrefix(rest, "customer"):
		return "relatedParty"
	case rest == msg && strings.HasPrefix(rest, "rate card"): // the quote's: the agreement
		return "agreement[0].id"
	case strings.Contains(rest, "product offering"):
		return tmf630.Field("quoteItem", item, "productOffering.id")
	}
	for _, f := range itemFields {
		if strings.HasPrefix(rest, f.says) {
			return tmf630.Field("quoteItem", item, f.field)
		}
	}
	return ""
}
