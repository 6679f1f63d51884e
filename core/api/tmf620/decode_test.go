package tmf620

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
)

// The bodies the TMF620 conformance kit POSTs are accepted as sent; what
// they leave out gets its default (lifecycleStatus In design).
func TestDecodeNewConformanceKitBodies(t *testing.T) {
	var o ProductOffering
	require.NoError(t, DecodeNew([]byte(`{"name":"aProductOffering","productSpecification":{"id":"9881",
		"href":"https://mycsp.com:8080/tmf-api/productCatalogManagement/v4/productSpecification/9881","version":"1.1",
		"name":"Robotics999","@referredType":"DeviceSpecification"}}`), &o))
	assert.Equal(t, "aProductOffering", o.Name)
	assert.Equal(t, InDesign, o.LifecycleStatus)
	require.NotNil(t, o.ProductSpecification)
	assert.Equal(t, "9881", o.ProductSpecification.ID)
	assert.Equal(t, "DeviceSpecification", o.ProductSpecification.ReferredType)

	var s ProductSpecification
	require.NoError(t, DecodeNew([]byte(`{"name":"Cisco Firepower NGFW"}`), &s))
	assert.Equal(t, InDesign, s.LifecycleStatus)

	var p ProductOfferingPrice
	require.NoError(t, DecodeNew([]byte(`{"name":"Recurring Charge for Business Firewall","isBundle":false,"priceType":"recurring"}`), &p))
	assert.Equal(t, Recurring, p.PriceType)
	require.NotNil(t, p.IsBundle)
	assert.False(t, *p.IsBundle)

	var kept ProductOffering
	require.NoError(t, DecodeNew([]byte(`{"name":"x","lifecycleStatus":"Launched","isBundle":true,"bundledProductOffering":[{"id":"PO-1"}]}`), &kept))
	assert.Equal(t, Launched, kept.LifecycleStatus, "a status the client sends is kept")
}

