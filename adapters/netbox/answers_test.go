package netbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netbox"
)

// answer is one answer of a scripted NetBox.
type answer struct {
	status int
	body   []byte
}

// script is a NetBox that gives its answers in order, one a request, in
// process: no network.
type script []answer

func (s *script) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(*s) == 0 {
		return nil, fmt.Errorf("no answer scripted for %s %s", req.Method, req.URL.Path)
	}
	a := (*s)[0]
	*s = (*s)[1:]
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(a.body)), Request: req}, nil
}

// The answers of a reserve as NetBox gives them: the pool, no allocation
// of the item's yet, the allocation.
func vlanReserveAnswers() []answer {
	return []answer{
		{200, netbox.Body(netbox.Page[netbox.VLANGroup]{Count: 1, Results: []netbox.VLANGroup{{ID: 3, Name: "MEL-ENT", VIDRanges: [][2]int{{100, 199}}}}})},
		{200, netbox.Body(netbox.Page[netbox.VLAN]{Results: []netbox.VLAN{}})},
		{201, netbox.Body(netbox.VLAN{ID: 17, VID: 101, Name: "ROI-1", Status: netbox.Choice{Value: netbox.Reserved}})},
	}
}

func subnetReserveAnswers() []answer {
	return []answer{
		{200, netbox.Body(netbox.Page[netbox.Prefix]{Count: 1, Results: []netbox.Prefix{{ID: 5, Prefix: "10.20.0.0/24", Description: "SOUTH-ENT"}}})},
		{200, netbox.Body(netbox.Page[netbox.Prefix]{Results: []netbox.Prefix{}})},
		{201, netbox.Body(netbox.Prefix{ID: 23, Prefix: "10.20.0.8/29", Family: netbox.Family{Value: 4, Label: "IPv4"}})},
	}
}

// scripted is an adapter whose NetBox gives answers, in order.
func scripted(t testing.TB, answers []answer) *Adapter {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(token+"\n"), 0o600))
	s := script(answers)
	a, err := New(Config{URL: "http://netbox.invalid", TokenFile: file, VLANGroup: "MEL-ENT", Client: &http.Client{Transport: &s}, Log: quiet})
	require.NoError(t, err)
	return a
}

// A reserve takes from NetBox only what NetBox can have allocated: a VLAN
// id of 802.1Q's (1 to 4094), an IPv4 subnet of the length asked for
// within the pool's prefix. Anything else is an answer garbled or not
// NetBox's, and fails the call as badAnswer instead of reserving a VLAN 0
// or an IPv6 prefix (found by FuzzReserveAnswer).
func TestReserveRefusesWhatNetBoxCannotHaveAllocated(t *testing.T) {
	for _, tc := range []struct {
		name, resourceType string
		step               int
		body, want         string
	}{
		{"a VLAN", "VLAN", 2, `{"id":17,"vid":4094}`, "VLAN 4094"},
		{"a VLAN found again", "VLAN", 1, `{"count":1,"results":[{"id":9,"vid":1}]}`, "VLAN 1"},
		{"a VLAN with no id", "VLAN", 2, `{}`, ""},
		{"VLAN id 4095", "VLAN", 2, `{"vid":4095}`, ""},
		{"a VLAN found again with id 0", "VLAN", 1, `{"count":1,"results":[{"id":9,"vid":0}]}`, ""},
		{"a subnet", "IPv4Subnet", 2, `{"id":23,"prefix":"10.20.0.248/29"}`, "10.20.0.248/29"},
		{"a subnet found again", "IPv4Subnet", 1, `{"count":1,"results":[{"prefix":"10.20.0.16/28"}]}`, "10.20.0.16/28"},
		{"a subnet with none", "IPv4Subnet", 2, `{"id":23}`, ""},
		{"an IPv6 subnet", "IPv4Subnet", 2, `{"prefix":"2001:db8::/29"}`, ""},
		{"a subnet outside the pool", "IPv4Subnet", 2, `{"prefix":"10.21.0.0/29"}`, ""},
		{"a subnet of another length", "IPv4Subnet", 2, `{"prefix":"10.20.0.0/28"}`, ""},
		{"a subnet with host bits", "IPv4Subnet", 2, `{"prefix":"10.20.0.9/29"}`, ""},
		{"a subnet found again wider than the pool", "IPv4Subnet", 1, `{"count":1,"results":[{"prefix":"10.20.0.0/16"}]}`, ""},
		{"the pool found again as the subnet", "IPv4Subnet", 1, `{"count":1,"results":[{"prefix":"10.20.0.0/24"}]}`, ""},
	} {
		answers := vlanReserveAnswers()
		if tc.resourceType == "IPv4Subnet" {
			answers = subnetReserveAnswers()
		}
		answers[tc.step].body = []byte(tc.body)
		res := scripted(t, answers).Do(context.Background(), reserve("ROI-1", tc.resourceType))
		if tc.want == "" {
			require.NotNil(t, res.Err, tc.name)
			assert.Equal(t, "badAnswer", res.Err.Code, tc.name)
			assert.Nil(t, res.Resource, tc.name)
			continue
		}
		require.Nil(t, res.Err, tc.name)
		assert.Equal(t, tc.want, res.Resource.Value, tc.name)
	}
}
