package netbox

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/twin"
)

const token = "0123456789abcdef0123456789abcdef01234567"

type api struct {
	t   testing.TB
	url string
	srv *Server
}

func start(t testing.TB) *api {
	t.Helper()
	data, err := os.ReadFile("../../scenarios/networks/au-east.yaml")
	require.NoError(t, err)
	n, err := twin.ParseNetwork(data)
	require.NoError(t, err)
	tw, err := twin.New(n)
	require.NoError(t, err)
	srv, err := New(tw, token, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &api{t: t, url: hs.URL, srv: srv}
}

// do sends a request with auth as the Authorization header (none if
// empty) and returns the status and the body.
func (a *api) do(method, uri, auth, body string) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+uri, strings.NewReader(body))
	require.NoError(a.t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	return resp.StatusCode, string(data)
}

func (a *api) call(method, uri, body string) (int, string) {
	return a.do(method, uri, "Token "+token, body)
}

func TestTheTokenIsChecked(t *testing.T) {
	a := start(t)
	for _, c := range []struct{ auth, detail string }{
		{"", "Authentication credentials were not provided."},
		{"Bearer " + token, "Authentication credentials were not provided."},
		{"Token nope", "Invalid token"},
	} {
		status, body := a.do("GET", "/api/ipam/vlan-groups/", c.auth, "")
		assert.Equal(t, http.StatusForbidden, status)
		assert.JSONEq(t, `{"detail":"`+c.detail+`"}`, body)
	}
	status, _ := a.call("GET", "/api/ipam/vlan-groups/", "")
	assert.Equal(t, http.StatusOK, status)
}

