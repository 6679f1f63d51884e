package tmf639

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resourceSeeds are bodies clients send: the TMF639 kit's POST, v4
// attributes, and the mistakes the handler must name.
var resourceSeeds = []string{
	`{"name":"RouterXX","@type":"Resource"}`,
	`{"name":"RouterXX"}`,
	`{"name":"Core switch","category":"physical","resourceStatus":"available","usageState":"busy",` +
		`"administrativeState":"unlocked","operationalState":"enable","startOperatingDate":"2019-03-01T00:00:00Z",` +
		`"place":{"id":"MELB","role":"installationAddress"},"relatedParty":[{"id":"CUST-ENT-1102","@referredType":"Organization"}],` +
		`"resourceCharacteristic":[{"name":"ports","value":48},{"name":"vendor","value":"Cisco"}],"rackUnit":12}`,
	`{"id":"R1","name":"x"}`, `{"href":"/r","name":"x"}`, `{"name":null}`, `{"name":7}`, `{"name":"x","usageState":"x"}`,
	`{"name":"x","resourceCharacteristic":[{"value":1}]}`, `{"name":"x","place":{}}`, `[]`, `null`, `"x"`, `{`, ``,
	`{"name":"x","@type":null}`, `{"name":"x","note":[1]}`, `{"nAme":"x"}`,
}

// Whatever the body, decodeResource answers without panicking: a 400
// naming what is wrong, or a body to store that is a JSON object with a
// name and an @type, no id or href, v4 states, and that it takes as is.
func FuzzDecodeResource(f *testing.F) {
	for _, s := range resourceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, e := decodeResource(body)
		if e != nil {
			assert.Equal(t, "400", e.Status, e.Message)
			assert.NotEmpty(t, e.Message)
			return
		}
		checkStored(t, out)
		again, e := decodeResource(out)
		require.Nil(t, e, "a stored body is accepted again")
		assert.True(t, bytes.Equal(out, again), "and stored as it is")
	})
}

// Whatever the patch, checkPatch answers without panicking, and a patch
// it accepts leaves a resource it would accept as new.
func FuzzCheckPatch(f *testing.F) {
	for _, s := range resourceSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"name":"RouterYY","usageState":null,"place":{"name":"Melbourne HQ"}}`))
	f.Add([]byte(`{"resourceCharacteristic":null,"@type":"PhysicalResource"}`))
	f.Fuzz(func(t *testing.T, patch []byte) {
		current := map[string]any{"id": "RES-REG-001", "name": "RouterXX", "@type": "Resource",
			"place": map[string]any{"id": "MELB", "role": "installationAddress"}}
		if e := checkPatch(current, patch); e != nil {
			assert.Equal(t, "400", e.Status, e.Message)
			assert.NotEmpty(t, e.Message)
			return
		}
		merged, err := json.Marshal(current)
		require.NoError(t, err)
		checkStored(t, merged)
	})
}

func checkStored(t *testing.T, body []byte) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	require.NotNil(t, m)
	assert.NotContains(t, m, "id")
	assert.NotContains(t, m, "href")
	assert.IsType(t, "", m["name"])
	assert.IsType(t, "", m["@type"])
	for field, values := range resourceEnums {
		if v, ok := m[field]; ok {
			assert.True(t, slices.Contains(values, v.(string)), "%s: %v", field, v)
		}
	}
}

// Reference: the mapping in resourceStates' comment (and docs/api.md):
// ROM's lifecycle of a resource in the three v4 state attributes.
func TestResourceStates(t *testing.T) {
	for _, c := range []struct {
		state, usage           string
		status, inUse, adminSt string
	}{
		{"reserved", "", "reserved", "idle", "unlocked"},
		{"available", "active", "available", "active", "unlocked"},
		{"available", "", "available", "idle", "unlocked"},
		{"released", "", "available", "idle", "unlocked"},
		{"terminated", "", "available", "idle", "unlocked"},
		{"lost", "", "unknown", "idle", "locked"},
		{"replaced", "", "unknown", "idle", "locked"},
	} {
		status, usage, admin := tmf.ResourceStates(c.state, c.usage)
		assert.Equal(t, []string{c.status, c.inUse, c.adminSt}, []string{status, usage, admin}, c.state+"/"+c.usage)
		assert.Contains(t, resourceEnums["resourceStatus"], status)
		assert.Contains(t, resourceEnums["usageState"], usage)
		assert.Contains(t, resourceEnums["administrativeState"], admin)
	}
}
