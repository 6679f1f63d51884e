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
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
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

// The answers of a commit (release: of a release) as NetBox gives them to
// the item reserved by the reserve answers above: for a VLAN the group;
// the look-up of the item's object; the write.
func settleAnswers(subnet, release bool) []answer {
	write := answer{http.StatusNoContent, nil}
	if subnet {
		if !release {
			write = answer{200, netbox.Body(netbox.Prefix{ID: 23, Prefix: "10.20.0.8/29", Status: netbox.Choice{Value: netbox.Active, Label: "Active"}, Description: "ROI-1 ROI-1/reserve/1"})}
		}
		return []answer{
			{200, netbox.Body(netbox.Page[netbox.Prefix]{Count: 1, Results: []netbox.Prefix{{ID: 23, Prefix: "10.20.0.8/29", Family: netbox.Family{Value: 4, Label: "IPv4"},
				Status: netbox.Choice{Value: netbox.Reserved, Label: "Reserved"}, Description: "ROI-1 ROI-1/reserve/1"}}})},
			write,
		}
	}
	group := &netbox.Nested{ID: 3, Name: "MEL-ENT"}
	if !release {
		write = answer{200, netbox.Body(netbox.VLAN{ID: 17, VID: 101, Name: "ROI-1", Group: group, Status: netbox.Choice{Value: netbox.Active, Label: "Active"}, Description: "ROI-1 ROI-1/reserve/1"})}
	}
	return []answer{
		{200, netbox.Body(netbox.Page[netbox.VLANGroup]{Count: 1, Results: []netbox.VLANGroup{{ID: 3, Name: "MEL-ENT", VIDRanges: [][2]int{{100, 199}}}}})},
		{200, netbox.Body(netbox.Page[netbox.VLAN]{Count: 1, Results: []netbox.VLAN{{ID: 17, VID: 101, Name: "ROI-1", Group: group,
			Status: netbox.Choice{Value: netbox.Reserved, Label: "Reserved"}, Description: "ROI-1 ROI-1/reserve/1"}}})},
		write,
	}
}

// settleRequest is ROM's commit (release: release) of what the reserve
// answers above reserved for ROI-1: VLAN 101 of group MEL-ENT, or
// 10.20.0.8/29 of pool SOUTH-ENT.
func settleRequest(subnet, release bool) *port.Request {
	op := port.Commit
	if release {
		op = port.Release
	}
	if subnet {
		return then(reserve("ROI-1", "IPv4Subnet"), op, port.IPAM, &tmf.Resource{ID: "SOUTH-ENT-10.20.0.8/29", ResourceType: "IPv4Subnet",
			Value: "10.20.0.8/29", State: "reserved", Place: pilot, Characteristics: tmf.Characteristics{{Name: CharPool, Value: "SOUTH-ENT"}}})
	}
	return then(reserve("ROI-1", "VLAN"), op, port.VLAN, &tmf.Resource{ID: "MEL-ENT-VLAN-101", ResourceType: "VLAN", Value: "VLAN 101",
		State: "reserved", Place: pilot, Characteristics: tmf.Characteristics{{Name: CharPool, Value: "MEL-ENT"}, {Name: CharVLAN, Value: "101"}}})
}

// sent is one request a scripted NetBox received.
type sent struct{ method, uri, body string }

// listener is a scripted NetBox that keeps what it was sent.
type listener struct {
	script
	sent []sent
}

func (l *listener) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	l.sent = append(l.sent, sent{req.Method, req.URL.RequestURI(), string(body)})
	return l.script.RoundTrip(req)
}

// scripted is an adapter whose NetBox gives answers, in order.
func scripted(t testing.TB, answers []answer) *Adapter {
	a, _ := heard(t, answers)
	return a
}

// heard is scripted, with what its NetBox was sent.
func heard(t testing.TB, answers []answer) (*Adapter, *listener) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(token+"\n"), 0o600))
	l := &listener{script: script(answers)}
	a, err := New(Config{URL: "http://netbox.invalid", TokenFile: file, VLANGroup: "MEL-ENT", Client: &http.Client{Transport: l}, Log: quiet})
	require.NoError(t, err)
	return a, l
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

