package tmf630_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var orders = []tmf.ProductOrder{
	{ID: "PO-1", State: "completed", Category: "enterprise", Items: []tmf.ProductOrderItem{{ID: "1", State: "completed"}, {ID: "2", State: "completed"}}},
	{ID: "PO-2", State: "inProgress", Category: "enterprise", Items: []tmf.ProductOrderItem{{ID: "1", State: "held"}, {ID: "2", State: "completed"}}},
	{ID: "PO-3", State: "partial", Category: "modify", Items: []tmf.ProductOrderItem{{ID: "1", State: "failed"}}},
}

var known = []string{"id", "state", "category", "productOrderItem", "productOrderItem.id", "productOrderItem.state"}

func list(t *testing.T, query string) (*httptest.ResponseRecorder, []map[string]any) {
	t.Helper()
	v, err := url.ParseQuery(query)
	require.NoError(t, err)
	q, e := tmf630.ParseQuery(v, known)
	require.Nil(t, e)
	w := httptest.NewRecorder()
	tmf630.List(w, q, orders)
	var out []map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
	return w, out
}

func ids(items []map[string]any) []string {
	var out []string
	for _, m := range items {
		out = append(out, m["id"].(string))
	}
	return out
}

func TestListFilters(t *testing.T) {
	w, got := list(t, "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []string{"PO-1", "PO-2", "PO-3"}, ids(got))
	assert.Equal(t, "3", w.Header().Get("X-Total-Count"))

	_, got = list(t, "state=completed")
	assert.Equal(t, []string{"PO-1"}, ids(got))
	_, got = list(t, "state=completed,partial")
	assert.Equal(t, []string{"PO-1", "PO-3"}, ids(got), "comma: either value")
	_, got = list(t, "category=enterprise&state=inProgress")
	assert.Equal(t, []string{"PO-2"}, ids(got), "every filter must pass")
	_, got = list(t, "productOrderItem.state=held")
	assert.Equal(t, []string{"PO-2"}, ids(got), "a dotted path matches any element of an array")
	_, got = list(t, "state=cancelled")
	assert.Empty(t, got)
	_, got = list(t, "state=completed&state=partial")
	assert.Equal(t, []string{"PO-1", "PO-3"}, ids(got), "the attribute given twice: either value")
	_, got = list(t, "state.eq=partial")
	assert.Equal(t, []string{"PO-3"}, ids(got), ".eq is =")
}

// dated is an entity with a date-time and a number, for comparisons.
type dated struct {
	ID        string  `json:"id"`
	OrderDate string  `json:"orderDate"`
	Total     float64 `json:"total"`
	Items     []struct {
		Due string `json:"due"`
	} `json:"item"`
}

// Comparisons (TMF630 `.gt`, `.gte`, `.lt`, `.lte`): date-times as times
// (whatever their zone), numbers as numbers; a value of another kind, or
// absent, never passes.
func TestListComparisons(t *testing.T) {
	var items []dated
	require.NoError(t, json.Unmarshal([]byte(`[
		{"id":"a","orderDate":"2026-03-01T00:00:00Z","total":9.5,"item":[{"due":"2026-04-01T00:00:00Z"}]},
		{"id":"b","orderDate":"2026-03-02T10:00:00+02:00","total":10,"item":[{"due":"2026-03-10T00:00:00Z"},{"due":"2026-05-01T00:00:00Z"}]},
		{"id":"c","orderDate":"not a date","total":100,"item":[]},
		{"id":"d","total":-1}]`), &items))
	attrs := []string{"id", "orderDate", "total", "item", "item.due"}
	for query, want := range map[string][]string{
		"orderDate.gt=2026-03-01T00:00:00Z":        {"b"},
		"orderDate.gte=2026-03-01T00:00:00Z":       {"a", "b"},
		"orderDate.lt=2026-03-02T08:00:00Z":        {"a"},      // b is 08:00 UTC, not before
		"orderDate.lte=2026-03-02T08:00:00Z":       {"a", "b"}, // b's +02:00 is the same instant
		"total.gt=9.5":                             {"b", "c"},
		"total.lte=10":                             {"a", "b", "d"},
		"total.gte=-1&total.lt=10":                 {"a", "d"},
		"item.due.gt=2026-04-15T00:00:00Z":         {"b"}, // any item
		"orderDate.gt=2026-01-01T00:00:00Z&id=a,c": {"a"},
		"orderDate.gt=5":                           nil, // a date is no number
		"total.gt=2026-01-01T00:00:00Z":            nil, // nor a number a date
	} {
		v, err := url.ParseQuery(query)
		require.NoError(t, err)
		q, e := tmf630.ParseQuery(v, attrs)
		require.Nil(t, e, query)
		w := httptest.NewRecorder()
		tmf630.List(w, q, items)
		var out []map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		assert.Equal(t, want, ids(out), query)
		assert.Equal(t, strconv.Itoa(len(want)), w.Header().Get("X-Total-Count"), query)
	}
}

func TestListPagingAndFields(t *testing.T) {
	w, got := list(t, "offset=1&limit=1")
	assert.Equal(t, []string{"PO-2"}, ids(got))
	assert.Equal(t, "3", w.Header().Get("X-Total-Count"))
	assert.Equal(t, "1", w.Header().Get("X-Result-Count"))
	w, got = list(t, "offset=9")
	assert.Empty(t, got)
	assert.Equal(t, "0", w.Header().Get("X-Result-Count"))
	// An offset past any int is past the list too (it was "not a whole
	// number"), and one near the largest int adds a limit without
	// overflow.
	for _, offset := range []string{"99999999999999999999", "9223372036854775807"} {
		w, got = list(t, "offset="+offset+"&limit=5")
		assert.Equal(t, http.StatusOK, w.Code, offset)
		assert.Empty(t, got, offset)
		assert.Equal(t, "3", w.Header().Get("X-Total-Count"), offset)
	}

	_, got = list(t, "fields=state")
	require.Len(t, got, 3)
	assert.Equal(t, map[string]any{"id": "PO-1", "state": "completed"}, got[0])

	// A dotted field keeps that part of each element of a list.
	_, got = list(t, "fields=productOrderItem.state&offset=1&limit=1")
	require.Len(t, got, 1)
	assert.Equal(t, map[string]any{"id": "PO-2", "productOrderItem": []any{
		map[string]any{"state": "held"}, map[string]any{"state": "completed"}}}, got[0])
	_, got = list(t, "fields=productOrderItem.id,productOrderItem.state&offset=2")
	assert.Equal(t, map[string]any{"id": "PO-3", "productOrderItem": []any{map[string]any{"id": "1", "state": "failed"}}}, got[0])
	_, got = list(t, "fields=productOrderItem,productOrderItem.state&offset=2")
	assert.Len(t, got[0]["productOrderItem"].([]any)[0], len(mapOf(t, orders[2].Items[0])), "the whole item, when named whole too")
}

func mapOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestBadQueries(t *testing.T) {
	for query, msg := range map[string]string{
		"limit=-1":          `query parameter limit: "-1" is not a whole number ≥ 0`,
		"offset=two":        `query parameter offset: "two" is not a whole number ≥ 0`,
		"colour=red":        "query parameter colour: not an attribute of this resource",
		"fields=a&fields=b": "query parameter fields: given 2 times",
		"id.gt=a&id.gt=b":   "query parameter id.gt: given 2 times",
		"id.gt=PO-2":        `query parameter id.gt: "PO-2": compare with a date-time (RFC 3339, such as 2026-03-01T00:00:00Z) or a number`,
		"id.lte=2026-03-01": `query parameter id.lte: "2026-03-01": compare with a date-time (RFC 3339, such as 2026-03-01T00:00:00Z) or a number`,
		"id.gte=NaN":        `query parameter id.gte: "NaN": compare with a date-time (RFC 3339, such as 2026-03-01T00:00:00Z) or a number`,
		"colour.gt=1":       "query parameter colour.gt: not an attribute of this resource",
		"nope.state=failed": "query parameter nope.state: not an attribute of this resource",
		// A misspelt operator, or an attribute beneath that the resource
		// does not have: a filter that could only ever match nothing.
		"state.ge=2026-01-01T00:00:00Z": "query parameter state.ge: state has no attribute ge (a comparison is .gt, .gte, .lt, .lte or .eq)",
		"productOrderItem.foo=1":        "query parameter productOrderItem.foo: productOrderItem has no attribute foo (a comparison is .gt, .gte, .lt, .lte or .eq)",
		"productOrderItem..state=x":     "query parameter productOrderItem..state: productOrderItem. has no attribute state (a comparison is .gt, .gte, .lt, .lte or .eq)",
		// A field the resource does not have (TMF630 attribute selection)
		// would answer empty objects; sort is no parameter of these lists.
		"fields=state,nope":                   `query parameter fields: "nope" is not an attribute of this resource`,
		"fields=productOrderItem.nope":        `query parameter fields: "productOrderItem.nope" is not an attribute of this resource`,
		"sort=id":                             "query parameter sort: lists are not sorted on request: each comes in the order its API's documentation gives",
		"limit=" + strings.Repeat("9x", 5000): `query parameter limit: "` + strings.Repeat("9x", 32) + `"… is not a whole number ≥ 0`,
	} {
		v, err := url.ParseQuery(query)
		require.NoError(t, err)
		_, e := tmf630.ParseQuery(v, known)
		require.NotNil(t, e, query)
		assert.Equal(t, "400", e.Code)
		assert.Equal(t, "Bad Request", e.Reason)
		assert.Equal(t, msg, e.Message)
	}
}

func TestErrorBody(t *testing.T) {
	w := httptest.NewRecorder()
	tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no productOrder PO-9"))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "application/json;charset=utf-8", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"code":"404","reason":"Not Found","message":"no productOrder PO-9","status":"404","@type":"Error"}`, w.Body.String())
}

// An answer says its length, a large one (a list kept in no buffer) and
// one that cannot be encoded (a 500 that says why, not a body cut short)
// too.
func TestAnswerLength(t *testing.T) {
	for _, v := range []any{orders, make([]tmf.ProductOrder, 2000)} {
		w := httptest.NewRecorder()
		tmf630.WriteJSON(w, http.StatusOK, v)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
		assert.True(t, json.Valid(w.Body.Bytes()))
	}
	w := httptest.NewRecorder()
	tmf630.WriteJSON(w, http.StatusOK, map[string]any{"bad": func() {}})
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
	assert.Contains(t, w.Body.String(), "encoding the answer: json: unsupported type: func()")
}

func TestOne(t *testing.T) {
	w := httptest.NewRecorder()
	q, e := tmf630.ParseQuery(url.Values{"fields": {"category"}}, known)
	require.Nil(t, e)
	tmf630.One(w, q, &orders[2])
	assert.JSONEq(t, `{"id":"PO-3","category":"modify"}`, w.Body.String())
}

// FuzzParseQuery: any query string is parsed or refused with a TMF error,
// never a panic, and a parsed one lists without failing.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "state=completed", "fields=id,state&offset=1&limit=2", "productOrderItem.state=held,failed", "limit=-3", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		q, e := tmf630.ParseQuery(v, known)
		if e != nil {
			assert.Equal(t, "400", e.Code)
			assert.NotEmpty(t, e.Message)
			return
		}
		w := httptest.NewRecorder()
		tmf630.List(w, q, orders)
		assert.Equal(t, http.StatusOK, w.Code)
	})
}

