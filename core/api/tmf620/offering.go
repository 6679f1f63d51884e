package tmf620

// ProductOffering is a v4 ProductOffering: what is sold, at which prices
// and terms, realised by a product specification.
type ProductOffering struct {
	Entity
	IsSellable             *bool                    `json:"isSellable,omitempty"`
	StatusReason           string                   `json:"statusReason,omitempty"`
	Agreement              []EntityRef              `json:"agreement,omitempty"`
	Attachment             []Object                 `json:"attachment,omitempty"`
	BundledProductOffering []BundledRef             `json:"bundledProductOffering,omitempty"`
	Category               []EntityRef              `json:"category,omitempty"`
	Channel                []EntityRef              `json:"channel,omitempty"`
	MarketSegment          []EntityRef              `json:"marketSegment,omitempty"`
	Place                  []EntityRef              `json:"place,omitempty"`
	ProdSpecCharValueUse   []CharacteristicValueUse `json:"prodSpecCharValueUse,omitempty"`
	ProductOfferingPrice   []EntityRef              `json:"productOfferingPrice,omitempty"`
	ProductOfferingTerm    []ProductOfferingTerm    `json:"productOfferingTerm,omitempty"`
	ProductSpecification   *ProductSpecificationRef `json:"productSpecification,omitempty"`
	ResourceCandidate      *EntityRef               `json:"resourceCandidate,omitempty"`
	ServiceCandidate       *EntityRef               `json:"serviceCandidate,omitempty"`
	ServiceLevelAgreement  *EntityRef               `json:"serviceLevelAgreement,omitempty"`
}

// Check tells whether the offering may be kept: the shared rules, and
// either bundled offerings (a bundle) or a product specification (any
// other offering: what would an order of it realise?). A specification
// that this catalog does not hold is allowed: designs may refer to
// entities of other catalogs.
func (o *ProductOffering) Check() error {
	if err := o.Entity.check(); err != nil {
		return err
	}
	if o.Bundle() {
		if len(o.BundledProductOffering) == 0 {
			return &FieldError{"bundledProductOffering", "required when isBundle is true"}
		}
	} else if o.ProductSpecification == nil {
		return &FieldError{"productSpecification", "required unless the offering is a bundle (isBundle true)"}
	}
	return firstError(
		checkBundled("bundledProductOffering", o.BundledProductOffering),
		checkRefs("agreement", o.Agreement),
		checkRefs("category", o.Category),
		checkRefs("channel", o.Channel),
		checkRefs("marketSegment", o.MarketSegment),
		checkRefs("place", o.Place),
		checkRefs("productOfferingPrice", o.ProductOfferingPrice),
		checkSpecRef("productSpecification", o.ProductSpecification),
		checkRef("resourceCandidate", o.ResourceCandidate),
		checkRef("serviceCandidate", o.ServiceCandidate),
		checkRef("serviceLevelAgreement", o.ServiceLevelAgreement),
		checkTerms(o.ProductOfferingTerm),
		checkValueUses(o.ProdSpecCharValueUse),
	)
}
