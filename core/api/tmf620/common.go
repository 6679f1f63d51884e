package tmf620

// Entity holds the attributes the three catalog resources share. id, href
// and lastUpdate are managed by the server.
type Entity struct {
	ID              string      `json:"id,omitempty"`
	Href            string      `json:"href,omitempty"`
	Name            string      `json:"name,omitempty"`
	Description     string      `json:"description,omitempty"`
	IsBundle        *bool       `json:"isBundle,omitempty"`
	LastUpdate      string      `json:"lastUpdate,omitempty"`
	LifecycleStatus string      `json:"lifecycleStatus,omitempty"`
	Version         string      `json:"version,omitempty"`
	ValidFor        *TimePeriod `json:"validFor,omitempty"`
	BaseType        string      `json:"@baseType,omitempty"`
	SchemaLocation  string      `json:"@schemaLocation,omitempty"`
	Type            string      `json:"@type,omitempty"`
}

// Base returns the shared attributes.
func (e *Entity) Base() *Entity { return e }

// Bundle tells whether the entity is a bundle (isBundle true).
func (e *Entity) Bundle() bool { return e.IsBundle != nil && *e.IsBundle }

// Object is a JSON object kept as it is: parts of the schema the server
// stores for the client but does not interpret (attachments, pricing
// logic, target schemas, ...).
type Object = map[string]any

// EntityRef is a v4 reference to another entity (AgreementRef,
// CategoryRef, ChannelRef, PlaceRef, SLARef, ProductOfferingPriceRef, ...).
// id is required.
type EntityRef struct {
	ID             string `json:"id"`
	Href           string `json:"href,omitempty"`
	Name           string `json:"name,omitempty"`
	Version        string `json:"version,omitempty"`
	ReferredType   string `json:"@referredType,omitempty"`
	BaseType       string `json:"@baseType,omitempty"`
	SchemaLocation string `json:"@schemaLocation,omitempty"`
	Type           string `json:"@type,omitempty"`
}

// ProductSpecificationRef is a reference to a product specification.
type ProductSpecificationRef struct {
	EntityRef
	TargetProductSchema Object `json:"targetProductSchema,omitempty"`
}

// ServiceSpecificationRef is a reference to a service specification
// (TMF633).
type ServiceSpecificationRef struct {
	EntityRef
	TargetServiceSchema Object `json:"targetServiceSchema,omitempty"`
}

// RelatedParty is a party and its role.
type RelatedParty struct {
	EntityRef
	Role string `json:"role,omitempty"`
}

// BundledRef is a member of a bundle: BundledProductOffering,
// BundledProductSpecification, BundledProductOfferingPriceRelationship.
type BundledRef struct {
	ID              string `json:"id"`
	Href            string `json:"href,omitempty"`
	Name            string `json:"name,omitempty"`
	LifecycleStatus string `json:"lifecycleStatus,omitempty"`
	// Option is a BundledProductOfferingOption (offerings only).
	Option         Object `json:"bundledProductOfferingOption,omitempty"`
	BaseType       string `json:"@baseType,omitempty"`
	SchemaLocation string `json:"@schemaLocation,omitempty"`
	Type           string `json:"@type,omitempty"`
}

// TimePeriod is a period of validity; either end may be open.
type TimePeriod struct {
	StartDateTime string `json:"startDateTime,omitempty"`
	EndDateTime   string `json:"endDateTime,omitempty"`
}

// Quantity is an amount in units (a term's duration: 36 month).
type Quantity struct {
	Amount *float64 `json:"amount,omitempty"`
	Units  string   `json:"units,omitempty"`
}

// Money is an amount in a currency (ISO 4217).
type Money struct {
	Unit  string   `json:"unit,omitempty"`
	Value *float64 `json:"value,omitempty"`
}

// ProductOfferingTerm is a commitment term (36 months).
type ProductOfferingTerm struct {
	Name           string      `json:"name,omitempty"`
	Description    string      `json:"description,omitempty"`
	Duration       *Quantity   `json:"duration,omitempty"`
	ValidFor       *TimePeriod `json:"validFor,omitempty"`
	BaseType       string      `json:"@baseType,omitempty"`
	SchemaLocation string      `json:"@schemaLocation,omitempty"`
	Type           string      `json:"@type,omitempty"`
}

// CharacteristicValue is a ProductSpecificationCharacteristicValue: one
// value a characteristic may take.
type CharacteristicValue struct {
	IsDefault      *bool       `json:"isDefault,omitempty"`
	RangeInterval  string      `json:"rangeInterval,omitempty"`
	Regex          string      `json:"regex,omitempty"`
	UnitOfMeasure  string      `json:"unitOfMeasure,omitempty"`
	ValueFrom      string      `json:"valueFrom,omitempty"`
	ValueTo        string      `json:"valueTo,omitempty"`
	ValueType      string      `json:"valueType,omitempty"`
	ValidFor       *TimePeriod `json:"validFor,omitempty"`
	Value          any         `json:"value,omitempty"`
	BaseType       string      `json:"@baseType,omitempty"`
	SchemaLocation string      `json:"@schemaLocation,omitempty"`
	Type           string      `json:"@type,omitempty"`
}

// CharacteristicValueUse is a ProductSpecificationCharacteristicValueUse:
// the values of a specification's characteristic that an offering or a
// price allows.
type CharacteristicValueUse struct {
	Name                 string                   `json:"name,omitempty"`
	Description          string                   `json:"description,omitempty"`
	ValueType            string                   `json:"valueType,omitempty"`
	MinCardinality       *int                     `json:"minCardinality,omitempty"`
	MaxCardinality       *int                     `json:"maxCardinality,omitempty"`
	Values               []CharacteristicValue    `json:"productSpecCharacteristicValue,omitempty"`
	ProductSpecification *ProductSpecificationRef `json:"productSpecification,omitempty"`
	ValidFor             *TimePeriod              `json:"validFor,omitempty"`
	BaseType             string                   `json:"@baseType,omitempty"`
	SchemaLocation       string                   `json:"@schemaLocation,omitempty"`
	Type                 string                   `json:"@type,omitempty"`
}

// Lifecycle statuses of catalog entities (TMF620 user guide).
const (
	InStudy  = "In study"
	InDesign = "In design"
	InTest   = "In test"
	Rejected = "Rejected"
	Active   = "Active"
	Launched = "Launched"
	Retired  = "Retired"
	Obsolete = "Obsolete"
)

// LifecycleStatuses are the lifecycle statuses a catalog entity may have.
var LifecycleStatuses = []string{InStudy, InDesign, InTest, Rejected, Active, Launched, Retired, Obsolete}