// Lists are paged by default (TMF630): DefaultPage entities unless the
// request sets a limit, and never more than MaxPage.
func TestListPageLimits(t *testing.T) {
	many := make([]tmf.ProductOrder, tmf630.MaxPage+200)
	for i := range many {
		many[i] = tmf.ProductOrder{ID: "PO-" + strconv.Itoa(i), State: "completed"}
	}
	for _, c := range []struct {
		query  string
		result int
	}{
		{"", tmf630.DefaultPage},
		{"limit=7&offset=3", 7},
		{"limit=5000", tmf630.MaxPage},
		{"offset=1150", 50},
		{"offset=9223372036854775807&limit=9223372036854775807", 0},
		{"state=completed&limit=5000", tmf630.MaxPage},
	} {
		v, err := url.ParseQuery(c.query)
		require.NoError(t, err)
		q, e := tmf630.ParseQuery(v, known)
		require.Nil(t, e)
		w := httptest.NewRecorder()
		tmf630.List(w, q, many)
		var out []map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), c.query)
		assert.Len(t, out, c.result, c.query)
		assert.Equal(t, strconv.Itoa(len(many)), w.Header().Get("X-Total-Count"), c.query)
		assert.Equal(t, strconv.Itoa(c.result), w.Header().Get("X-Result-Count"), c.query)
	}
}

