package tmf620

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

var seeds = []string{
	`{"name":"aProductOffering","productSpecification":{"id":"9881","href":"https://mycsp.com:8080/x/9881","version":"1.1","name":"Robotics999","@referredType":"DeviceSpecification"}}`,
	`{"name":"Cisco Firepower NGFW"}`,
	`{"name":"Recurring Charge for Business Firewall","isBundle":false,"priceType":"recurring"}`,
	`{"name":"b","isBundle":true,"bundledProductOffering":[{"id":"1","bundledProductOfferingOption":{"numberRelOfferDefault":1}}],"bundledProductSpecification":[{"id":"2"}],"bundledPopRelationship":[{"id":"3"}],"priceType":"oneTime"}`,
	`{"name":"p","priceType":"usage","price":{"unit":"AUD","value":1.5},"validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2023-01-01T00:00:00Z"}}`,
	`{"name":"t","productSpecification":{"id":"1"},"productOfferingTerm":[{"name":"36 months","duration":{"amount":36,"units":"month"}}]}`,
	`{"name":null,"id":"x"}`, `[]`, `null`, `{"name":"a"`, `{"Name":"a"}`, `{"name":"a","productSpecCharacteristic":[{"name":"s","minCardinality":-1}]}`,
}

func designs() []func() Design {
	return []func() Design{
		func() Design { return &ProductOffering{} },
		func() Design { return &ProductSpecification{} },
		func() Design { return &ProductOfferingPrice{} },
	}
}

// Whatever the body, DecodeNew refuses it with a FieldError or returns a
// design that passes Check, carries no server-managed attribute, and
// decodes again to itself once encoded (what the server stores; an empty
// array is stored as none).
func FuzzDecodeNew(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, design := range designs() {
			d := design()
			if err := DecodeNew(body, d); err != nil {
				var fe *FieldError
				require.ErrorAs(t, err, &fe)
				continue
			}
			require.NoError(t, d.Check())
			b := d.Base()
			require.Empty(t, b.ID+b.Href+b.LastUpdate)
			stored, err := json.Marshal(d)
			require.NoError(t, err)
			again := design()
			require.NoError(t, DecodeNew(stored, again), "stored as %s", stored)
			restored, err := json.Marshal(again)
			require.NoError(t, err)
			require.JSONEq(t, string(stored), string(restored))
		}
	})
}

// Whatever the patch, DecodePatch refuses it with a FieldError or returns
// a patched design that passes Check.
func FuzzDecodePatch(f *testing.F) {
	for _, s := range append(seeds, `{"name":"anotherProductOffering"}`, `{"productSpecification":{"id":null}}`, `{"price":null}`) {
		f.Add([]byte(s))
	}
	stored := []map[string]any{
		{"id": "POD-001", "name": "o", "lifecycleStatus": InDesign, "productSpecification": map[string]any{"id": "9881"}},
		{"id": "PSD-001", "name": "s", "lifecycleStatus": InDesign},
		{"id": "POPD-001", "name": "p", "lifecycleStatus": InDesign, "priceType": Recurring, "price": map[string]any{"unit": "AUD", "value": 3.0}},
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		for i, design := range designs() {
			d := design()
			if err := DecodePatch(stored[i], patch, d); err != nil {
				var fe *FieldError
				require.ErrorAs(t, err, &fe)
				continue
			}
			require.NoError(t, d.Check())
		}
	})
}
