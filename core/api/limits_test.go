package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quoteWithName is the worked example's quote with its customer's name
// the raw JSON given.
func quoteWithName(t *testing.T, name string) string {
	t.Helper()
	q, _ := apitest.Worked(t)
	q.RelatedParty[0].Name = "NAME"
	b, err := json.Marshal(q)
	require.NoError(t, err)
	return strings.Replace(string(b), `"NAME"`, name, 1)
}

// Every request is held to the limits of docs/api.md ("Limits"): what
// breaks one is refused with a TMF Error naming the field and the limit,
// and nothing is created.
func TestRequestsOverTheLimits(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	quotes := tmf630.QuoteManagement + "/quote"
	deep := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
	many := "[" + strings.Repeat(`{"name":"x","value":"y"},`, 1000) + `{"name":"x","value":"y"}]`
	for _, c := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
		message                  string
	}{
		{"an identifier of 300 bytes", "POST", quotes, quoteWithName(t, strconv.Quote(strings.Repeat("n", 300))), nil,
			400, "relatedParty[0].name: 300 bytes, longer than 256 (an identifier)"},
		{"a NUL in a name", "POST", quotes, quoteWithName(t, `"GlobalTech\u0000"`), nil,
			400, "relatedParty[0].name: control character U+0000 at byte 10"},
		{"a right-to-left override in a name", "POST", quotes, quoteWithName(t, `"Global\u202eTech"`), nil,
			400, "relatedParty[0].name: control character U+202E at byte 6"},
		{"a line feed in a name", "POST", quotes, quoteWithName(t, `"Global\nTech"`), nil,
			400, "relatedParty[0].name: control character U+000A at byte 6"},
		{"nesting 9,000 deep", "POST", quotes, deep, nil,
			400, "nests deeper than 32 levels"},
		{"1,001 characteristics", "POST", quotes, `{"characteristic":` + many + `}`, nil,
			400, "characteristic[1000]: more than 1000 elements"},
		{"text of 9 KB", "POST", quotes, `{"description":"` + strings.Repeat("d", 9<<10) + `"}`, nil,
			400, "description: 9216 bytes, longer than 8192 (text)"},
		{"a body of 2 MB", "POST", quotes, `{"description":"` + strings.Repeat("d", 2<<20) + `"}`, nil,
			413, "the body is larger than 1048576 bytes"},
		{"invalid UTF-8", "POST", quotes, "{\"description\":\"caf\xe9\"}", nil,
			400, "the body is not valid UTF-8 (byte 19)"},
		{"no Content-Type", "POST", quotes, `{}`, []string{"Content-Type", ""},
			415, "Content-Type: missing; want application/json"},
		{"a +json media type", "POST", quotes, `{}`, []string{"Content-Type", "application/evil+json"},
			415, `Content-Type "application/evil+json": want application/json`},
		{"merge-patch on a POST", "POST", quotes, `{}`, []string{"Content-Type", "application/merge-patch+json"},
			415, `want application/json`},
		{"a charset other than UTF-8", "POST", quotes, `{}`, []string{"Content-Type", "application/json; charset=latin1"},
			415, "want charset utf-8"},
		{"an Idempotency-Key of 500 KB", "POST", quotes, `{}`, []string{"Idempotency-Key", strings.Repeat("k", 500<<10)},
			400, "Idempotency-Key: 512000 bytes; want 1 to 256"},
		{"an Idempotency-Key with a space", "POST", quotes, `{}`, []string{"Idempotency-Key", "a b"},
			400, "Idempotency-Key: byte 1 is not a printable ASCII character"},
		{"a semicolon in the query", "GET", quotes + "?state=accepted;", "", nil,
			400, "the query string: invalid semicolon separator in query"},
		{"a malformed escape in the query", "GET", quotes + "?x%zz=1", "", nil,
			400, `the query string: invalid URL escape "%zz"`},
		// What an error echoes of client input is cut to 64 characters.
		{"an id of 10 KB", "GET", quotes + "/" + strings.Repeat("Q", 10<<10), "", nil,
			404, `quote "` + strings.Repeat("Q", 64) + `"…: not found`},
		{"a field of one quote the quote does not have", "GET", quotes + "/Q-1?fields=nope", "", nil,
			400, `query parameter fields: "nope" is not an attribute of this resource`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := l.Do(t, c.method, c.path, c.body, nil, c.header...)
			require.Equal(t, c.status, w.Code, w.Body.String())
			var e tmf630.Error
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
			assert.Equal(t, strconv.Itoa(c.status), e.Code)
			assert.Contains(t, e.Message, c.message)
			assert.Less(t, len(e.Message), 300, "client input is not echoed whole")
		})
	}
	var all []map[string]any
	l.Do(t, "GET", quotes, nil, &all)
	assert.Empty(t, all, "a refused request creates nothing")

	// Within the limits: a name in right-to-left script.
	var made tmf648.Quote
	w := l.Do(t, "POST", quotes, quoteWithName(t, `"\u05de\u05e9\u05e8\u05d3 \u05e8\u05d0\u05e9\u05d9"`), &made)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "\u05de\u05e9\u05e8\u05d3 \u05e8\u05d0\u05e9\u05d9", made.RelatedParty[0].Name)
}

// A method a path does not take is a 405 with the methods it does take in
// Allow (those of routes that only explain a refusal not among them); a
// path of no route is a 404.
func TestMethodNotAllowed(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	orders := tmf630.ProductOrdering + "/productOrder"
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", orders + "/PO-1", 405, "GET, HEAD, PATCH"},
		{"POST", orders + "/PO-1", 405, "GET, HEAD, PATCH"},
		{"DELETE", orders + "/PO-1", 405, "GET, HEAD, PATCH"}, // explained: cancel it instead
		{"PUT", orders, 405, "GET, HEAD, POST"},
		{"DELETE", tmf630.QuoteManagement + "/quote", 405, "GET, HEAD, POST"},
		{"GET", tmf630.ProductOrdering + "/nothing", 404, ""},
	} {
		w := l.Do(t, c.method, c.path, nil, nil)
		require.Equal(t, c.status, w.Code, "%s %s: %s", c.method, c.path, w.Body.String())
		assert.Equal(t, c.allow, w.Header().Get("Allow"), "%s %s", c.method, c.path)
		var e tmf630.Error
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
		assert.Equal(t, strconv.Itoa(c.status), e.Code)
	}
}
