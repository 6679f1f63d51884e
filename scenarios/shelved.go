package scenarios

import (
	"cmp"
	"slices"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// withShelved returns live, the entities of kind in memory, with those on
// the system's shelf that left memory (a retention), by creation number
// (ord); a doc that cannot be decoded is left out.
func withShelved[T any](s *System, kind string, live []T, id func(T) string, ord func(T) uint64, decode func([]byte) (T, error)) []T {
	shelf, ok := store.ShelfOf(s.Journal)
	if !ok {
		return live
	}
	docs, err := shelf.ShelvedAll(kind)
	if err != nil || len(docs) == 0 {
		return live
	}
	in := make(map[string]bool, len(live))
	for _, v := range live {
		in[id(v)] = true
	}
	out := slices.Clone(live)
	for _, d := range docs {
		if in[d.ID] {
			continue
		}
		if v, err := decode(d.Body); err == nil {
			out = append(out, v)
		}
	}
	if len(out) == len(live) {
		return live
	}
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(ord(a), ord(b)) })
	return out
}

// jeopardies are the alerts raised on orders in memory (live, COM's or
// ROM's) with those shelved as kind when their orders left memory.
func (s *System) jeopardies(kind, prefix string, live []tmf.Jeopardy) []tmf.Jeopardy {
	return withShelved(s, kind, live, func(j tmf.Jeopardy) string { return j.ID(prefix) },
		func(j tmf.Jeopardy) uint64 { return uint64(j.N) }, engine.ShelvedJeopardy)
}

// quotes are COM's quotes, those that left memory too.
func (s *System) quotes() []com.QuoteView {
	return withShelved(s, com.QuoteShelfKind, s.COM.Quotes(), func(q com.QuoteView) string { return q.ID },
		func(q com.QuoteView) uint64 { return tmf.SeqOf(q.ID) }, com.ShelvedQuote)
}

// rollouts are COM's product orders, those that left memory too, and the
// waves of all of them (those in memory first): each order on the shelf
// decoded once for both.
func (s *System) rollouts() ([]*tmf.ProductOrder, []com.WaveView) {
	waves := s.COM.Waves()
	orders := withShelved(s, com.ShelfKind, s.COM.Orders(), func(po *tmf.ProductOrder) string { return po.ID }, com.ShelfOrd,
		func(body []byte) (*tmf.ProductOrder, error) {
			po, ws, err := com.ShelvedRollout(body)
			if err == nil {
				waves = append(waves, ws...)
			}
			return po, err
		})
	return orders, waves
}

// products are COM's product instances, those that left memory with
// their order too, in the order they became active.
func (s *System) products() []*tmf.Product {
	products := s.COM.Products.All()
	slices.SortStableFunc(products, func(a, b *tmf.Product) int { return cmp.Compare(a.Ord, b.Ord) })
	return withShelved(s, com.ProductShelfKind, products, func(p *tmf.Product) string { return p.ID },
		func(p *tmf.Product) uint64 { return p.Ord }, com.ShelvedProduct)
}

// services are SOM's service instances, those that left memory with the
// orders holding them too, in the order they were installed.
func (s *System) services() []*tmf.Service {
	services := s.SOM.Services.All()
	slices.SortStableFunc(services, func(a, b *tmf.Service) int { return cmp.Compare(a.Ord, b.Ord) })
	return withShelved(s, som.ServiceShelfKind, services, func(svc *tmf.Service) string { return svc.ID },
		func(svc *tmf.Service) uint64 { return svc.Ord }, som.ShelvedService)
}

// resources are ROM's resources, those that left memory with the orders
// holding them too, in the order they were allocated.
func (s *System) resources() []*tmf.Resource {
	resources := s.ROM.Resources.All()
	slices.SortStableFunc(resources, func(a, b *tmf.Resource) int { return cmp.Compare(a.Ord, b.Ord) })
	return withShelved(s, rom.ResourceShelfKind, resources, func(res *tmf.Resource) string { return res.ID },
		func(res *tmf.Resource) uint64 { return res.Ord }, rom.ShelvedResource)
}

// serviceOrders are SOM's service orders, those that left memory too.
func (s *System) serviceOrders() []*tmf.ServiceOrder {
	return withShelved(s, som.ShelfKind, s.SOM.Orders(), func(so *tmf.ServiceOrder) string { return so.ID },
		func(so *tmf.ServiceOrder) uint64 { return tmf.SeqOf(so.ID) }, som.Shelved)
}

// resourceOrders are ROM's resource orders, those that left memory too.
func (s *System) resourceOrders() []*tmf.ResourceOrder {
	return withShelved(s, rom.ShelfKind, s.ROM.Orders(), func(ro *tmf.ResourceOrder) string { return ro.ID },
		func(ro *tmf.ResourceOrder) uint64 { return tmf.SeqOf(ro.ID) }, rom.Shelved)
}
