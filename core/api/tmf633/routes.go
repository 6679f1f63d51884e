package tmf633

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/tmf620"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/catalog"
)

// The @type of the two kinds of service specification.
const (
	CFSType = "CustomerFacingServiceSpecification"
	RFSType = "ResourceFacingServiceSpecification"
)

// Relationship types between service specifications: a CFS relies on the
// RFS that realise it on an access technology (the relationship's role;
// "any" for every technology); an RFS depends on the RFS that must be
// completed before it in the same plan.
const (
	reliesOn   = "reliesOn"
	dependency = "dependency"
)

// serviceCatalog serves TMF633 from a node's catalog.
type serviceCatalog struct{ *tmf630.Node }

// Routes routes TMF633 Service Catalog Management v4 on mux when n has a
// catalog, read-only: the catalog file's CFS and RFS as service
// specifications, sorted by id.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.Catalog == nil {
		return
	}
	s := &serviceCatalog{n}
	specs := s.serviceSpecifications()
	known := tmf630.Attributes(ServiceSpecification{})
	base := tmf630.ServiceCatalog + "/serviceSpecification"
	mux.HandleFunc("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		if q, e := tmf630.ParseQuery(r.URL.Query(), known); e != nil {
			tmf630.WriteError(w, e)
		} else {
			tmf630.List(w, q, specs)
		}
	})
	mux.HandleFunc("GET "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		q, e := tmf630.ParseQuery(r.URL.Query(), known)
		if e != nil {
			tmf630.WriteError(w, e)
			return
		}
		id := r.PathValue("id")
		i := slices.IndexFunc(specs, func(sp ServiceSpecification) bool { return sp.ID == id })
		if i < 0 {
			tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no serviceSpecification "+tmf630.Quote(id)))
			return
		}
		tmf630.One(w, q, &specs[i])
	})
	readOnly := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed,
			fmt.Sprintf("%s %s: the service catalog comes from the catalog file and is read-only", r.Method, r.URL.Path)))
	}
	mux.HandleFunc(base, readOnly)
	mux.HandleFunc(base+"/{id}", readOnly)
}

// serviceSpecifications maps the catalog's CFS and RFS to TMF633.
func (s *serviceCatalog) serviceSpecifications() []ServiceSpecification {
	c := s.Catalog
	var out []ServiceSpecification
	for _, id := range slices.Sorted(maps.Keys(c.CFS)) {
		cfs := c.CFS[id]
		spec := s.serviceSpec(cfs.ID, cfs.Name, CFSType, cfs.Characteristics)
		for _, tech := range slices.Sorted(maps.Keys(cfs.RFS)) {
			role := tech
			if tech == "*" {
				role = "any"
			}
			for _, r := range cfs.RFS[tech] {
				spec.ServiceSpecRelationship = append(spec.ServiceSpecRelationship, s.serviceSpecRel(c.RFS[r], reliesOn, role))
			}
		}
		out = append(out, spec)
	}
	for _, id := range slices.Sorted(maps.Keys(c.RFS)) {
		rfs := c.RFS[id]
		spec := s.serviceSpec(rfs.ID, rfs.Name, RFSType, rfs.Characteristics)
		spec.Description = rfs.Reason
		spec.ResourceSpecification = []ResourceSpecificationRef{{ID: rfs.Resource.Type, Name: rfs.Resource.Type,
			ReferredType: resourceSpecType(rfs.Resource.Category)}}
		for _, a := range rfs.After {
			spec.ServiceSpecRelationship = append(spec.ServiceSpecRelationship, s.serviceSpecRel(c.RFS[a], dependency, ""))
		}
		out = append(out, spec)
	}
	return out
}

func (s *serviceCatalog) serviceSpec(id, name, typ string, chars catalog.Template) ServiceSpecification {
	spec := ServiceSpecification{ID: id, Href: tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", id), Name: name,
		LastUpdate: s.Node.Date(0), LifecycleStatus: tmf620.Active, BaseType: "ServiceSpecification", Type: typ}
	for _, ch := range chars {
		cs := CharacteristicSpec{Name: ch.Name, ValueType: "string"}
		if strings.Contains(ch.Value, "{") {
			// A template: the value is filled in for each order.
			cs.Description = "set for each order from " + ch.Value
		} else {
			cs.Values = []ValueSpec{{ValueType: "string", IsDefault: true, Value: ch.Value}}
		}
		spec.SpecCharacteristic = append(spec.SpecCharacteristic, cs)
	}
	return spec
}

func (s *serviceCatalog) serviceSpecRel(r *catalog.RFS, typ, role string) ServiceSpecRelationship {
	return ServiceSpecRelationship{ID: r.ID, Href: tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", r.ID), Name: r.Name,
		RelationshipType: typ, Role: role, ReferredType: RFSType}
}

// resourceSpecType is the @referredType of a resource of a category
// (physical or logical).
func resourceSpecType(category string) string {
	switch category {
	case "physical":
		return "PhysicalResourceSpecification"
	case "logical":
		return "LogicalResourceSpecification"
	}
	return "ResourceSpecification"
}