// A VLAN as NetBox shows it: the twin's pool is its group, the twin's
// allocator picks its id.
func TestAVLANIsAllocatedFromTheTwinsPool(t *testing.T) {
	a := start(t)
	status, body := a.call("GET", "/api/ipam/vlan-groups/?name=ENT-MEL", "")
	require.Equal(t, http.StatusOK, status)
	var groups netbox.Page[netbox.VLANGroup]
	require.NoError(t, json.Unmarshal([]byte(body), &groups))
	require.Len(t, groups.Results, 1)
	g := groups.Results[0]
	assert.Equal(t, netbox.VLANGroup{ID: 1, URL: a.url + "/api/ipam/vlan-groups/1/", Display: "ENT-MEL", Name: "ENT-MEL",
		Slug: "ent-mel", VIDRanges: [][2]int{{2100, 2199}}, Description: "enterprise", Tags: []netbox.Tag{}}, g)

	status, body = a.call("POST", "/api/ipam/vlan-groups/1/available-vlans/", `{"name":"ROI-002","status":"reserved","description":"ROI-002 k"}`)
	require.Equal(t, http.StatusCreated, status, body)
	assert.JSONEq(t, `{"id":1,"url":"`+a.url+`/api/ipam/vlans/1/","display":"ROI-002 (2108)","vid":2108,"name":"ROI-002",
		"group":{"id":1,"url":"`+a.url+`/api/ipam/vlan-groups/1/","display":"ENT-MEL","name":"ENT-MEL","slug":"ent-mel"},
		"status":{"value":"reserved","label":"Reserved"},"description":"ROI-002 k","tags":[]}`, body)

	status, body = a.call("PATCH", "/api/ipam/vlans/1/", `{"status":"active"}`)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"status":{"value":"active","label":"Active"}`)
	status, _ = a.call("DELETE", "/api/ipam/vlans/1/", "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = a.call("DELETE", "/api/ipam/vlans/1/", "")
	assert.Equal(t, http.StatusNotFound, status)
	_, body = a.call("POST", "/api/ipam/vlan-groups/1/available-vlans/", `{"name":"ROI-012"}`)
	assert.Contains(t, body, `"vid":2108`, "given back, it is the first free again")
}

func TestBadRequestsAreRefusedAsNetBoxDoes(t *testing.T) {
	a := start(t)
	for _, c := range []struct {
		method, uri, body string
		status            int
		answer            string
	}{
		{"POST", "/api/ipam/vlan-groups/99/available-vlans/", `{"name":"x"}`, 404, `{"detail":"Not found."}`},
		{"POST", "/api/ipam/vlan-groups/1/available-vlans/", `{}`, 400, `{"name":["This field is required."]}`},
		{"POST", "/api/ipam/vlan-groups/1/available-vlans/", `{"name":"x","status":"lost"}`, 400, `{"status":["\"lost\" is not a valid choice."]}`},
		{"POST", "/api/ipam/prefixes/1/available-prefixes/", `{"prefix_length":24}`, 400, `{"prefix_length":["Prefix 10.88.12.0/22 is cut into /29 subnets only."]}`},
		{"GET", "/api/ipam/vlans/?group_id=one", "", 400, `{"group_id":["Enter a whole number."]}`},
		{"GET", "/api/dcim/devices/", "", 404, `{"detail":"Not found."}`},
	} {
		status, body := a.call(c.method, c.uri, c.body)
		assert.Equal(t, c.status, status, "%s %s", c.method, c.uri)
		assert.JSONEq(t, c.answer, body, "%s %s", c.method, c.uri)
	}
}

func TestListsArePaged(t *testing.T) {
	a := start(t)
	for range 5 {
		status, _ := a.call("POST", "/api/ipam/prefixes/1/available-prefixes/", `{"prefix_length":29,"description":"x"}`)
		require.Equal(t, http.StatusCreated, status)
	}
	_, body := a.call("GET", "/api/ipam/prefixes/?within=10.88.12.0/22&limit=2&offset=2", "")
	var p netbox.Page[netbox.Prefix]
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	assert.Equal(t, 5, p.Count)
	require.Len(t, p.Results, 2)
	assert.Equal(t, "10.88.12.16/29", p.Results[0].Prefix)
	assert.Equal(t, netbox.Family{Value: 4, Label: "IPv4"}, p.Results[0].Family)
	require.NotNil(t, p.Next)
	require.NotNil(t, p.Previous)
	assert.Equal(t, a.url+"/api/ipam/prefixes/?limit=2&offset=4&within=10.88.12.0%2F22", *p.Next)
	assert.Equal(t, a.url+"/api/ipam/prefixes/?limit=2&offset=0&within=10.88.12.0%2F22", *p.Previous)

	_, body = a.call("GET", "/api/ipam/prefixes/?description=SOUTH-ENT", "")
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.Len(t, p.Results, 1, "the pool is the prefix described by its name")
	assert.Equal(t, "10.88.12.0/22", p.Results[0].Prefix)
	assert.Nil(t, p.Next)
	assert.Nil(t, p.Previous)
}

func TestFaultsFireAsInjected(t *testing.T) {
	a := start(t)
	f := &Fault{Op: "GET /api/ipam/vlans/", Status: http.StatusServiceUnavailable, Detail: "maintenance", Times: 2}
	a.srv.Inject(f)
	status, _ := a.do("GET", "/api/ipam/vlans/", "Token nope", "")
	assert.Equal(t, http.StatusForbidden, status, "refused before any fault")
	for range 2 {
		status, body := a.call("GET", "/api/ipam/vlans/", "")
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.JSONEq(t, `{"detail":"maintenance"}`, body)
	}
	status, _ = a.call("GET", "/api/ipam/vlans/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2, a.srv.Hits(f))
}

func TestVLANGroupsFollowTheServingAreas(t *testing.T) {
	data, err := os.ReadFile("../../scenarios/networks/au-east.yaml")
	require.NoError(t, err)
	n, err := twin.ParseNetwork(data)
	require.NoError(t, err)
	g := VLANGroups(n)
	assert.Equal(t, "ENT-MEL", g["Level 12, 120 Collins Street, Melbourne VIC 3000"])
	assert.Equal(t, "ENT-SYD", g["Level 20, 1 Martin Place, Sydney NSW 2000"])
	assert.Len(t, g, len(n.Addresses))
}
