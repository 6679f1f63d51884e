package tmf620

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/catalog"
)

// fileCatalog maps the catalog file to TMF620, each list sorted by id:
// its offerings; their specifications; and their prices, which are each
// offering's list price (id PO-…:list), each of its rate cards
// (PO-…:RC-…) and each speed a card prices apart (PO-…:RC-…:1G-sym).
// Every entry was last updated at T+0, when the file was loaded.
func (s *productCatalog) fileCatalog() ([]ProductOffering, []ProductSpecification, []ProductOfferingPrice) {
	c := s.Catalog
	var offerings []ProductOffering
	var prices []ProductOfferingPrice
	for _, id := range slices.Sorted(maps.Keys(c.Offerings)) {
		o := c.Offerings[id]
		ps := s.offeringPrices(o)
		spec := s.specRef(o.Specification)
		offering := ProductOffering{
			Entity:               s.fileEntity("productOffering", o.ID, o.Name, Launched),
			IsSellable:           new(true),
			ProductSpecification: spec,
			ProductOfferingTerm:  offeringTerms(o.Terms),
			ProdSpecCharValueUse: []CharacteristicValueUse{
				valueUse("slaTier", o.Tiers, spec),
				valueUse("speed", o.Speeds, spec),
			},
		}
		for _, p := range ps {
			offering.ProductOfferingPrice = append(offering.ProductOfferingPrice,
				EntityRef{ID: p.ID, Href: p.Href, Name: p.Name, ReferredType: "ProductOfferingPrice"})
		}
		offerings = append(offerings, offering)
		prices = append(prices, ps...)
	}
	slices.SortFunc(prices, func(a, b ProductOfferingPrice) int { return strings.Compare(a.ID, b.ID) })

	var specs []ProductSpecification
	for _, id := range slices.Sorted(maps.Keys(c.Specs)) {
		ps := c.Specs[id]
		spec := ProductSpecification{Entity: s.fileEntity("productSpecification", ps.ID, ps.Name, Active)}
		for _, svc := range ps.Services {
			spec.ServiceSpecification = append(spec.ServiceSpecification, ServiceSpecificationRef{EntityRef: EntityRef{
				ID: svc.CFS, Href: tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", svc.CFS),
				Name: c.CFS[svc.CFS].Name, ReferredType: cfsType}})
		}
		// The characteristics a product of the specification takes: the
		// SLA tiers and speeds its offerings sell.
		var tiers, speeds []string
		for _, oid := range slices.Sorted(maps.Keys(c.Offerings)) {
			if o := c.Offerings[oid]; o.Specification == ps.ID {
				tiers, speeds = appendMissing(tiers, o.Tiers), appendMissing(speeds, o.Speeds)
			}
		}
		spec.ProductSpecCharacteristic = []SpecCharacteristic{specCharacteristic("slaTier", tiers), specCharacteristic("speed", speeds)}
		specs = append(specs, spec)
	}
	return offerings, specs, prices
}

// fileCatalogEntity is the catalog file as a TMF620 Catalog.
func (s *productCatalog) fileCatalogEntity() Catalog {
	id := s.Catalog.Name
	if id == "" {
		id = "catalog"
	}
	return Catalog{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, "catalog", id), Name: id, CatalogType: "productCatalog",
		LastUpdate: s.Date(0), LifecycleStatus: Launched, Type: "Catalog"}
}