// A commit or release writes (PATCH, DELETE) only the object NetBox's
// look-up answers as the item's, and a release is done with no write only
// when the look-up is an empty list. An answer that is no list, a list
// with an object the look-up does not select (the item's other VLAN or
// prefix, a VLAN of another group), an id NetBox cannot have given, or a
// list of more than one page fails as badAnswer instead of writing
// another object, /0/, or releasing what is still there (found by
// FuzzCommitReleaseAnswer).
func TestCommitAndReleaseWriteOnlyTheItemsObject(t *testing.T) {
	const item = `"description":"ROI-1 ROI-1/reserve/1"`
	for _, tc := range []struct {
		name            string
		subnet, release bool
		step            int
		body            string
		code, write     string // code "": done, writing write
	}{
		{"a VLAN committed", false, false, 1, `{"count":1,"results":[{"id":17,"vid":101,"group":{"id":3},` + item + `}]}`, "", "PATCH /api/ipam/vlans/17/"},
		{"a VLAN released", false, true, 1, `{"count":1,"results":[{"id":17,"vid":101,"group":{"id":3},` + item + `}]}`, "", "DELETE /api/ipam/vlans/17/"},
		{"a VLAN already gone", false, true, 1, `{"count":0,"next":null,"results":[]}`, "", ""},
		{"another item's VLAN", false, true, 1, `{"count":1,"results":[{"id":9,"vid":101,"group":{"id":3},"description":"ROI-10 ROI-10/reserve/1"}]}`, "inUse", ""},
		{"no list", false, true, 1, `{}`, "badAnswer", ""},
		{"a list of null", false, true, 1, `null`, "badAnswer", ""},
		{"an empty page of three", false, true, 1, `{"count":3,"next":"http://elsewhere.invalid/api/ipam/vlans/?offset=50","results":[]}`, "badAnswer", ""},
		{"the item's other VLAN", false, true, 1, `{"count":1,"results":[{"id":18,"vid":102,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/2"}]}`, "badAnswer", ""},
		{"the item's VLAN of another group", false, false, 1, `{"count":1,"results":[{"id":18,"vid":101,"group":{"id":4},` + item + `}]}`, "badAnswer", ""},
		{"a VLAN of no group", false, false, 1, `{"count":1,"results":[{"id":18,"vid":101,` + item + `}]}`, "badAnswer", ""},
		{"a VLAN with no id", false, true, 1, `{"count":1,"results":[{"vid":101,"group":{"id":3},` + item + `}]}`, "badAnswer", ""},
		{"a VLAN of id -17", false, false, 1, `{"count":1,"results":[{"id":-17,"vid":101,"group":{"id":3},` + item + `}]}`, "badAnswer", ""},
		{"a VLAN of id \"17\"", false, false, 1, `{"count":1,"results":[{"id":"17","vid":101,"group":{"id":3},` + item + `}]}`, "badAnswer", ""},
		{"another group", false, true, 0, `{"count":1,"results":[{"id":4,"name":"SYD-ENT"}]}`, "badAnswer", ""},
		{"a subnet released", true, true, 0, `{"count":1,"results":[{"id":23,"prefix":"10.20.0.8/29",` + item + `}]}`, "", "DELETE /api/ipam/prefixes/23/"},
		{"a subnet already gone", true, true, 0, `{"count":0,"results":[]}`, "", ""},
		{"the item's other subnet", true, true, 0, `{"count":1,"results":[{"id":24,"prefix":"10.20.0.16/29","description":"ROI-1 ROI-1/reserve/2"}]}`, "badAnswer", ""},
		{"a subnet's answer that is no list", true, true, 0, `{"results":null}`, "badAnswer", ""},
	} {
		answers := settleAnswers(tc.subnet, tc.release)
		answers[tc.step].body = []byte(tc.body)
		a, nb := heard(t, answers)
		res := a.Do(context.Background(), settleRequest(tc.subnet, tc.release))
		var writes []string
		for _, s := range nb.sent {
			if s.method != http.MethodGet {
				writes = append(writes, s.method+" "+s.uri)
			}
		}
		if tc.code != "" {
			require.NotNil(t, res.Err, tc.name)
			assert.Equal(t, tc.code, res.Err.Code, tc.name)
			assert.Empty(t, writes, tc.name)
			continue
		}
		require.Nil(t, res.Err, tc.name)
		if tc.write == "" {
			assert.Empty(t, writes, tc.name)
		} else {
			assert.Equal(t, []string{tc.write}, writes, tc.name)
		}
	}
}

