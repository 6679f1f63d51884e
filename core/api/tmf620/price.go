package tmf620

import "slices"

// Price types of a product offering price.
const (
	Recurring = "recurring"
	OneTime   = "oneTime"
	Usage     = "usage"
)

// PriceTypes are the kinds of charge a price may be.
var PriceTypes = []string{Recurring, OneTime, Usage}

// ProductOfferingPrice is a v4 ProductOfferingPrice: a charge (recurring,
// one-time or for usage) of an offering.
type ProductOfferingPrice struct {
	Entity
	Percentage                  *float64                 `json:"percentage,omitempty"`
	PriceType                   string                   `json:"priceType,omitempty"`
	RecurringChargePeriodLength *int                     `json:"recurringChargePeriodLength,omitempty"`
	RecurringChargePeriodType   string                   `json:"recurringChargePeriodType,omitempty"`
	BundledPopRelationship      []BundledRef             `json:"bundledPopRelationship,omitempty"`
	Constraint                  []EntityRef              `json:"constraint,omitempty"`
	Place                       []EntityRef              `json:"place,omitempty"`
	PopRelationship             []PriceRelationship      `json:"popRelationship,omitempty"`
	Price                       *Money                   `json:"price,omitempty"`
	PricingLogicAlgorithm       []Object                 `json:"pricingLogicAlgorithm,omitempty"`
	ProdSpecCharValueUse        []CharacteristicValueUse `json:"prodSpecCharValueUse,omitempty"`
	ProductOfferingTerm         []ProductOfferingTerm    `json:"productOfferingTerm,omitempty"`
	Tax                         []Object                 `json:"tax,omitempty"`
	UnitOfMeasure               *Quantity                `json:"unitOfMeasure,omitempty"`
}

// PriceRelationship is a ProductOfferingPriceRelationship.
type PriceRelationship struct {
	ID               string `json:"id"`
	Href             string `json:"href,omitempty"`
	Name             string `json:"name,omitempty"`
	RelationshipType string `json:"relationshipType,omitempty"`
	BaseType         string `json:"@baseType,omitempty"`
	SchemaLocation   string `json:"@schemaLocation,omitempty"`
	Type             string `json:"@type,omitempty"`
}

// Check tells whether the price may be kept: the shared rules; a price
// type (a charge of no known kind cannot be billed); bundled prices when
// it is a bundle; a percentage from 0 to 100; a recurring period of at
// least one; a currency of three capital letters.
func (p *ProductOfferingPrice) Check() error {
	if err := p.Entity.check(); err != nil {
		return err
	}
	switch {
	case p.PriceType == "":
		return &FieldError{"priceType", "required: one of " + quoted(PriceTypes)}
	case !slices.Contains(PriceTypes, p.PriceType):
		return &FieldError{"priceType", "\"" + p.PriceType + "\" is not one of " + quoted(PriceTypes)}
	case p.Bundle() && len(p.BundledPopRelationship) == 0:
		return &FieldError{"bundledPopRelationship", "required when isBundle is true"}
	case p.Percentage != nil && (*p.Percentage < 0 || *p.Percentage > 100):
		return &FieldError{"percentage", "must be from 0 to 100"}
	case p.RecurringChargePeriodLength != nil && *p.RecurringChargePeriodLength < 1:
		return &FieldError{"recurringChargePeriodLength", "must be at least 1"}
	case p.Price != nil && p.Price.Unit != "" && !currency(p.Price.Unit):
		return &FieldError{"price.unit", "\"" + p.Price.Unit + "\" is not an ISO 4217 currency code (three capital letters)"}
	}
	errs := []error{
		checkBundled("bundledPopRelationship", p.BundledPopRelationship),
		checkRefs("constraint", p.Constraint),
		checkRefs("place", p.Place),
		checkTerms(p.ProductOfferingTerm),
		checkValueUses(p.ProdSpecCharValueUse),
	}
	for i, r := range p.PopRelationship {
		if r.ID == "" {
			errs = append(errs, &FieldError{indexed("popRelationship", i) + ".id", "required"})
		}
	}
	return firstError(errs...)
}

func currency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
