package som

import (
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A snapshot of SOM keeps its service orders in arrival order, each with
// its sites (items, steps and their first request handle, the service
// instances they produced, what ROM still owes them) and the services it
// holds (which give the inventory's holds again), the service
// inventory in insertion order and the counters. Pointers become
// positions: a site is its order's and its own index, a service instance
// its site's and its CFS's, or its place in the pool of services no order
// in memory holds (those of retired orders). Restore rebuilds the
// pointers, the indexes (by id, by external id, by resource order, by
// request handle) and each site's plan, which the catalog gives again for
// the site's items.

// savedSOM is SOM's state in a snapshot.
type savedSOM struct {
	Orders []savedOrder
	// Services lists the inventory's service instances in insertion
	// order.
	Services []serviceRef
	// Pool holds the inventory's services that no order in memory holds.
	Pool                        []tmf.Service
	NextSO, NextROI, NextHandle int
	NextService                 int
}

type savedOrder struct {
	SO       tmf.ServiceOrder
	From     engine.Address
	Customer string
	Sites    []savedSite
	Final    int
	// Services[i] is the service instance item i produced (Site -1: none).
	Services []serviceRef
	// Held are the ids of the services the order holds.
	Held []string
}

// savedSite is a site; its services' SupportingRes are nil, rebuilt from
// its steps' resources. (A snapshot written when sites kept their refs
// apart has a Refs list too, which gob skips: the steps say the same.)
type savedSite struct {
	Place tmf.Place
	// Planned is set when the site has its plan, Followed once SOM
	// follows its resource order's events.
	Planned   bool
	Followed  bool
	IDs       []string
	Items     []savedItem
	Steps     []savedStep
	Services  []tmf.Service
	ROID      string
	Cancelled bool
	// Handle is the request handle of its first step; Owed and Race what
	// ROM still owes it.
	Handle, Owed int
	Race         bool
}

type savedItem struct{ I, Left int }

type savedStep struct {
	ROI      string
	Resource tmf.Ref
	Chars    tmf.Characteristics
}

// serviceRef is a service instance: the CFS K of site Site of order Order,
// or with Order -1 and Site -1, Pool[K] (in an order's Services, K -1
// too: none).
type serviceRef struct{ Order, Site, K int }

// Messages implements engine.Messages: SOM's timer and what other
// components send it.
func (s *SOM) Messages() []any {
	return []any{&plan{}, retire{}, OrderRequest{}, &tmf.ServiceOrder{}, &tmf.OrderEvent{}, &tmf.CancelRequest{}}
}

// Snapshot implements engine.Snapshotter.
func (s *SOM) Snapshot() ([]byte, error) { return s.AppendState(nil) }

// AppendState implements engine.StateAppender: Snapshot's state, appended
// to buf.
func (s *SOM) AppendState(buf []byte) ([]byte, error) {
	services := map[*tmf.Service]serviceRef{}
	st := savedSOM{NextSO: s.nextSO, NextROI: s.nextROI, NextHandle: s.nextHandle, NextService: s.nextService,
		Orders: make([]savedOrder, s.orders.Len())}
	for n, o := range s.orders.Slice() {
		so := &st.Orders[n]
		*so = savedOrder{SO: o.so, From: o.from, Customer: o.customer, Final: o.final,
			Sites: make([]savedSite, len(o.sites)), Services: make([]serviceRef, len(o.services)), Held: o.held}
		for k := range o.sites {
			site := &o.sites[k]
			ss := &so.Sites[k]
			*ss = savedSite{Place: site.place, Planned: site.plan != nil, Followed: s.roSites[o.so.ID+"/"+site.place.ID] == site,
				IDs: site.ids, ROID: site.roID, Cancelled: site.cancelled,
				Handle: site.handle, Owed: site.owed, Race: site.race}
			for _, si := range site.items {
				ss.Items = append(ss.Items, savedItem{si.i, si.left})
			}
			for j, sp := range site.steps {
				ss.Steps = append(ss.Steps, savedStep{sp.roi, site.refs[j], sp.chars})
			}
			if site.services != nil {
				ss.Services = make([]tmf.Service, len(site.services))
				for c := range site.services {
					services[&site.services[c]] = serviceRef{n, k, c}
					ss.Services[c] = site.services[c]
					ss.Services[c].SupportingRes = nil
				}
			}
		}
		for i, svc := range o.services {
			so.Services[i] = serviceRef{-1, -1, -1}
			if svc != nil {
				at, ok := services[svc]
				if !ok || at.Order != n {
					return nil, fmt.Errorf("SOM snapshot: service %s of %s is not a service of its sites", svc.ID, o.so.ID)
				}
				so.Services[i] = at
			}
		}
	}
	for _, svc := range s.Services.All() {
		at, ok := services[svc]
		if !ok {
			at = serviceRef{-1, -1, len(st.Pool)}
			st.Pool = append(st.Pool, *svc)
		}
		st.Services = append(st.Services, at)
	}
	b, err := engine.AppendState(buf, &st)
	if err != nil {
		return nil, fmt.Errorf("SOM snapshot: %w", err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter: SOM must be new, built with the
// configuration (the catalog) of the SOM saved.
func (s *SOM) Restore(state []byte) error {
	if s.orders.Len() > 0 || s.Services.Len() > 0 {
		return fmt.Errorf("SOM restore: SOM has orders already")
	}
	var st savedSOM
	if err := engine.DecodeState(state, &st); err != nil {
		return fmt.Errorf("SOM restore: %w", err)
	}
	orders := make([]*order, len(st.Orders))
	for n := range st.Orders {
		so := &st.Orders[n]
		o := &order{so: so.SO, from: so.From, customer: so.Customer, final: so.Final,
			services: make([]*tmf.Service, len(so.SO.Items)), sites: make([]site, len(so.Sites)), held: so.Held}
		for _, id := range o.held {
			s.Services.Hold(id)
		}
		orders[n] = o
		s.orders.Add(0, o)
		s.byID[o.so.ID] = o
		if o.so.ExternalID != "" {
			s.byExternal[o.so.ExternalID] = o
		}
		for k := range so.Sites {
			if err := s.restoreSite(o, k, &so.Sites[k]); err != nil {
				return fmt.Errorf("SOM restore: service order %s: %w", o.so.ID, err)
			}
		}
	}
	pool := make([]tmf.Service, len(st.Pool))
	copy(pool, st.Pool)
	service := func(at serviceRef) (*tmf.Service, error) {
		if at.Order == -1 && at.Site == -1 && at.K >= 0 && at.K < len(pool) {
			return &pool[at.K], nil
		}
		if at.Order < 0 || at.Order >= len(orders) || at.Site < 0 || at.Site >= len(orders[at.Order].sites) ||
			at.K < 0 || at.K >= len(orders[at.Order].sites[at.Site].services) {
			return nil, fmt.Errorf("SOM restore: no service instance at %+v", at)
		}
		return &orders[at.Order].sites[at.Site].services[at.K], nil
	}
	for n, o := range orders {
		refs := st.Orders[n].Services
		if len(refs) != len(o.services) {
			return fmt.Errorf("SOM restore: service order %s: %d services for %d items", o.so.ID, len(refs), len(o.services))
		}
		for i, at := range refs {
			if at.Order < 0 {
				continue
			}
			svc, err := service(at)
			if err != nil {
				return err
			}
			o.services[i] = svc
		}
	}
	var handled []*site
	for _, o := range orders {
		for k := range o.sites {
			if len(o.sites[k].steps) > 0 {
				handled = append(handled, &o.sites[k])
			}
		}
	}
	slices.SortStableFunc(handled, func(a, b *site) int { return a.handle - b.handle })
	for n, site := range handled {
		if n > 0 && site.handle < handled[n-1].handle+len(handled[n-1].steps) {
			return fmt.Errorf("SOM restore: site %s of %s: request handle %d taken", site.place.ID, site.order.so.ID, site.handle)
		}
		if site.handle+len(site.steps) > st.NextHandle {
			return fmt.Errorf("SOM restore: site %s of %s: request handle %d after %d", site.place.ID, site.order.so.ID, site.handle, st.NextHandle)
		}
		s.handled.Add(site.handle, site)
	}
	s.nextHandle = st.NextHandle
	for _, at := range st.Services {
		svc, err := service(at)
		if err != nil {
			return err
		}
		s.Services.Put(svc.ID, svc)
	}
	s.nextSO, s.nextROI, s.nextService = st.NextSO, st.NextROI, st.NextService
	return nil
}

// restoreSite rebuilds site k of order o: its plan from the catalog, its
// services' resources as windows of its refs, as completeItem made them.
func (s *SOM) restoreSite(o *order, k int, ss *savedSite) error {
	site := &o.sites[k]
	*site = siteState(o, ss)
	for _, si := range site.items {
		if si.i < 0 || si.i >= len(o.so.Items) {
			return fmt.Errorf("site %s: no item %d", site.place.ID, si.i)
		}
	}
	if !ss.Planned {
		return nil
	}
	cfs := make([]string, len(site.items))
	for c, si := range site.items {
		cfs[c] = o.so.Items[si.i].Service.Specification.ID
	}
	tech, _ := site.Var("technology")
	p, err := s.cfg.Catalog.Plan(cfs, tech)
	if err != nil {
		return fmt.Errorf("site %s: %w", site.place.ID, err)
	}
	site.plan = p
	if site.services != nil {
		if len(site.services) != len(p.CFS) {
			return fmt.Errorf("site %s: %d services for a plan of %d", site.place.ID, len(site.services), len(p.CFS))
		}
		first := 0
		for c := range p.CFS {
			n := len(p.CFS[c].Steps)
			if first+n > len(site.refs) {
				return fmt.Errorf("site %s: too few resources", site.place.ID)
			}
			if site.services[c].ID != "" {
				site.services[c].SupportingRes = site.refs[first : first+n : first+n]
			}
			first += n
		}
	}
	if ss.Followed {
		s.roSites[o.so.ID+"/"+site.place.ID] = site
	}
	return nil
}

// siteState is a site as saved, without its plan.
func siteState(o *order, ss *savedSite) site {
	st := site{order: o, place: ss.Place, ids: ss.IDs, roID: ss.ROID, cancelled: ss.Cancelled,
		services: ss.Services, handle: ss.Handle, owed: ss.Owed, race: ss.Race}
	st.items = make([]siteItem, len(ss.Items))
	for c, si := range ss.Items {
		st.items[c] = siteItem{si.I, si.Left}
	}
	if ss.Steps != nil || ss.Followed {
		st.steps = make([]step, len(ss.Steps))
		st.refs = make([]tmf.Ref, len(ss.Steps))
		for j, sp := range ss.Steps {
			st.steps[j], st.refs[j] = step{sp.ROI, sp.Chars}, sp.Resource
		}
	}
	return st
}
