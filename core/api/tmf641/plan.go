package tmf641

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// checkPlans refuses a new order SOM could not decompose, naming the
// member it lacks, instead of SOM failing its items when their plan is due
// (§4). SOM decomposes an order site by site: the catalog's plan of the
// site's CFS, in the order of its items, on the site's access technology
// (its items' characteristic technology); the plan's service instance ids
// and, but for a delete, its resource order items' characteristics, whose
// variables are the site's characteristics (som's site.Var, which
// siteVars follows). Whether a modify or delete finds the services it
// changes is SOM's to say: it depends on what is installed.
func (s serviceOrders) checkPlans(so *tmf.ServiceOrder) *tmf630.Error {
	if s.n.Catalog == nil {
		return nil
	}
	var sites []string
	bySite := map[string][]int{}
	for i, it := range so.Items {
		id := it.Service.Place.ID
		if _, ok := bySite[id]; !ok {
			sites = append(sites, id)
		}
		bySite[id] = append(bySite[id], i)
	}
	for _, site := range sites {
		if e := s.checkSite(so, site, bySite[site]); e != nil {
			return e
		}
	}
	return nil
}

// checkSite checks the decomposition of site, whose items are so.Items at
// items.
func (s serviceOrders) checkSite(so *tmf.ServiceOrder, site string, items []int) *tmf630.Error {
	c := s.n.Catalog
	vars := &siteVars{so: so, site: site, items: items}
	cfs := make([]string, len(items))
	for k, i := range items {
		cfs[k] = so.Items[i].Service.Specification.ID
	}
	tech, _ := vars.Var("technology")
	p, err := c.Plan(cfs, tech)
	if err != nil {
		return s.noPlan(so, site, items, cfs, tech)
	}
	bad := func(i int, name, msg string) *tmf630.Error {
		return tmf630.NewError(http.StatusBadRequest, tmf630.Field("serviceOrderItem", i, name)+": "+msg)
	}
	for k, pc := range p.CFS {
		vars.missing = ""
		if _, err := catalog.Expand(pc.CFS.InstanceID, vars); err != nil {
			if vars.missing == "" {
				return bad(items[k], "service.serviceSpecification.id", "the service id of "+pc.CFS.ID+" at site "+strconv.Quote(site)+": "+err.Error())
			}
			return bad(items[k], "service.serviceCharacteristic["+vars.missing+"]", "required: the id of the "+pc.CFS.ID+" service at site "+
				strconv.Quote(site)+" is made of it ("+pc.CFS.InstanceID+")")
		}
	}
	if so.Items[items[0]].Action == tmf.Delete {
		return nil // a disconnect gives back what the services hold: its items are read from them
	}
	for _, step := range p.Steps {
		vars.missing = ""
		if _, err := step.RFS.Characteristics.Apply(vars); err != nil {
			i := items[step.CFS]
			if vars.missing == "" {
				return bad(i, "service.serviceSpecification.id", step.RFS.ID+" at site "+strconv.Quote(site)+": "+err.Error())
			}
			return bad(i, "service.serviceCharacteristic["+vars.missing+"]", "required: site "+strconv.Quote(site)+"'s "+step.RFS.ID+" ("+
				step.RFS.Resource.Type+") of "+p.CFS[step.CFS].CFS.ID+" on "+cmp.Or(tech, "any technology")+" is made with it")
		}
	}
	return nil
}