// A commit is done when NetBox answers the PATCH with the object active;
// any 2xx was taken, an empty body, a proxy's sign-in page, or the object
// still reserved (found by FuzzCommitReleaseAnswer).
func TestACommitIsDoneWhenNetBoxAnswersTheObjectActive(t *testing.T) {
	for _, tc := range []struct {
		name   string
		subnet bool
		status int
		body   string
		done   bool
	}{
		{"the VLAN active", false, 200, `{"id":17,"vid":101,"status":{"value":"active","label":"Active"}}`, true},
		{"the subnet active", true, 200, `{"id":23,"prefix":"10.20.0.8/29","status":{"value":"active","label":"Active"}}`, true},
		{"no body", true, 204, ``, false},
		{"an empty object", false, 200, `{}`, false},
		{"a sign-in page", true, 200, `<html><body>Sign in</body></html>`, false},
		{"the VLAN still reserved", false, 200, `{"id":17,"status":{"value":"reserved"}}`, false},
		{"another VLAN active", false, 200, `{"id":18,"status":{"value":"active"}}`, false},
	} {
		answers := settleAnswers(tc.subnet, false)
		answers[len(answers)-1] = answer{tc.status, []byte(tc.body)}
		res := scripted(t, answers).Do(context.Background(), settleRequest(tc.subnet, false))
		if tc.done {
			require.Nil(t, res.Err, tc.name)
			assert.Equal(t, "available", res.Resource.State, tc.name)
			continue
		}
		require.NotNil(t, res.Err, tc.name)
		assert.Equal(t, "badAnswer", res.Err.Code, tc.name)
		assert.Nil(t, res.Resource, tc.name)
	}
}

// The pool a reserve allocates from is the one its look-up asked for: a
// VLAN group of another name, a prefix described otherwise, or one with
// no id (a filter NetBox ignored, an answer not NetBox's) fails as
// badAnswer, and nothing is allocated.
func TestReserveAllocatesOnlyFromThePoolAskedFor(t *testing.T) {
	for _, tc := range []struct {
		name, resourceType, body string
	}{
		{"a VLAN group of another name", "VLAN", `{"count":1,"results":[{"id":4,"name":"SYD-ENT"}]}`},
		{"a VLAN group with no id", "VLAN", `{"count":1,"results":[{"name":"MEL-ENT"}]}`},
		{"a prefix described otherwise", "IPv4Subnet", `{"count":1,"results":[{"id":6,"prefix":"10.30.0.0/24","description":"NORTH-ENT"}]}`},
		{"a prefix with no id", "IPv4Subnet", `{"count":1,"results":[{"prefix":"10.20.0.0/24","description":"SOUTH-ENT"}]}`},
	} {
		answers := vlanReserveAnswers()
		if tc.resourceType == "IPv4Subnet" {
			answers = subnetReserveAnswers()
		}
		answers[0].body = []byte(tc.body)
		a, l := heard(t, answers)
		res := a.Do(context.Background(), reserve("ROI-1", tc.resourceType))
		require.NotNil(t, res.Err, tc.name)
		assert.Equal(t, "badAnswer", res.Err.Code, tc.name)
		assert.Len(t, l.sent, 1, "%s: the look-up only", tc.name)
	}
	res := scripted(t, vlanReserveAnswers()).Do(context.Background(), reserve("ROI-1", "VLAN"))
	require.Nil(t, res.Err, "the group asked for")
}
