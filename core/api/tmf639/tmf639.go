// Package tmf639 is TMF639 v4, resource inventory: the resources ROM
// allocated, read only, and those clients register by hand (docs/api.md).
package tmf639

import (
	"cmp"
	"math"
	"net/http"
	"slices"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// TMF639 serves two kinds of resource in one collection: the network's own,
// which ROM allocated through resource orders (OLT ports, P2P handoffs,
// VLANs, IP prefixes, QoS policies, SLA probes, CPE) and which are read
// only here, in the order ROM allocated them (those that left memory with
// their orders read from the store's shelf); then those clients
// registered by hand (existing equipment), kept as documents in the docs
// component and changed like any document (register.go).

// registeredResources is the docs collection of registered resources, and
// registeredPrefix the prefix of their ids.
const (
	registeredResources = "resource"
	registeredPrefix    = "RES-REG"
)

// resourceInstance is a TMF639 v4 Resource on the wire. @type is the
// resource's kind (OLTPort, VLAN, IPv4Subnet, ...), @baseType the v4 class
// it is of, PhysicalResource or LogicalResource, whose attribute
// serialNumber or value it carries. The name is never empty: the
// conformance kit wants one on every resource. place is one site, as v4
// has it (v5 makes it a list).
type resourceInstance struct {
	ID                     string                  `json:"id"`
	Href                   string                  `json:"href"`
	Name                   string                  `json:"name"`
	Type                   string                  `json:"@type"`
	BaseType               string                  `json:"@baseType"`
	Category               string                  `json:"category,omitempty"`
	Value                  string                  `json:"value,omitempty"`
	SerialNumber           string                  `json:"serialNumber,omitempty"`
	ResourceStatus         string                  `json:"resourceStatus"`
	UsageState             string                  `json:"usageState"`
	AdministrativeState    string                  `json:"administrativeState"`
	ResourceCharacteristic []tmf630.Characteristic `json:"resourceCharacteristic"`
	Place                  *tmf630.Place           `json:"place,omitempty"`
	StartOperatingDate     string                  `json:"startOperatingDate"`
}

// EntityID is the resource's id (tmf630.ListShelved finds those on the
// shelf that are in memory too by it: an id allocated again).
func (r resourceInstance) EntityID() string { return r.ID }

// resourceAttributes are the attributes a resource list may be filtered
// on: those of v4 Resource and of its two classes.
var resourceAttributes = []string{
	"id", "href", "name", "@type", "@baseType", "@schemaLocation", "category", "description", "value",
	"serialNumber", "resourceVersion", "startOperatingDate", "endOperatingDate", "resourceStatus",
	"usageState", "administrativeState", "operationalState", "resourceCharacteristic", "place",
	"relatedParty", "resourceSpecification", "resourceRelationship", "note", "attachment",
	// beneath the objects, any path (v4's are richer than ours)
	"resourceCharacteristic.*", "place.*", "relatedParty.*", "resourceSpecification.*", "resourceRelationship.*",
	"note.*", "attachment.*",
}

// lifecycleState is the resource characteristic that keeps ROM's own
// state of a resource, finer than the v4 states.
const lifecycleState = "lifecycleState"

// inventory serves TMF639 from a node's ROM and docs.
type inventory struct{ *tmf630.Node }

// Routes routes TMF639 on mux when n runs ROM.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.ROM == nil {
		return
	}
	s := &inventory{n}
	tmf630.ShelfWire(n, rom.ResourceShelfKind, rom.ShelvedResource, func(res *tmf.Resource) any { return s.resource(res) })
	const coll = tmf630.ResourceInventory + "/resource"
	mux.HandleFunc("GET "+coll, s.listResources)
	mux.HandleFunc("GET "+coll+"/{id}", s.getResource)
	if s.Docs == nil {
		none := tmf630.NotOffered("GET", "this process keeps no registered resources: the network's own are read only")
		mux.Handle("POST "+coll, none)
		mux.Handle("PATCH "+coll+"/{id}", none)
		mux.Handle("DELETE "+coll+"/{id}", none)
		return
	}
	mux.HandleFunc("POST "+coll, s.registerResource)
	mux.HandleFunc("PATCH "+coll+"/{id}", s.patchResource)
	mux.HandleFunc("DELETE "+coll+"/{id}", s.deleteResource)
}

