package api

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf620"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf633"
	"github.com/ordertwin/ordertwin/core/catalog"
)

// fileCatalog maps the catalog file to TMF620, each list sorted by id:
// its offerings; their specifications; and their prices, which are each
// offering's list price (id PO-…:list), each of its rate cards
// (PO-…:RC-…) and each speed a card prices apart (PO-…:RC-…:1G-sym).
// Every entry was last updated at T+0, when the file was loaded.
func (s *Server) fileCatalog() ([]tmf620.ProductOffering, []tmf620.ProductSpecification, []tmf620.ProductOfferingPrice) {
	c := s.Catalog
	var offerings []tmf620.ProductOffering
	var prices []tmf620.ProductOfferingPrice
	for _, id := range slices.Sorted(maps.Keys(c.Offerings)) {
		o := c.Offerings[id]
		ps := s.offeringPrices(o)
		spec := s.specRef(o.Specification)
		offering := tmf620.ProductOffering{
			Entity:               s.fileEntity("productOffering", o.ID, o.Name, tmf620.Launched),
			IsSellable:           new(true),
			ProductSpecification: spec,
			ProductOfferingTerm:  offeringTerms(o.Terms),
			ProdSpecCharValueUse: []tmf620.CharacteristicValueUse{
				valueUse("slaTier", o.Tiers, spec),
				valueUse("speed", o.Speeds, spec),
			},
		}
		for _, p := range ps {
			offering.ProductOfferingPrice = append(offering.ProductOfferingPrice,
				tmf620.EntityRef{ID: p.ID, Href: p.Href, Name: p.Name, ReferredType: "ProductOfferingPrice"})
		}
		offerings = append(offerings, offering)
		prices = append(prices, ps...)
	}
	slices.SortFunc(prices, func(a, b tmf620.ProductOfferingPrice) int { return strings.Compare(a.ID, b.ID) })

	var specs []tmf620.ProductSpecification
	for _, id := range slices.Sorted(maps.Keys(c.Specs)) {
		ps := c.Specs[id]
		spec := tmf620.ProductSpecification{Entity: s.fileEntity("productSpecification", ps.ID, ps.Name, tmf620.Active)}
		for _, svc := range ps.Services {
			spec.ServiceSpecification = append(spec.ServiceSpecification, tmf620.ServiceSpecificationRef{EntityRef: tmf620.EntityRef{
				ID: svc.CFS, Href: tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", svc.CFS),
				Name: c.CFS[svc.CFS].Name, ReferredType: tmf633.CFSType}})
		}
		// The characteristics a product of the specification takes: the
		// SLA tiers and speeds its offerings sell.
		var tiers, speeds []string
		for _, oid := range slices.Sorted(maps.Keys(c.Offerings)) {
			if o := c.Offerings[oid]; o.Specification == ps.ID {
				tiers, speeds = appendMissing(tiers, o.Tiers), appendMissing(speeds, o.Speeds)
			}
		}
		spec.ProductSpecCharacteristic = []tmf620.SpecCharacteristic{specCharacteristic("slaTier", tiers), specCharacteristic("speed", speeds)}
		specs = append(specs, spec)
	}
	return offerings, specs, prices
}

// fileCatalogEntity is the catalog file as a TMF620 Catalog.
func (s *Server) fileCatalogEntity() tmf620.Catalog {
	id := s.Catalog.Name
	if id == "" {
		id = "catalog"
	}
	return tmf620.Catalog{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, "catalog", id), Name: id, CatalogType: "productCatalog",
		LastUpdate: s.Node().Date(0), LifecycleStatus: tmf620.Launched, Type: "Catalog"}
}

