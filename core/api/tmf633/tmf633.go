// Package tmf633 is TMF633 Service Catalog Management v4 as far as
// ordertwin serves it: service specifications, read-only, made from the
// catalog file's CFS and RFS (Routes), and their wire format.
package tmf633

// ServiceSpecification is a v4 ServiceSpecification. A customer-facing
// one (@type CustomerFacingServiceSpecification) relies on the
// resource-facing ones it decomposes into; a resource-facing one
// (@type ResourceFacingServiceSpecification) names the resource it
// allocates and the specifications that must be completed before it.
type ServiceSpecification struct {
	ID                      string                     `json:"id"`
	Href                    string                     `json:"href"`
	Name                    string                     `json:"name"`
	Description             string                     `json:"description,omitempty"`
	IsBundle                bool                       `json:"isBundle"`
	LastUpdate              string                     `json:"lastUpdate"`
	LifecycleStatus         string                     `json:"lifecycleStatus"`
	Version                 string                     `json:"version,omitempty"`
	ResourceSpecification   []ResourceSpecificationRef `json:"resourceSpecification,omitempty"`
	ServiceSpecRelationship []ServiceSpecRelationship  `json:"serviceSpecRelationship,omitempty"`
	SpecCharacteristic      []CharacteristicSpec       `json:"specCharacteristic,omitempty"`
	ValidFor                *TimePeriod                `json:"validFor,omitempty"`
	BaseType                string                     `json:"@baseType,omitempty"`
	Type                    string                     `json:"@type"`
}

// ResourceSpecificationRef is a reference to a resource specification
// (TMF634): here the resource type, such as OLTPort or VLAN.
type ResourceSpecificationRef struct {
	ID           string `json:"id"`
	Href         string `json:"href,omitempty"`
	Name         string `json:"name,omitempty"`
	ReferredType string `json:"@referredType,omitempty"`
}

// ServiceSpecRelationship relates a specification to another.
// relationshipType is required.
type ServiceSpecRelationship struct {
	ID               string `json:"id"`
	Href             string `json:"href,omitempty"`
	Name             string `json:"name,omitempty"`
	RelationshipType string `json:"relationshipType"`
	Role             string `json:"role,omitempty"`
	ReferredType     string `json:"@referredType,omitempty"`
}

// CharacteristicSpec is a v4 CharacteristicSpecification: a
// characteristic services of the specification carry.
type CharacteristicSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	ValueType   string      `json:"valueType"`
	Values      []ValueSpec `json:"characteristicValueSpecification,omitempty"`
}

// ValueSpec is a v4 CharacteristicValueSpecification: a value a
// characteristic takes.
type ValueSpec struct {
	ValueType string `json:"valueType,omitempty"`
	IsDefault bool   `json:"isDefault,omitempty"`
	Value     any    `json:"value,omitempty"`
}

// TimePeriod is a period of validity.
type TimePeriod struct {
	StartDateTime string `json:"startDateTime,omitempty"`
	EndDateTime   string `json:"endDateTime,omitempty"`
}
