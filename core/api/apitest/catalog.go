package apitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CatalogServer is the worked example (scenarios/globaltech-5site.yaml)
// served over HTTP on the virtual clock, its rollout run to the end.
type CatalogServer struct {
	URL string
	Sys *scenarios.System
}

// ServeCatalog serves the worked example with opt (StartCatalog).
func ServeCatalog(t *testing.T, opt scenarios.Options) *CatalogServer {
	t.Helper()
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, opt)
	require.NoError(t, err)
	return StartCatalog(t, sys)
}

// StartCatalog serves sys over HTTP and runs it until nothing is left
// to do; both stop when the test ends.
func StartCatalog(t *testing.T, sys *scenarios.System) *CatalogServer {
	t.Helper()
	srv := httptest.NewServer(sys.API().Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}
	return &CatalogServer{URL: srv.URL, Sys: sys}
}

// Now is the engine's present on the wire: when a design changed now was
// last updated.
func (c *CatalogServer) Now(t *testing.T) string {
	t.Helper()
	var at string
	require.NoError(t, c.Sys.Engine.Query(context.Background(), func() { at = c.Sys.API().Node().Date(c.Sys.Engine.Now()) }))
	return at
}

// Do sends a request to the product catalog API (path after its base)
// with the conformance kit's headers, or another Content-Type.
func (c *CatalogServer) Do(t *testing.T, method, path, body string, contentType ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, c.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if len(contentType) > 0 {
		req.Header.Set("Content-Type", contentType[0])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// List GETs a collection and decodes it, with the answer's headers.
func (c *CatalogServer) List(t *testing.T, path string) ([]map[string]any, http.Header) {
	t.Helper()
	res, b := c.Do(t, http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(b, &items), "%s", b)
	return items, res.Header
}

// One sends a request that answers one entity with status, and decodes it.
func (c *CatalogServer) One(t *testing.T, method, path, body string, status int) map[string]any {
	t.Helper()
	res, b := c.Do(t, method, path, body)
	require.Equal(t, status, res.StatusCode, "%s", b)
	var item map[string]any
	require.NoError(t, json.Unmarshal(b, &item), "%s", b)
	return item
}

// Refused checks a TMF Error of status whose message is message.
func Refused(t *testing.T, res *http.Response, body []byte, status int, message string) {
	t.Helper()
	require.Equal(t, status, res.StatusCode, "%s", body)
	var e tmf630.Error
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	assert.Equal(t, message, e.Message)
	assert.Equal(t, "Error", e.Type)
}
