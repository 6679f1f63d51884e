package api

import (
	"net/http"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// serviceInstance is a TMF638 v4 Service on the wire: a customer-facing service
// instance SOM installed (one per CFS and site), with the resources ROM
// allocated for it.
type serviceInstance struct {
	ID                    string           `json:"id"`
	Href                  string           `json:"href"`
	Name                  string           `json:"name"`
	Category              string           `json:"category"`
	State                 string           `json:"state"`
	StartDate             string           `json:"startDate,omitempty"`
	ServiceSpecification  Ref              `json:"serviceSpecification"`
	ServiceCharacteristic []Characteristic `json:"serviceCharacteristic"`
	Place                 []Place          `json:"place"`
	RelatedParty          []Ref            `json:"relatedParty"`
	SupportingResource    []Ref            `json:"supportingResource"`
	Type                  string           `json:"@type"`
}

var serviceAttributes = attributes(serviceInstance{})

// serviceInventory routes TMF638: the services SOM's orders installed,
// read only. Services come from TMF641 service orders: creating, changing
// or deleting one here is refused with 405.
func (s *Server) serviceInventory(mux *http.ServeMux) {
	if s.SOM == nil {
		return
	}
	const coll = ServiceInventory + "/service"
	mux.HandleFunc("GET "+coll, s.listServices)
	mux.HandleFunc("GET "+coll+"/{$}", s.listServices) // older kits ask for service/
	mux.HandleFunc("GET "+coll+"/{id}", s.getService)
	byOrder := notOffered("GET", "services are installed, changed and terminated by service orders, which COM places for TMF622 product orders ("+
		ProductOrdering+"/productOrder), not here")
	mux.HandleFunc("POST "+coll, byOrder)
	mux.HandleFunc("PATCH "+coll+"/{id}", byOrder)
	mux.HandleFunc("DELETE "+coll+"/{id}", byOrder)
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	listAll(s, w, r, serviceAttributes, func() []serviceInstance { return mapAll(s.SOM.Services.All(), s.service) })
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	q, e := byIDQuery(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	id := r.PathValue("id")
	var item *serviceInstance
	if e := s.Query(r.Context(), func() {
		if svc := s.SOM.Services.Get(id); svc != nil {
			v := s.service(svc)
			item = &v
		}
	}); e != nil {
		WriteError(w, e)
		return
	}
	if item == nil || !visible(r, item) {
		WriteError(w, NewError(http.StatusNotFound, "no service "+id))
		return
	}
	One(w, q, item)
}

// service maps an inventory service to the wire, copying everything; it
// runs on the engine's goroutine. SOM's service states (active, and
// terminated once a disconnect completes) are v4 ServiceStateType values
// as they are.
func (s *Server) service(svc *tmf.Service) serviceInstance {
	spec := svc.Specification
	out := serviceInstance{ID: svc.ID, Href: entityHref(ServiceInventory, "service", svc.ID), Name: svc.Name,
		Category: svc.Category, State: svc.State, StartDate: s.Date(svc.StartDate),
		ServiceSpecification: Ref{ID: spec.ID, Href: entityHref(ServiceCatalog, "serviceSpecification", spec.ID),
			Name: spec.Name, ReferredType: "ServiceSpecification"},
		ServiceCharacteristic: wireCharacteristics(svc.Characteristics),
		Place:                 sitePlaces(svc.Place),
		RelatedParty:          refs(svc.RelatedParty, "Organization"),
		SupportingResource:    make([]Ref, 0, len(svc.SupportingRes)),
		Type:                  "Service"}
	if out.ServiceSpecification.Name == "" && s.Catalog != nil {
		if cfs := s.Catalog.CFS[spec.ID]; cfs != nil {
			out.ServiceSpecification.Name = cfs.Name
		}
	}
	for _, r := range svc.SupportingRes {
		if r.ID == "" {
			continue // a step that allocated nothing
		}
		out.SupportingResource = append(out.SupportingResource, Ref{ID: r.ID,
			Href: entityHref(ResourceInventory, "resource", r.ID), Name: r.Name, ReferredType: r.Type})
	}
	return out
}
