package som

import (
	"maps"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// carry gives the site's other active services the new values a modify
// order item gave svc, for the characteristics they carry too: the speed a
// site's QoS service now polices is its Fibre Access service's speed. They
// change in place, their resources as they are (a modify replaces only the
// resources of the service it names), and each change is journalled as
// one of its attributes (TMF638 ServiceAttributeValueChangeEvent). The
// services are the catalog's CFS, in id order, whose characteristics name
// one of the item's, found by the instance id they have at the site.
func (s *SOM) carry(o *order, st *site, svc *tmf.Service, ordered tmf.Characteristics, out *engine.Out) {
	for _, id := range slices.Sorted(maps.Keys(s.cfg.Catalog.CFS)) {
		cfs := s.cfg.Catalog.CFS[id]
		if id == svc.Specification.ID || !slices.ContainsFunc(cfs.Characteristics, func(c tmf.Characteristic) bool {
			return slices.ContainsFunc(ordered, func(n tmf.Characteristic) bool { return n.Name == c.Name })
		}) {
			continue
		}
		sid, err := catalog.Expand(cfs.InstanceID, st)
		if err != nil || sid == svc.ID {
			continue // no service of this site
		}
		other := s.service(o, sid, out)
		if other == nil || other.State != "active" || other.Place.ID != st.place.ID {
			continue
		}
		now := slices.Clone(other.Characteristics) // its array may be an order item's
		for k := range now {
			if i := slices.IndexFunc(ordered, func(n tmf.Characteristic) bool { return n.Name == now[k].Name }); i >= 0 {
				now[k].Value = ordered[i].Value
			}
		}
		if slices.Equal(now, other.Characteristics) {
			continue
		}
		what := changes(other.Characteristics, now)
		other.Characteristics = now
		out.InventoryModified("service", other.ID, other.Name, other.State, o.so.ID+": "+what+", as "+svc.ID+" now has")
	}
}

// changes says which characteristics differ from was to now: "speed
// 500M-sym → 1G-sym, slaTier Gold → Platinum", in now's order, then those
// now lacks.
func changes(was, now tmf.Characteristics) string {
	var b strings.Builder
	add := func(name, from, to string) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name + " " + from + " → " + to)
	}
	has := func(cs tmf.Characteristics, name string) bool {
		return slices.ContainsFunc(cs, func(c tmf.Characteristic) bool { return c.Name == name })
	}
	for _, c := range now {
		if !has(was, c.Name) {
			add(c.Name, "(none)", c.Value)
		} else if v := was.Get(c.Name); v != c.Value {
			add(c.Name, v, c.Value)
		}
	}
	for _, c := range was {
		if !has(now, c.Name) {
			add(c.Name, c.Value, "(none)")
		}
	}
	if b.Len() == 0 {
		return "characteristics unchanged"
	}
	return b.String()
}