// noPlan says why the catalog has no plan for the CFS of site (its items
// at items) on technology tech: a technology missing or not one the CFS
// are realised on, CFS not in the order of their specification, or CFS
// that no plan realises together.
func (s serviceOrders) noPlan(so *tmf.ServiceOrder, site string, items []int, cfs []string, tech string) *tmf630.Error {
	c := s.n.Catalog
	set, quoted := strings.Join(cfs, ", "), strconv.Quote(site)
	if on := plannedOn(c, cfs); len(on) > 0 {
		field := tmf630.Field("serviceOrderItem", technologyItem(c, so, items, tech), "service.serviceCharacteristic[technology]")
		if tech == "" {
			return tmf630.NewError(http.StatusBadRequest, field+": required: site "+quoted+"'s access technology ("+
				strings.Join(on, ", ")+"), which SOM decomposes "+set+" on")
		}
		return tmf630.NewError(http.StatusBadRequest, field+": "+strconv.Quote(tech)+": site "+quoted+"'s "+set+
			" are realised on "+strings.Join(on, ", ")+" only")
	}
	field := tmf630.Field("serviceOrderItem", items[0], "service.serviceSpecification.id")
	if ordered := specOrder(c, cfs); ordered != nil && len(plannedOn(c, ordered)) > 0 {
		return tmf630.NewError(http.StatusBadRequest, field+": site "+quoted+"'s items order "+set+
			": SOM decomposes them in their specification's order, "+strings.Join(ordered, ", ")+": order its items so")
	}
	return tmf630.NewError(http.StatusBadRequest, field+": site "+quoted+"'s items order "+set+
		" together, which no plan of the catalog realises (a site's CFS are those of one product specification, or the one CFS a modify changes)")
}

// plannedOn lists the access technologies the catalog has a plan of cfs
// on, sorted ("*" when it has one on every technology).
func plannedOn(c *catalog.Catalog, cfs []string) []string {
	seen := map[string]bool{}
	for _, s := range c.CFS {
		for t := range s.RFS {
			seen[t] = true
		}
	}
	var on []string
	for _, t := range slices.Sorted(maps.Keys(seen)) {
		if _, err := c.Plan(cfs, t); err == nil {
			on = append(on, t)
		}
	}
	return on
}

// technologyItem is the item of a site (its items at items) that gives
// its technology tech, the last that has it as SOM reads it; with none,
// the first whose CFS carries one, else the site's first.
func technologyItem(c *catalog.Catalog, so *tmf.ServiceOrder, items []int, tech string) int {
	named := func(chars tmf.Characteristics) bool {
		return slices.ContainsFunc(chars, func(ch tmf.Characteristic) bool { return ch.Name == "technology" })
	}
	if tech != "" {
		for k := len(items) - 1; k >= 0; k-- {
			if named(so.Items[items[k]].Service.Characteristics) {
				return items[k]
			}
		}
	}
	for _, i := range items {
		if cfs := c.CFS[so.Items[i].Service.Specification.ID]; cfs != nil && named(tmf.Characteristics(cfs.Characteristics)) {
			return i
		}
	}
	return items[0]
}

// specOrder is cfs in the order of a product specification that has
// every one of them and is not their order, or nil.
func specOrder(c *catalog.Catalog, cfs []string) []string {
	for _, id := range slices.Sorted(maps.Keys(c.Specs)) {
		var order []string
		for _, sv := range c.Specs[id].Services {
			if slices.Contains(cfs, sv.CFS) && !slices.Contains(order, sv.CFS) {
				order = append(order, sv.CFS)
			}
		}
		if len(order) == len(cfs) && !slices.Equal(order, cfs) {
			return order
		}
	}
	return nil
}

// siteVars are the catalog variables of a site of a new order as SOM
// reads them (som's site.Var): its code, the customer's code and number,
// and the characteristics of its items, a later item's winning. missing is
// the last variable asked for that it does not have.
type siteVars struct {
	so      *tmf.ServiceOrder
	site    string
	items   []int
	missing string
}

func (v *siteVars) Var(name string) (string, bool) {
	var customer string
	for _, p := range v.so.RelatedParty {
		if p.Role == "customer" {
			customer = p.ID
		}
	}
	if name == "site" {
		return v.site, true
	}
	if val, ok := catalog.CustomerVar(customer, name); ok {
		return val, true
	}
	for k := len(v.items) - 1; k >= 0; k-- {
		for _, c := range v.so.Items[v.items[k]].Service.Characteristics {
			if c.Name == name {
				return c.Value, true
			}
		}
	}
	v.missing = name
	return "", false
}
