// Package tmf638 is TMF638 v4, service inventory: the services SOM's
// orders installed, read only (docs/api.md).
package tmf638

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Service is a TMF638 v4 Service on the wire: a customer-facing service
// instance SOM installed (one per CFS and site), with the resources ROM
// allocated for it.
type Service struct {
	ID                    string                  `json:"id"`
	Href                  string                  `json:"href"`
	Name                  string                  `json:"name"`
	Category              string                  `json:"category"`
	State                 string                  `json:"state"`
	StartDate             string                  `json:"startDate,omitempty"`
	ServiceSpecification  tmf630.Ref              `json:"serviceSpecification"`
	ServiceCharacteristic []tmf630.Characteristic `json:"serviceCharacteristic"`
	Place                 []tmf630.Place          `json:"place"`
	RelatedParty          []tmf630.Ref            `json:"relatedParty"`
	SupportingResource    []tmf630.Ref            `json:"supportingResource"`
	Type                  string                  `json:"@type"`
}

// EntityID is the service's id (tmf630.ListShelved finds those on the
// shelf that are in memory too by it).
func (s Service) EntityID() string { return s.ID }

var serviceAttributes = tmf630.Attributes(Service{})

// inventory serves TMF638 from a node's SOM.
type inventory struct{ *tmf630.Node }

// Routes routes TMF638 on mux when n runs SOM: the services SOM's orders
// installed, read only. Services come from TMF641 service orders:
// creating, changing or deleting one here is refused with 405. Services
// that left memory with their orders are read from the store's shelf.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.SOM == nil {
		return
	}
	s := &inventory{n}
	tmf630.ShelfWire(n, som.ServiceShelfKind, som.ShelvedService, s.service)
	const coll = tmf630.ServiceInventory + "/service"
	mux.HandleFunc("GET "+coll, s.listServices)
	mux.HandleFunc("GET "+coll+"/{$}", s.listServices) // older kits ask for service/
	mux.HandleFunc("GET "+coll+"/{id}", s.getService)
	byOrder := tmf630.NotOffered("GET", "services are installed, changed and terminated by service orders, which COM places for TMF622 product orders ("+
		tmf630.ProductOrdering+"/productOrder), not here")
	mux.Handle("POST "+coll, byOrder)
	mux.Handle("PATCH "+coll+"/{id}", byOrder)
	mux.Handle("DELETE "+coll+"/{id}", byOrder)
}

func (s *inventory) listServices(w http.ResponseWriter, r *http.Request) {
	ords := map[string]uint64{}
	tmf630.ListShelved(s.Node, w, r, serviceAttributes, som.ServiceShelfKind, func() []Service {
		services := s.SOM.Services.All()
		slices.SortStableFunc(services, func(a, b *tmf.Service) int { return cmp.Compare(a.Ord, b.Ord) })
		for _, svc := range services {
			ords[svc.ID] = svc.Ord
		}
		return tmf630.MapAll(services, s.service)
	}, func(svc *Service) uint64 { return ords[svc.ID] })
}

func (s *inventory) getService(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.Node, w, r, som.ServiceShelfKind, func(id string) *Service {
		svc := s.SOM.Services.Get(id)
		return tmf630.Ptr(svc, svc != nil, s.service)
	})
}

// service maps a service to the wire.
func (s *inventory) service(svc *tmf.Service) Service { return ServiceOf(s.Node, svc) }

// ServiceOf maps an inventory service to the wire, copying everything; it
// runs on the engine's goroutine. SOM's service states (active, and
// terminated once a disconnect completes) are v4 ServiceStateType values
// as they are.
func ServiceOf(n *tmf630.Node, svc *tmf.Service) Service {
	spec := svc.Specification
	out := Service{ID: svc.ID, Href: tmf630.EntityHref(tmf630.ServiceInventory, "service", svc.ID), Name: svc.Name,
		Category: svc.Category, State: svc.State, StartDate: n.Date(svc.StartDate),
		ServiceSpecification: tmf630.Ref{ID: spec.ID, Href: tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", spec.ID),
			Name: spec.Name, ReferredType: "ServiceSpecification"},
		ServiceCharacteristic: tmf630.WireCharacteristics(svc.Characteristics),
		Place:                 tmf630.SitePlaces(svc.Place),
		RelatedParty:          tmf630.Refs(svc.RelatedParty, "Organization"),
		SupportingResource:    make([]tmf630.Ref, 0, len(svc.SupportingRes)),
		Type:                  "Service"}
	if out.ServiceSpecification.Name == "" && n.Catalog != nil {
		if cfs := n.Catalog.CFS[spec.ID]; cfs != nil {
			out.ServiceSpecification.Name = cfs.Name
		}
	}
	for _, r := range svc.SupportingRes {
		if r.ID == "" {
			continue // a step that allocated nothing
		}
		out.SupportingResource = append(out.SupportingResource, tmf630.Ref{ID: r.ID,
			Href: tmf630.EntityHref(tmf630.ResourceInventory, "resource", r.ID), Name: r.Name, ReferredType: r.Type})
	}
	return out
}