// Every refusal names the attribute (its dotted path, array indexes
// included where the server finds the fault) and what is wrong.
func TestDecodeNewRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		design           Design
	}{
		{"malformed", `{"name":`, "the body: malformed JSON at byte 8: unexpected end of JSON input", &ProductOffering{}},
		{"trailing data", `{"name":"a"} {}`, "the body: malformed JSON at byte 14: invalid character '{' after top-level value", &ProductOffering{}},
		{"not an object", `["name"]`, "the body: want an object, not an array", &ProductOffering{}},
		{"null", `null`, "the body: want an object, not null", &ProductSpecification{}},
		{"id", `{"id":"POD-9","name":"a"}`, "id: set by the server: leave it out", &ProductOffering{}},
		{"href", `{"href":"/x","name":"a"}`, "href: set by the server: leave it out", &ProductSpecification{}},
		{"lastUpdate", `{"lastUpdate":"2024-01-01T00:00:00Z","name":"a","priceType":"oneTime"}`, "lastUpdate: set by the server: leave it out", &ProductOfferingPrice{}},
		{"unknown", `{"name":"a","colour":"red"}`, "colour: not an attribute of ProductSpecification", &ProductSpecification{}},
		{"case matters", `{"Name":"a"}`, "Name: not an attribute of ProductSpecification", &ProductSpecification{}},
		{"unknown nested", `{"name":"a","productSpecification":{"id":"1","colour":"red"}}`,
			"productSpecification.colour: not an attribute of productSpecification (ProductSpecificationRef)", &ProductOffering{}},
		{"unknown in array", `{"name":"a","productSpecification":{"id":"1"},"productOfferingPrice":[{"id":"1"},{"id":"2","x":1}]}`,
			"productOfferingPrice[1].x: not an attribute of productOfferingPrice[1] (EntityRef)", &ProductOffering{}},
		{"name a number", `{"name":3}`, "name: want a string, not number", &ProductSpecification{}},
		{"ref id a number", `{"name":"a","productSpecification":{"id":9881}}`, "productSpecification.id: want a string, not number", &ProductOffering{}},
		{"ref a string", `{"name":"a","productSpecification":"PS-ESA-01"}`, "productSpecification: want an object, not string", &ProductOffering{}},
		{"isBundle a string", `{"name":"a","isBundle":"no"}`, "isBundle: want true or false, not string", &ProductSpecification{}},
		{"length a fraction", `{"name":"a","priceType":"recurring","recurringChargePeriodLength":1.5}`,
			"recurringChargePeriodLength: want a whole number, not number 1.5", &ProductOfferingPrice{}},
		{"amount a string", `{"name":"a","priceType":"recurring","price":{"unit":"AUD","value":"1800"}}`,
			"price.value: want a number, not string", &ProductOfferingPrice{}},
		{"no name", `{"description":"x"}`, "name: required", &ProductSpecification{}},
		{"blank name", `{"name":"  "}`, "name: required", &ProductSpecification{}},
		{"unknown status", `{"name":"a","lifecycleStatus":"Live"}`,
			`lifecycleStatus: "Live" is not one of "In study", "In design", "In test", "Rejected", "Active", "Launched", "Retired" or "Obsolete"`, &ProductSpecification{}},
		{"offering without specification", `{"name":"a"}`, "productSpecification: required unless the offering is a bundle (isBundle true)", &ProductOffering{}},
		{"bundle without members", `{"name":"a","isBundle":true}`, "bundledProductOffering: required when isBundle is true", &ProductOffering{}},
		{"specification bundle without members", `{"name":"a","isBundle":true}`, "bundledProductSpecification: required when isBundle is true", &ProductSpecification{}},
		{"ref without id", `{"name":"a","productSpecification":{"name":"x"}}`, "productSpecification.id: required", &ProductOffering{}},
		{"price ref without id", `{"name":"a","productSpecification":{"id":"1"},"productOfferingPrice":[{"id":"p"},{"name":"x"}]}`,
			"productOfferingPrice[1].id: required", &ProductOffering{}},
		{"no price type", `{"name":"a"}`, `priceType: required: one of "recurring", "oneTime" or "usage"`, &ProductOfferingPrice{}},
		{"unknown price type", `{"name":"a","priceType":"monthly"}`, `priceType: "monthly" is not one of "recurring", "oneTime" or "usage"`, &ProductOfferingPrice{}},
		{"percentage", `{"name":"a","priceType":"usage","percentage":120}`, "percentage: must be from 0 to 100", &ProductOfferingPrice{}},
		{"period length", `{"name":"a","priceType":"recurring","recurringChargePeriodLength":0}`, "recurringChargePeriodLength: must be at least 1", &ProductOfferingPrice{}},
		{"currency", `{"name":"a","priceType":"recurring","price":{"unit":"dollars","value":1}}`,
			`price.unit: "dollars" is not an ISO 4217 currency code (three capital letters)`, &ProductOfferingPrice{}},
		{"bad date", `{"name":"a","validFor":{"startDateTime":"2024-01-01"}}`, `validFor.startDateTime: "2024-01-01" is not an RFC 3339 date-time`, &ProductSpecification{}},
		{"period backwards", `{"name":"a","validFor":{"startDateTime":"2025-01-01T00:00:00Z","endDateTime":"2024-01-01T00:00:00Z"}}`,
			"validFor: endDateTime is before startDateTime", &ProductSpecification{}},
		{"term", `{"name":"a","productSpecification":{"id":"1"},"productOfferingTerm":[{"duration":{"amount":0,"units":"month"}}]}`,
			"productOfferingTerm[0].duration.amount: must be positive", &ProductOffering{}},
		{"cardinality", `{"name":"a","productSpecCharacteristic":[{"name":"speed","minCardinality":2,"maxCardinality":1}]}`,
			"productSpecCharacteristic[0].maxCardinality: is less than minCardinality", &ProductSpecification{}},
		{"characteristic without name", `{"name":"a","productSpecCharacteristic":[{"valueType":"string"}]}`,
			"productSpecCharacteristic[0].name: required", &ProductSpecification{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeNew([]byte(tc.body), tc.design)
			require.Error(t, err)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// A merge patch (RFC 7386) is checked against the design it changes: the
// patched design must pass the same rules as a new one.
func TestDecodePatch(t *testing.T) {
	stored := map[string]any{"id": "POD-001", "name": "aProductOffering", "lifecycleStatus": InDesign,
		"productSpecification": map[string]any{"id": "9881", "version": "1.1"}}
	for _, tc := range []struct {
		name, patch, want string
		check             func(t *testing.T, o *ProductOffering)
	}{
		{name: "rename (the kit's PATCH)", patch: `{"name":"anotherProductOffering"}`, check: func(t *testing.T, o *ProductOffering) {
			assert.Equal(t, "anotherProductOffering", o.Name)
			assert.Equal(t, "1.1", o.ProductSpecification.Version, "what the patch leaves out is kept")
		}},
		{name: "null removes", patch: `{"productSpecification":{"version":null},"lifecycleStatus":"In test"}`, check: func(t *testing.T, o *ProductOffering) {
			assert.Empty(t, o.ProductSpecification.Version)
			assert.Equal(t, "9881", o.ProductSpecification.ID)
			assert.Equal(t, InTest, o.LifecycleStatus)
		}},
		{name: "name removed", patch: `{"name":null}`, want: "name: required"},
		{name: "status removed", patch: `{"lifecycleStatus":null}`, want: `lifecycleStatus: required: one of "In study", "In design", "In test", "Rejected", "Active", "Launched", "Retired" or "Obsolete"`},
		{name: "specification removed", patch: `{"productSpecification":null}`, want: "productSpecification: required unless the offering is a bundle (isBundle true)"},
		{name: "ref id removed", patch: `{"productSpecification":{"id":null}}`, want: "productSpecification.id: required"},
		{name: "id", patch: `{"id":"POD-002"}`, want: "id: set by the server: leave it out"},
		{name: "lastUpdate", patch: `{"lastUpdate":"2024-01-01T00:00:00Z"}`, want: "lastUpdate: set by the server: leave it out"},
		{name: "wrong kind", patch: `{"isSellable":"yes"}`, want: "isSellable: want true or false, not string"},
		{name: "wrong kind in a removed object", patch: `{"validFor":{"startDateTime":1}}`, want: "validFor.startDateTime: want a string, not number"},
		{name: "unknown", patch: `{"colour":"red"}`, want: "colour: not an attribute of ProductOffering"},
		{name: "not an object", patch: `"rename"`, want: "the body: want an object, not a string"},
		{name: "malformed", patch: `{"name":"x"`, want: "the body: malformed JSON at byte 11: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o ProductOffering
			err := DecodePatch(stored, []byte(tc.patch), &o)
			if tc.want != "" {
				require.Error(t, err)
				assert.Equal(t, tc.want, err.Error())
				return
			}
			require.NoError(t, err)
			tc.check(t, &o)
		})
	}
	assert.Equal(t, map[string]any{"id": "POD-001", "name": "aProductOffering", "lifecycleStatus": InDesign,
		"productSpecification": map[string]any{"id": "9881", "version": "1.1"}}, stored, "the stored design is left as it was")
}

// A design round-trips: what DecodeNew accepts, encoded and decoded again,
// is the same design.
func TestDesignRoundTrip(t *testing.T) {
	body := `{"name":"Gold 1G","description":"d","isBundle":false,"lifecycleStatus":"In test","version":"2",
		"validFor":{"startDateTime":"2025-01-01T00:00:00+10:00"},"priceType":"recurring","percentage":0,
		"recurringChargePeriodLength":1,"recurringChargePeriodType":"month","price":{"unit":"AUD","value":0},
		"popRelationship":[{"id":"x","relationshipType":"discount"}],"unitOfMeasure":{"amount":1,"units":"site"},
		"prodSpecCharValueUse":[{"name":"speed","productSpecCharacteristicValue":[{"value":"1G-sym","isDefault":true}]}],
		"tax":[{"taxCategory":"GST","taxRate":0.1}],"@type":"ProductOfferingPrice"}`
	var p ProductOfferingPrice
	require.NoError(t, DecodeNew([]byte(body), &p))
	b, err := json.Marshal(&p)
	require.NoError(t, err)
	var again ProductOfferingPrice
	require.NoError(t, DecodeNew(b, &again))
	assert.Equal(t, p, again)
	require.NotNil(t, again.Price.Value)
	assert.Zero(t, *again.Price.Value, "a price of zero is kept, not dropped as empty")
	require.NotNil(t, again.Percentage)
}

// The attributes a list filters on, embedded structs' among them, and
// those beneath an object.
func TestAttributes(t *testing.T) {
	got := tmf630.Attributes(ProductOffering{})
	for _, want := range []string{"id", "href", "name", "lastUpdate", "lifecycleStatus", "@type", "productSpecification", "productOfferingPrice", "isSellable"} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "Entity", "embedded structs give their attributes, not their name")
	assert.Contains(t, got, "productSpecification.id")
}
