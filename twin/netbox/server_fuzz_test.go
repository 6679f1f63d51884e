package netbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzHandler sends the front-end any method, path, query and body: it
// answers every request with a status and, but for a deletion or a
// redirect to the clean path, a JSON body, and never falls over.
func FuzzHandler(f *testing.F) {
	a := start(f)
	for _, seed := range [][3]string{
		{"GET", "/api/ipam/vlan-groups/?name=ENT-MEL", ""},
		{"POST", "/api/ipam/vlan-groups/1/available-vlans/", `{"name":"ROI-002","status":"reserved"}`},
		{"POST", "/api/ipam/prefixes/1/available-prefixes/", `{"prefix_length":29}`},
		{"GET", "/api/ipam/prefixes/?within=10.88.12.0/22&limit=1&offset=3", ""},
		{"PATCH", "/api/ipam/vlans/1/", `{"status":"active"}`},
		{"DELETE", "/api/ipam/prefixes/5/", ""},
		{"GET", "/api/ipam/vlans/?vid=x&group_id=-1", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	h := a.srv.Handler()
	f.Fuzz(func(t *testing.T, method, uri, body string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil || !validMethod(method) {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "http://netbox.test/", strings.NewReader(body))
		req.Method, req.URL, req.RequestURI = method, u, uri
		req.Header.Set("Authorization", "Token "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusNoContent || rec.Code/100 == 3 {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: %d with a body that is not JSON: %q", method, uri, rec.Code, rec.Body.String())
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