// offeringPrices are an offering's prices: its list price and its rate
// cards, each of which holds one price for the speeds it does not price
// apart and one for each speed it does. All are monthly, per site.
func (s *productCatalog) offeringPrices(o *catalog.Offering) []ProductOfferingPrice {
	spec := s.specRef(o.Specification)
	price := func(id, name, status string, value float64, months []int) ProductOfferingPrice {
		return ProductOfferingPrice{
			Entity:                      s.fileEntity("productOfferingPrice", id, name, status),
			PriceType:                   Recurring,
			RecurringChargePeriodType:   "month",
			RecurringChargePeriodLength: new(1),
			Price:                       &Money{Unit: o.Currency, Value: new(value)},
			UnitOfMeasure:               &Quantity{Amount: new(1.0), Units: "site"},
			ProductOfferingTerm:         offeringTerms(months),
		}
	}
	out := []ProductOfferingPrice{price(o.ID+":list", o.Name+" list price", Launched, o.ListPrice, o.Terms)}
	for _, card := range o.RateCards {
		status := Launched
		if !card.Approved {
			status = InDesign
		}
		period := s.days(card.From, card.To)
		name := fmt.Sprintf("%s rate card %s", o.Name, card.ID)
		p := price(o.ID+":"+card.ID, name, status, card.Monthly, card.Terms)
		p.ValidFor = period
		if len(card.SpeedPrices) > 0 {
			rest := slices.DeleteFunc(slices.Clone(o.Speeds), func(sp string) bool { _, apart := card.SpeedPrices[sp]; return apart })
			p.ProdSpecCharValueUse = []CharacteristicValueUse{valueUse("speed", rest, spec)}
		}
		out = append(out, p)
		for _, speed := range slices.Sorted(maps.Keys(card.SpeedPrices)) {
			p := price(o.ID+":"+card.ID+":"+speed, name+" ("+speed+")", status, card.SpeedPrices[speed], card.Terms)
			p.ValidFor = period
			p.ProdSpecCharValueUse = []CharacteristicValueUse{valueUse("speed", []string{speed}, spec)}
			out = append(out, p)
		}
		// A tier × speed card: a price for each tier and speed it lists.
		for _, tier := range slices.Sorted(maps.Keys(card.TierPrices)) {
			for _, speed := range slices.Sorted(maps.Keys(card.TierPrices[tier])) {
				p := price(o.ID+":"+card.ID+":"+tier+":"+speed, name+" ("+tier+", "+speed+")", status, card.TierPrices[tier][speed], card.Terms)
				p.ValidFor = period
				p.ProdSpecCharValueUse = []CharacteristicValueUse{valueUse("slaTier", []string{tier}, spec), valueUse("speed", []string{speed}, spec)}
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *productCatalog) fileEntity(collection, id, name, status string) Entity {
	return Entity{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, collection, id), Name: name, IsBundle: new(false),
		LastUpdate: s.Date(0), LifecycleStatus: status, Type: catalogTypeNames[collection]}
}

// cfsType is the @referredType of a specification's services: TMF633's
// customer-facing service specifications (tmf633.CFSType, which imports
// this package).
const cfsType = "CustomerFacingServiceSpecification"

var catalogTypeNames = map[string]string{"productOffering": "ProductOffering", "productSpecification": "ProductSpecification",
	"productOfferingPrice": "ProductOfferingPrice"}

func (s *productCatalog) specRef(id string) *ProductSpecificationRef {
	return &ProductSpecificationRef{EntityRef: EntityRef{ID: id, Href: tmf630.EntityHref(tmf630.ProductCatalog, "productSpecification", id),
		Name: s.Catalog.Specs[id].Name, ReferredType: "ProductSpecification"}}
}

// days is the period of calendar days from and to (YYYY-MM-DD, both
// included) in the time zone of T+0, as the quote checks a rate card; an
// end that is not a date is left open.
func (s *productCatalog) days(from, to string) *TimePeriod {
	var p TimePeriod
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
func offeringTerms(months []int) []ProductOfferingTerm {
	var out []ProductOfferingTerm
	for _, m := range months {
		out = append(out, ProductOfferingTerm{Name: fmt.Sprintf("%d months", m),
			Duration: &Quantity{Amount: new(float64(m)), Units: "month"}})
	}
	return out
}

// valueUse restricts a characteristic of the specification to values.
func valueUse(name string, values []string, spec *ProductSpecificationRef) CharacteristicValueUse {
	return CharacteristicValueUse{Name: name, ValueType: "string", MinCardinality: new(1), MaxCardinality: new(1),
		Values: stringValues(values), ProductSpecification: spec}
}

func specCharacteristic(name string, values []string) SpecCharacteristic {
	return SpecCharacteristic{Name: name, ValueType: "string", Configurable: new(true),
		MinCardinality: new(1), MaxCardinality: new(1), Values: stringValues(values)}
}

func stringValues(values []string) []CharacteristicValue {
	out := make([]CharacteristicValue, len(values))
	for i, v := range values {
		out[i] = CharacteristicValue{ValueType: "string", Value: v}
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
