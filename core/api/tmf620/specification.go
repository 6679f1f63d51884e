package tmf620

// ProductSpecification is a v4 ProductSpecification: what a product is
// made of (the services and resources that realise it) and its
// characteristics.
type ProductSpecification struct {
	Entity
	Brand                            string                    `json:"brand,omitempty"`
	ProductNumber                    string                    `json:"productNumber,omitempty"`
	Attachment                       []Object                  `json:"attachment,omitempty"`
	BundledProductSpecification      []BundledRef              `json:"bundledProductSpecification,omitempty"`
	ProductSpecCharacteristic        []SpecCharacteristic      `json:"productSpecCharacteristic,omitempty"`
	ProductSpecificationRelationship []Object                  `json:"productSpecificationRelationship,omitempty"`
	RelatedParty                     []RelatedParty            `json:"relatedParty,omitempty"`
	ResourceSpecification            []EntityRef               `json:"resourceSpecification,omitempty"`
	ServiceSpecification             []ServiceSpecificationRef `json:"serviceSpecification,omitempty"`
	TargetProductSchema              Object                    `json:"targetProductSchema,omitempty"`
}

// SpecCharacteristic is a ProductSpecificationCharacteristic: a
// characteristic a product of the specification has, and the values it
// may take.
type SpecCharacteristic struct {
	Name                        string                `json:"name,omitempty"`
	Description                 string                `json:"description,omitempty"`
	ValueType                   string                `json:"valueType,omitempty"`
	Configurable                *bool                 `json:"configurable,omitempty"`
	Extensible                  *bool                 `json:"extensible,omitempty"`
	IsUnique                    *bool                 `json:"isUnique,omitempty"`
	MinCardinality              *int                  `json:"minCardinality,omitempty"`
	MaxCardinality              *int                  `json:"maxCardinality,omitempty"`
	Regex                       string                `json:"regex,omitempty"`
	ProductSpecCharRelationship []Object              `json:"productSpecCharRelationship,omitempty"`
	Values                      []CharacteristicValue `json:"productSpecCharacteristicValue,omitempty"`
	ValidFor                    *TimePeriod           `json:"validFor,omitempty"`
	BaseType                    string                `json:"@baseType,omitempty"`
	SchemaLocation              string                `json:"@schemaLocation,omitempty"`
	Type                        string                `json:"@type,omitempty"`
	ValueSchemaLocation         string                `json:"@valueSchemaLocation,omitempty"`
}

// Check tells whether the specification may be kept: the shared rules,
// and bundled specifications when it is a bundle.
func (s *ProductSpecification) Check() error {
	if err := s.Entity.check(); err != nil {
		return err
	}
	if s.Bundle() && len(s.BundledProductSpecification) == 0 {
		return &FieldError{"bundledProductSpecification", "required when isBundle is true"}
	}
	errs := []error{
		checkBundled("bundledProductSpecification", s.BundledProductSpecification),
		checkRefs("resourceSpecification", s.ResourceSpecification),
	}
	for i, r := range s.RelatedParty {
		errs = append(errs, checkRef(indexed("relatedParty", i), &r.EntityRef))
	}
	for i, r := range s.ServiceSpecification {
		errs = append(errs, checkRef(indexed("serviceSpecification", i), &r.EntityRef))
	}
	for i, c := range s.ProductSpecCharacteristic {
		path := indexed("productSpecCharacteristic", i)
		if c.Name == "" {
			errs = append(errs, &FieldError{path + ".name", "required"})
		}
		errs = append(errs, checkCardinality(path, c.MinCardinality, c.MaxCardinality), checkPeriod(path+".validFor", c.ValidFor))
	}
	return firstError(errs...)
}