func (s *inventory) listResources(w http.ResponseWriter, r *http.Request) {
	ords := map[string]uint64{}
	tmf630.ListShelved(s.Node, w, r, resourceAttributes, rom.ResourceShelfKind, func() []any {
		resources := s.ROM.Resources.All()
		slices.SortStableFunc(resources, func(a, b *tmf.Resource) int { return cmp.Compare(a.Ord, b.Ord) })
		for _, res := range resources {
			ords[res.ID] = res.Ord
		}
		items := tmf630.MapAll(resources, func(res *tmf.Resource) any { return s.resource(res) })
		if s.Docs != nil {
			items = append(items, tmf630.MapAll(s.Docs.List(registeredResources), func(d *docs.Doc) any { return registeredResource(d) })...)
		}
		return items
	}, func(v *any) uint64 {
		if res, ok := (*v).(resourceInstance); ok {
			return ords[res.ID]
		}
		return math.MaxUint64 // registered, after the network's
	})
}

func (s *inventory) getResource(w http.ResponseWriter, r *http.Request) {
	q, e := tmf630.ByIDQuery(r, resourceAttributes)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	v, e := tmf630.ReadOne(s.Node, r, rom.ResourceShelfKind, r.PathValue("id"), func(id string) *any {
		var item any
		if res := s.ROM.Resources.Get(id); res != nil {
			item = s.resource(res)
		} else if s.Docs != nil {
			if d := s.Docs.Get(registeredResources, id); d != nil {
				item = registeredResource(d)
			}
		}
		return tmf630.Ptr(item, item != nil, func(v any) any { return v })
	})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if res, ok := (*v).(resourceInstance); ok { // in memory or on the shelf
		if text, ok := day1Configuration(res); ok {
			res.ResourceCharacteristic = append(res.ResourceCharacteristic,
				tmf630.Characteristic{Name: Day1Configuration, ValueType: "string", Value: text})
			*v = res
		}
	}
	tmf630.One(w, q, v)
}

// resource maps a network resource to the wire, copying everything; it
// runs on the engine's goroutine.
func (s *inventory) resource(res *tmf.Resource) resourceInstance {
	out := resourceInstance{ID: res.ID, Href: tmf630.EntityHref(tmf630.ResourceInventory, "resource", res.ID), Name: res.Value,
		Type: res.ResourceType, Category: res.Category, StartOperatingDate: s.Node.Date(res.StartDate)}
	if out.Name == "" {
		out.Name = res.ResourceType + " " + res.ID
	}
	out.BaseType = baseType(res)
	switch res.Category {
	case "physical":
		out.SerialNumber = res.Characteristics.Get("serialNumber")
	case "logical":
		out.Value = res.Value
	}
	out.ResourceStatus, out.UsageState, out.AdministrativeState = tmf.ResourceStates(res.State, res.UsageState)
	out.ResourceCharacteristic = append(tmf630.WireCharacteristics(res.Characteristics),
		tmf630.Characteristic{Name: lifecycleState, ValueType: "string", Value: res.State})
	if res.Place.ID != "" {
		p := tmf630.PlaceOf(res.Place)
		out.Place = &p
	}
	return out
}

// Day1Configuration is the characteristic of an installed CE router that
// holds its Day-1 configuration, on a read of the one resource.
const Day1Configuration = "day1Configuration"

// day1Configuration renders the Day-1 configuration of res when it is a
// CE router in service, from what ROM recorded on it when it was
// installed (rom.CharVLAN and the rest): the text the ZTP adapter hands
// the router, without the call's marker. Lists leave it out: it is over a
// kilobyte a router.
func day1Configuration(res resourceInstance) (string, bool) {
	get := func(name string) string {
		for _, c := range res.ResourceCharacteristic {
			if c.Name == name {
				v, _ := c.Value.(string)
				return v
			}
		}
		return ""
	}
	if res.Type != "CPE" || res.UsageState != "active" || get(rom.CharVLAN) == "" || res.Place == nil {
		return "", false
	}
	d, problems := pnp.NewDay1(pnp.Day1Spec{Item: get(rom.CharOrderItem), Customer: get(rom.CharCustomer), Site: res.Place.ID,
		Model: get("model"), Serial: cmp.Or(res.SerialNumber, res.ID),
		VLAN: get(rom.CharVLAN), Subnet: get(rom.CharSubnet), Profile: get(rom.CharProfile), Tier: get(rom.CharTier)})
	if len(problems) > 0 {
		return "", false
	}
	text, err := d.Render()
	return text, err == nil
}

// registeredResource is a registered resource on the wire: the document
// as its client wrote it, with its id and href.
func registeredResource(d *docs.Doc) map[string]any {
	d.Body["id"] = d.ID
	d.Body["href"] = tmf630.EntityHref(tmf630.ResourceInventory, "resource", d.ID)
	return d.Body
}