// Every TMF body matches member names exactly: one in other letter case
// is refused, not taken as the member it resembles; a member the body's
// type does not have is an extension, left out (docs/api.md, "Errors").
func TestDecodeObjectExactNames(t *testing.T) {
	var order struct {
		Category string               `json:"category"`
		Items    []tmf630.OrderItemIn `json:"productOrderItem"`
	}
	assert.Nil(t, tmf630.DecodeObject([]byte(`{"category":"a","evil":1,"productOrderItem":[{"id":"1","x":{}}]}`), &order))
	for body, says := range map[string]string{
		`{"CATEGORY":"a"}`: "CATEGORY: names are case-sensitive: want category",
		`{"productOrderItem":[{"id":"1"},{"Quantity":2}]}`: "productOrderItem[1].Quantity: names are case-sensitive: want productOrderItem[1].quantity",
	} {
		e := tmf630.DecodeObject([]byte(body), &order)
		require.NotNil(t, e, body)
		assert.Equal(t, "400", e.Status, body)
		assert.Equal(t, says, e.Message, body)
		e = tmf630.DecodeStrict([]byte(body), &order)
		require.NotNil(t, e, body)
		assert.Equal(t, says, e.Message, body)
	}
}

// Data after the object is refused whether the body is read loosely or
// strictly, and a body that is not JSON says where; an object followed by
// spaces only is taken.
func TestDecodeObjectEnds(t *testing.T) {
	var v struct {
		Category string `json:"category"`
	}
	for body, says := range map[string]string{
		`{"category":"a"} {}`:      "malformed JSON: data after the object",
		`{"category":"a"}x`:        "malformed JSON: data after the object",
		`{"category":"a"`:          "malformed JSON",
		`{"category":"a"}` + "\n ": "",
		// Once read on forever, looking for where the object ends.
		`{"category":["id":"a"}]}`: "malformed JSON",
		`{"category":[}`:           "malformed JSON",
	} {
		for _, decode := range []func([]byte, any) *tmf630.Error{tmf630.DecodeObject, tmf630.DecodeStrict} {
			e := decode([]byte(body), &v)
			if says == "" {
				assert.Nil(t, e, body)
				assert.Equal(t, "a", v.Category)
				continue
			}
			require.NotNil(t, e, body)
			assert.Contains(t, e.Message, says, body)
		}
	}
}

// A body is read whole whatever length its request says it has (shorter
// or longer than it is), or none (chunked), and one above the limit is
// refused.
func TestReadBodyLengths(t *testing.T) {
	body := `{"category":"` + strings.Repeat("a", 3000) + `"}`
	for _, length := range []int64{-1, 0, 10, int64(len(body)), int64(len(body)) + 5} {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.ContentLength = length
		got, e := tmf630.ReadBody(httptest.NewRecorder(), r)
		require.Nil(t, e, length)
		assert.Equal(t, body, string(got), length)
	}
	big := strings.Repeat(" ", int(tmf630.MaxBody)+1)
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(big))
	r.Header.Set("Content-Type", "application/json")
	_, e := tmf630.ReadBody(httptest.NewRecorder(), r)
	require.NotNil(t, e)
	assert.Equal(t, "413", e.Status)
}
