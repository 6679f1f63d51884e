package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// Selector picks the sites a customer event is aimed at (version 2): the
// sites of the scenario's orders of Customers, in serving area Area, in
// wave Wave, with code Site, every given field holding; Share then takes
// that share of them, drawn with the scenario's seed. A selector that
// matches no site is an error at check.
type Selector struct {
	Customers []string `yaml:"customers"`
	Area      string   `yaml:"area"`
	Wave      string   `yaml:"wave"`
	Site      string   `yaml:"site"`
	Share     string   `yaml:"share"`
}

// candidate is one site of one of the scenario's orders.
type candidate struct {
	order, customer, site, area, wave string
	// placed is when the site's order is placed.
	placed time.Duration
}

// candidates are the sites of the orders placed and offered, with their
// serving areas.
func candidates(orders []Placement, net *twin.Network) []candidate {
	areas := map[string]string{}
	if net != nil {
		for _, a := range net.Addresses {
			areas[a.Address] = a.Area
		}
	}
	var out []candidate
	for _, p := range orders {
		for _, s := range p.Quote.Sites {
			out = append(out, candidate{order: p.OrderID, customer: p.Quote.Customer.ID, site: s.Code, area: areas[s.Address], wave: s.Wave,
				placed: p.At})
		}
	}
	return out
}

// pick is the selector's sites among all whose orders are placed before
// at (the event's time: COM knows no order before it is placed), in the
// orders' order; the share is drawn with seed and the event's index.
func (s *Selector) pick(all []candidate, at time.Duration, seed uint64, index int) ([]candidate, error) {
	var got []candidate
	later := time.Duration(-1)
	for _, c := range all {
		if (len(s.Customers) == 0 || slices.Contains(s.Customers, c.customer)) && (s.Area == "" || c.area == s.Area) &&
			(s.Wave == "" || c.wave == s.Wave) && (s.Site == "" || c.site == s.Site) {
			if c.placed >= at {
				if later < 0 || c.placed < later {
					later = c.placed
				}
				continue
			}
			got = append(got, c)
		}
	}
	if len(got) == 0 && later >= 0 {
		return nil, fmt.Errorf("select: no site of an order placed before %s matches (%s): the first such order is placed at %s",
			tmf.FormatOffset(at), s.describe(), tmf.FormatOffset(later))
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("select: no site of the scenario's orders matches (%s)%s", s.describe(), s.unknown(all))
	}
	if s.Share == "" {
		return got, nil
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(s.Share, "%"), 64)
	if err != nil || !strings.HasSuffix(s.Share, "%") || pct <= 0 || pct > 100 {
		return nil, fmt.Errorf("select: share: %q: want a share such as 10%%, over 0 and at most 100%%", s.Share)
	}
	n := int(math.Ceil(pct/100*float64(len(got)) - 1e-9))
	r := rand.New(engine.NewPCG(seed, "select/"+strconv.Itoa(index)))
	idx := r.Perm(len(got))[:n]
	slices.Sort(idx)
	picked := make([]candidate, n)
	for k, i := range idx {
		picked[k] = got[i]
	}
	return picked, nil
}

// unknown names, for a selector that matches nothing, each of its
// values that no site of the orders has, with the nearest that one has:
// a misspelling, rather than a combination that happens to be empty.
func (s *Selector) unknown(all []candidate) string {
	var text []string
	check := func(what, value string, of func(candidate) string) {
		var known []string
		for _, c := range all {
			known = append(known, of(c))
		}
		if value != "" && !slices.Contains(known, value) {
			slices.Sort(known)
			text = append(text, fmt.Sprintf("%s %q is no %s of the orders%s", what, value, what, hint.DidYouMean(value, slices.Compact(known))))
		}
	}
	for _, c := range s.Customers {
		check("customer", c, func(c candidate) string { return c.customer })
	}
	check("area", s.Area, func(c candidate) string { return c.area })
	check("wave", s.Wave, func(c candidate) string { return c.wave })
	check("site", s.Site, func(c candidate) string { return c.site })
	if len(text) == 0 {
		return ""
	}
	return ": " + strings.Join(text, "; ")
}

func (s *Selector) describe() string {
	var parts []string
	if len(s.Customers) > 0 {
		parts = append(parts, "customers "+strings.Join(s.Customers, ", "))
	}
	for _, f := range [][2]string{{"area", s.Area}, {"wave", s.Wave}, {"site", s.Site}} {
		if f[1] != "" {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	if len(parts) == 0 {
		return "every site"
	}
	return strings.Join(parts, ", ")
}

// aimed is ev aimed at one selected site of one order.
func aimed(ev Event, c candidate) Event {
	switch {
	case ev.Change != nil:
		ch := *ev.Change
		ch.Order, ch.Site = c.order, c.site
		ev.Change = &ch
		ev.Note = "the customer changes " + c.site + " of " + c.order + " to " + strings.TrimSpace(ch.Speed+" "+ch.Tier)
	case ev.Cancel != nil:
		cn := *ev.Cancel
		cn.Order, cn.Site = c.order, c.site
		ev.Cancel = &cn
		ev.Note = fmt.Sprintf("the customer cancels site %s of %s", c.site, c.order)
	case ev.Remove != nil:
		rm := *ev.Remove
		rm.Order, rm.Site = c.order, c.site
		ev.Remove = &rm
		ev.Note = fmt.Sprintf("the customer removes site %s of %s", c.site, c.order)
	}
	return ev
}

// selectable are the event kinds a selector aims.
var selectable = []string{"cancel", "change", "removeSite"}
