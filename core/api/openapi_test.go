package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/require"
)

// specs are the v4 documents of the APIs served, each at its base path.
var specs = []string{
	"TMF620-ProductCatalog-v4.0.0", "TMF622-ProductOrdering-v4.0.0", "TMF633-ServiceCatalog-v4.0.0",
	"TMF637-ProductInventory-v4.0.0", "TMF638-ServiceInventory-v4.0.0", "TMF639-ResourceInventory-v4.0.0",
	"TMF641-ServiceOrdering-v4.0.0", "TMF648-Quote-v4.0.0", "TMF652-ResourceOrdering-v4.0.0",
	"TMF679-ProductOfferingQualification-v4.0.0",
}

// conformance checks each response a test gets against the v4 document of
// its API.
type conformance struct {
	specs  []*apitest.Spec
	faults []string
	seen   int
}

func newConformance(t *testing.T) *conformance {
	c := &conformance{}
	for _, name := range specs {
		s, err := apitest.LoadSpec(name)
		require.NoError(t, err)
		c.specs = append(c.specs, s)
	}
	return c
}

func (c *conformance) check(t *testing.T, method, path string, w *httptest.ResponseRecorder) {
	t.Helper()
	for _, s := range c.specs {
		if s.Covers(path) {
			c.seen++
			c.faults = append(c.faults, s.Validate(method, path, w.Code, w.Body.Bytes())...)
			return
		}
	}
	t.Fatalf("no v4 document covers %s", path)
}

// Every response of the worked example's APIs — each collection, each
// entity in it, what a POST creates and the error bodies — has the fields
// and types its TMF v4 document gives: a mandatory field missing or a value
// of the wrong type fails here.
func TestResponsesMatchTheirV4Documents(t *testing.T) {
	c := newConformance(t)
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	get := func(path string) *httptest.ResponseRecorder {
		w := l.Do(t, "GET", path, nil, nil)
		c.check(t, "GET", path, w)
		return w
	}
	collections := []string{
		tmf630.QuoteManagement + "/quote", tmf630.ProductOrdering + "/productOrder",
		tmf630.ProductInventory + "/product", tmf630.ServiceInventory + "/service",
		tmf630.ResourceInventory + "/resource", tmf630.ServiceOrdering + "/serviceOrder",
		tmf630.ResourceOrdering + "/resourceOrder", tmf630.ProductCatalog + "/productOffering",
		tmf630.ProductCatalog + "/productSpecification", tmf630.ServiceCatalog + "/serviceSpecification",
	}
	for _, path := range collections {
		w := get(path)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", path, w.Body)
		var items []map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &items), path)
		for _, item := range items {
			href, _ := item["href"].(string)
			require.True(t, strings.HasPrefix(href, path+"/"), "%s: href %q", path, href)
			require.Equal(t, http.StatusOK, get(href).Code, href)
		}
		require.Equal(t, http.StatusNotFound, get(path+"/NO-SUCH-ID").Code, path)
	}

	// The dates v4 has and the worked example knows: the quote's, at T+0,
	// and a port's, allocated before its item completed at T+5h.
	epoch := time.Date(2024, 6, 3, 9, 0, 0, 0, time.FixedZone("AEST", 10*3600))
	q := apitest.GetMap(t, l, tmf630.QuoteManagement+"/quote/QT-001")
	require.Equal(t, epoch.UTC().Format(time.RFC3339), q["quoteDate"])
	port := apitest.GetMap(t, l, tmf630.ResourceInventory+"/resource/OLT-SOUTH-03-LC2-P8")
	started, err := time.Parse(time.RFC3339, port["startOperatingDate"].(string))
	require.NoError(t, err)
	require.True(t, !started.Before(epoch) && started.Before(epoch.Add(5*time.Hour)), "started %s", started)

	fresh := apitest.ServeLive(t, nil)
	defer fresh.Stop()
	post := func(path, body string, want ...int) {
		w := fresh.Do(t, "POST", path, body, nil)
		require.Contains(t, want, w.Code, "%s: %s", path, w.Body)
		c.check(t, "POST", path, w)
	}
	quote, order := apitest.Worked(t)
	post(tmf630.QuoteManagement+"/quote", apitest.MustMarshal(t, quote), http.StatusCreated)
	post(tmf630.ProductOrdering+"/productOrder", apitest.MustMarshal(t, order("QT-001", "PO-2024-01203")), http.StatusCreated)
	post(tmf630.ProductOrdering+"/productOrder", `{"productOrderItem": "one"}`, http.StatusBadRequest)
	post(tmf630.QuoteManagement+"/quote", `{`, http.StatusBadRequest)
	post(tmf630.ProductOrdering+"/cancelProductOrder", `{"productOrder": {"id": "PO-001"}, "cancellationReason": "changed plans"}`,
		http.StatusCreated, http.StatusConflict) // as far as the order got on the virtual clock

	require.Greater(t, c.seen, 40)
	require.Empty(t, c.faults, "responses that break their v4 document:\n%s", strings.Join(c.faults, "\n"))
}