// offeringPrices are an offering's prices: its list price and its rate
// cards, each of which holds one price for the speeds it does not price
// apart and one for each speed it does. All are monthly, per site.
func (s *Server) offeringPrices(o *catalog.Offering) []tmf620.ProductOfferingPrice {
	spec := s.specRef(o.Specification)
	price := func(id, name, status string, value float64, months []int) tmf620.ProductOfferingPrice {
		return tmf620.ProductOfferingPrice{
			Entity:                      s.fileEntity("productOfferingPrice", id, name, status),
			PriceType:                   tmf620.Recurring,
			RecurringChargePeriodType:   "month",
			RecurringChargePeriodLength: new(1),
			Price:                       &tmf620.Money{Unit: o.Currency, Value: new(value)},
			UnitOfMeasure:               &tmf620.Quantity{Amount: new(1.0), Units: "site"},
			ProductOfferingTerm:         offeringTerms(months),
		}
	}
	out := []tmf620.ProductOfferingPrice{price(o.ID+":list", o.Name+" list price", tmf620.Launched, o.ListPrice, o.Terms)}
	for _, card := range o.RateCards {
		status := tmf620.Launched
		if !card.Approved {
			status = tmf620.InDesign
		}
		period := s.days(card.From, card.To)
		name := fmt.Sprintf("%s rate card %s", o.Name, card.ID)
		p := price(o.ID+":"+card.ID, name, status, card.Monthly, card.Terms)
		p.ValidFor = period
		if len(card.SpeedPrices) > 0 {
			rest := slices.DeleteFunc(slices.Clone(o.Speeds), func(sp string) bool { _, apart := card.SpeedPrices[sp]; return apart })
			p.ProdSpecCharValueUse = []tmf620.CharacteristicValueUse{valueUse("speed", rest, spec)}
		}
		out = append(out, p)
		for _, speed := range slices.Sorted(maps.Keys(card.SpeedPrices)) {
			p := price(o.ID+":"+card.ID+":"+speed, name+" ("+speed+")", status, card.SpeedPrices[speed], card.Terms)
			p.ValidFor = period
			p.ProdSpecCharValueUse = []tmf620.CharacteristicValueUse{valueUse("speed", []string{speed}, spec)}
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) fileEntity(collection, id, name, status string) tmf620.Entity {
	return tmf620.Entity{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, collection, id), Name: name, IsBundle: new(false),
		LastUpdate: s.Node().Date(0), LifecycleStatus: status, Type: catalogTypeNames[collection]}
}

var catalogTypeNames = map[string]string{"productOffering": "ProductOffering", "productSpecification": "ProductSpecification",
	"productOfferingPrice": "ProductOfferingPrice"}

func (s *Server) specRef(id string) *tmf620.ProductSpecificationRef {
	return &tmf620.ProductSpecificationRef{EntityRef: tmf620.EntityRef{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, "productSpecification", id),
		Name: s.Catalog.Specs[id].Name, ReferredType: "ProductSpecification"}}
}

// days is the period of calendar days from and to (YYYY-MM-DD, both
// included) in the time zone of T+0, as the quote checks a rate card; an
// end that is not a date is left open.
func (s *Server) days(from, to string) *tmf620.TimePeriod {
	var p tmf620.TimePeriod
	loc := s.Epoch.Location()
	if t, err := time.ParseInLocation(time.DateOnly, from, loc); err == nil {
		p.StartDateTime = t.UTC().Format(time.RFC3339)
	}
	if t, err := time.ParseInLocation(time.DateOnly, to, loc); err == nil {
		p.EndDateTime = t.AddDate(0, 0, 1).Add(-time.Second).UTC().Format(time.RFC3339)
	}
	return &p
}

// offeringTerms are commitment terms in months.
func offeringTerms(months []int) []tmf620.ProductOfferingTerm {
	var out []tmf620.ProductOfferingTerm
	for _, m := range months {
		out = append(out, tmf620.ProductOfferingTerm{Name: fmt.Sprintf("%d months", m),
			Duration: &tmf620.Quantity{Amount: new(float64(m)), Units: "month"}})
	}
	return out
}

// valueUse restricts a characteristic of the specification to values.
func valueUse(name string, values []string, spec *tmf620.ProductSpecificationRef) tmf620.CharacteristicValueUse {
	return tmf620.CharacteristicValueUse{Name: name, ValueType: "string", MinCardinality: new(1), MaxCardinality: new(1),
		Values: stringValues(values), ProductSpecification: spec}
}

func specCharacteristic(name string, values []string) tmf620.SpecCharacteristic {
	return tmf620.SpecCharacteristic{Name: name, ValueType: "string", Configurable: new(true),
		MinCardinality: new(1), MaxCardinality: new(1), Values: stringValues(values)}
}

func stringValues(values []string) []tmf620.CharacteristicValue {
	out := make([]tmf620.CharacteristicValue, len(values))
	for i, v := range values {
		out[i] = tmf620.CharacteristicValue{ValueType: "string", Value: v}
	}
	return out
}

// appendMissing appends to a the values of b it lacks, in order.
func appendMissing(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}
