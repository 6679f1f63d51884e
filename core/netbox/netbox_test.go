package netbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTokenOf(t *testing.T) {
	for _, c := range []struct {
		header, token string
		ok            bool
	}{
		{"Token abc123", "abc123", true},
		{"Token ", "", false},
		{"Bearer abc123", "", false},
		{"token abc123", "", false},
		{"", "", false},
	} {
		token, ok := TokenOf(c.header)
		assert.Equal(t, c.ok, ok, c.header)
		if ok {
			assert.Equal(t, c.token, token, c.header)
		}
	}
}

func TestPaths(t *testing.T) {
	assert.Equal(t, "/api/ipam/vlan-groups/3/available-vlans/", AvailableVLANsPath(3))
	assert.Equal(t, "/api/ipam/prefixes/12/available-prefixes/", AvailablePrefixesPath(12))
	assert.Equal(t, "/api/ipam/vlans/7/", ObjectPath(VLANsPath, 7))
	assert.Equal(t, "Reserved", StatusLabel(Reserved))
	assert.Equal(t, `{"status":"active"}`, string(Body(StatusPatch{Status: Active})))
}
