package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/ui"
)

// Where a sharded instance sends a request (docs/api.md, "Several
// instances on one database"): a new order to its customer's shard, an
// entity to the shard its id's number names (an id of no number: from
// shard 0 on), a list of what the shards share out to every shard, a
// catalogue to one, a hub registration to every shard.
func TestShardRoutes(t *testing.T) {
	h := &shardHost{shardServe: shardServe{shards: 4}}
	order := `{"relatedParty":[{"id":"ACME","role":"bill receiver"},{"id":"CUST-ENT-00042","role":"customer"}]}`
	r := httptest.NewRequest("POST", "/tmf-api/productOrderingManagement/v4/productOrder", strings.NewReader(order))
	shard, byID, _ := h.shardOf(r, []byte(order))
	assert.Equal(t, postgres.ShardOf("CUST-ENT-00042", 4), shard, "the customer's shard")
	assert.False(t, byID)

	for path, want := range map[string]int{
		"/tmf-api/productOrderingManagement/v4/productOrder/PO-007":           2, // 7 = 1 + 2 + 4
		"/tmf-api/serviceOrdering/v4/serviceOrder/SO-004":                     3,
		"/tmf-api/resourceInventoryManagement/v4/resource/OLT-1-LC1-P3":       0, // the network names it: shard 0 first
		"/tmf-api/productOrderingManagement/v4/productOrder/ORDER-FROM-A-CPQ": 0, // no number: shard 0 first
	} {
		shard, byID, inBody := h.shardOf(httptest.NewRequest("GET", path, nil), nil)
		assert.Equal(t, want, shard, path)
		assert.True(t, byID, path)
		assert.False(t, inBody, path)
	}
	// A cancellation, or an operator action, to the shard of what it is
	// about.
	for path, body := range map[string]string{
		"/tmf-api/productOrderingManagement/v4/cancelProductOrder":   `{"productOrder":{"id":"PO-007"},"cancellationReason":"moved"}`,
		"/tmf-api/serviceOrdering/v4/cancelServiceOrder":             `{"serviceOrder":{"id":"SO-007"}}`,
		"/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder": `{"resourceOrder":{"id":"RO-007"}}`,
		"/ordertwin/v1/operatorAction":                               `{"action":"confirmCapacity","worklistItem":{"id":"TASK-007"}}`,
	} {
		shard, byID, inBody := h.shardOf(httptest.NewRequest("POST", path, strings.NewReader(body)), []byte(body))
		assert.Equal(t, 2, shard, path)
		assert.True(t, byID, path)
		assert.True(t, inBody, path)
	}
	shard, _, _ = h.shardOf(httptest.NewRequest("GET", "/tmf-api/productOrderingManagement/v4/productOrder?state=completed", nil), nil)
	assert.Equal(t, -1, shard, "a list is no one shard's")

	for path, want := range map[string]bool{
		"/tmf-api/productOrderingManagement/v4/productOrder":       true,
		"/tmf-api/quoteManagement/v4/quote":                        true,
		"/tmf-api/resourceInventoryManagement/v4/resource":         true,
		"/ordertwin/v1/worklist":                                   true,
		"/tmf-api/productCatalogManagement/v4/productOffering":     false, // every shard's alike
		"/tmf-api/productOrderingManagement/v4/hub":                false,
		"/tmf-api/productOrderingManagement/v4/productOrder/PO-01": false,
	} {
		assert.Equal(t, want, mergedList(path), path)
	}
	assert.True(t, hubPath("/tmf-api/productOrderingManagement/v4/hub"))
	assert.True(t, hubPath("/tmf-api/serviceOrdering/v4/hub/HUB-002"))
	assert.False(t, hubPath("/tmf-api/productOrderingManagement/v4/productOrder"))
}

// An instance whose --advertise reaches another instance is refused at
// start; one that does not answer there, or not as an instance, is told.
func TestReachSelf(t *testing.T) {
	first := &shardHost{client: http.DefaultClient, instance: "first"}
	srv := httptest.NewServer(first)
	defer srv.Close()
	first.self = srv.URL
	require.NoError(t, first.reachSelf(t.Context()))

	second := &shardHost{shardServe: shardServe{self: srv.URL}, client: http.DefaultClient, instance: "second"}
	err := second.reachSelf(t.Context())
	require.ErrorIs(t, err, errNotThisInstance)
	assert.Contains(t, err.Error(), srv.URL)

	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	second.self = other.URL
	err = second.reachSelf(t.Context())
	require.Error(t, err)
	assert.NotErrorIs(t, err, errNotThisInstance, "a proxy may answer for it")
	assert.Contains(t, err.Error(), "404")

	other.Close()
	err = second.reachSelf(t.Context())
	require.Error(t, err)
	assert.NotErrorIs(t, err, errNotThisInstance)
	assert.Contains(t, err.Error(), "does not answer here")
}

// A merged list's page is the one a single store would give, however far
// down the list and however unevenly the shards hold it: each shard is
// asked again from where it stopped while the merge needs more, and the
// total is the shards' sum.
func TestMergePageAnyOffset(t *testing.T) {
	sizes := []int{2*tmf630.MaxPage + 500, 10, tmf630.MaxPage + 200}
	held := make([][]string, len(sizes))
	var every []string
	n := 0
	for len(every) < sizes[0]+sizes[1]+sizes[2] {
		n++
		s := n % 7 % len(sizes) // uneven: shard 0 takes most numbers
		if len(held[s]) == sizes[s] {
			s = (s + 1) % len(sizes)
			if len(held[s]) == sizes[s] {
				s = (s + 1) % len(sizes)
			}
		}
		id := fmt.Sprintf("PO-%06d", n)
		held[s] = append(held[s], id)
		every = append(every, id)
	}
	asks := 0
	fetch := func(shard, from, n int) ([]json.RawMessage, int, error) {
		asks++
		require.LessOrEqual(t, n, tmf630.MaxPage)
		var out []json.RawMessage
		for _, id := range held[shard][min(from, len(held[shard])):min(from+n, len(held[shard]))] {
			out = append(out, json.RawMessage(`{"id":"`+id+`"}`))
		}
		return out, len(held[shard]), nil
	}
	for _, c := range [][2]int{{0, 100}, {0, tmf630.MaxPage}, {950, 100}, {tmf630.MaxPage, tmf630.MaxPage}, {2 * tmf630.MaxPage, tmf630.MaxPage},
		{3*tmf630.MaxPage + 600, 100}, {len(every) - 5, 100}, {len(every) + 10, 100}, {1500, 0}} {
		offset, limit := c[0], c[1]
		asks = 0
		page, total, err := mergePage(len(sizes), offset, limit, fetch)
		require.NoError(t, err)
		assert.Equal(t, len(every), total)
		ids := []string{}
		for _, it := range page {
			var v struct{ ID string }
			require.NoError(t, json.Unmarshal(it, &v))
			ids = append(ids, v.ID)
		}
		want := every[min(offset, len(every)):min(offset+limit, len(every))]
		assert.Equal(t, len(want), len(ids), "offset %d limit %d", offset, limit)
		assert.Equal(t, want, ids, "offset %d limit %d", offset, limit)
		assert.LessOrEqual(t, asks, len(sizes)*((offset+limit)/tmf630.MaxPage+2), "offset %d limit %d", offset, limit)
	}
	refused := errors.New("no")
	_, _, err := mergePage(2, 0, 10, func(shard, from, n int) ([]json.RawMessage, int, error) { return nil, 0, refused })
	assert.ErrorIs(t, err, refused)
}

// A twin fault posted to a deployment reaches every shard's twin: 201
// when a shard took it now (the others may have it from the same request
// sent before), 409 only when every shard had it, and a rule a shard
// refuses is the answer; its hits are the shards' sum.
func TestShardFaultsReachEveryShard(t *testing.T) {
	rules := []map[string]int{{}, {}, {}} // by shard: name → hits
	lifted := []map[string]bool{{}, {}, {}}
	refuse := ""
	h := &shardHost{shardServe: shardServe{shards: 3, log: slog.New(slog.DiscardHandler)}, runs: map[int]*shardRun{}}
	for s := range rules {
		h.runs[s] = &shardRun{shard: s, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				name := strings.TrimPrefix(r.URL.Path, ui.FaultPath+"/")
				if _, had := rules[s][name]; !had {
					http.Error(w, `{"code":"404"}`, http.StatusNotFound)
					return
				}
				lifted[s][name] = true
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if r.Method == http.MethodGet {
				var out []map[string]any
				for _, name := range slices.Sorted(maps.Keys(rules[s])) {
					out = append(out, map[string]any{"name": name, "kind": "fail", "hits": rules[s][name] + s, "lifted": lifted[s][name]})
				}
				w.WriteHeader(http.StatusOK)
				_ = json.NewEncoder(w).Encode(out)
				return
			}
			var rule struct{ Name string }
			require.NoError(t, json.NewDecoder(r.Body).Decode(&rule))
			switch _, had := rules[s][rule.Name]; {
			case rule.Name == refuse:
				http.Error(w, `{"code":"400"}`, http.StatusBadRequest)
			case had:
				http.Error(w, `{"code":"409"}`, http.StatusConflict)
			default:
				rules[s][rule.Name] = 1
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"name":"` + rule.Name + `"}`))
			}
		})}
	}
	post := func(name string) int {
		w := httptest.NewRecorder()
		h.fault(w, httptest.NewRequest(http.MethodPost, ui.FaultPath, nil), []byte(`{"name":"`+name+`"}`))
		return w.Code
	}
	assert.Equal(t, http.StatusCreated, post("a"))
	for s := range rules {
		assert.Contains(t, rules[s], "a", "shard %d", s)
	}
	assert.Equal(t, http.StatusConflict, post("a"), "every shard had it")
	rules[0]["b"] = 1 // a request that reached shard 0 only, sent again
	assert.Equal(t, http.StatusCreated, post("b"), "taken now by shards 1 and 2")
	assert.Contains(t, rules[2], "b")
	refuse = "c"
	assert.Equal(t, http.StatusBadRequest, post("c"))

	w := httptest.NewRecorder()
	h.fault(w, httptest.NewRequest(http.MethodGet, ui.FaultPath, nil), nil)
	require.Equal(t, http.StatusOK, w.Code)
	var got []struct {
		Name string
		Hits int
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	assert.Equal(t, []struct {
		Name string
		Hits int
	}{{"a", 1 + 2 + 3}, {"b", 1 + 2 + 3}}, got)

	// A rule lifted is lifted in every shard that has it; a name none has
	// is a 404.
	lift := func(name string) int {
		w := httptest.NewRecorder()
		h.fault(w, httptest.NewRequest(http.MethodDelete, ui.FaultPath+"/"+name, nil), nil)
		return w.Code
	}
	delete(rules[1], "b")
	assert.Equal(t, http.StatusNoContent, lift("b"))
	assert.Equal(t, []map[string]bool{{"b": true}, {}, {"b": true}}, lifted)
	assert.Equal(t, http.StatusNotFound, lift("z"))
	w = httptest.NewRecorder()
	h.fault(w, httptest.NewRequest(http.MethodGet, ui.FaultPath, nil), nil)
	var listed []struct {
		Name   string
		Lifted bool
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &listed))
	assert.Equal(t, []struct {
		Name   string
		Lifted bool
	}{{"a", false}, {"b", true}}, listed)
}

// A request forwarded by an instance carries its signature, with the
// deployment's secret, of what the receiver acts on; a client's header
// (any value: an instance's name) passes for no instance, nor does a
// signed request whose listener or shard was changed.
func TestShardForwardedIsSigned(t *testing.T) {
	h := &shardHost{shardServe: shardServe{self: "http://127.0.0.1:8091"}, secret: []byte("the deployment's")}
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/tmf-api/productOrderingManagement/v4/hub", nil)
		r.Header.Set(shardHeader, "1")
		r.Header.Set(tmf630.ListenerHeader, "HUB-002")
		return r
	}
	r := req()
	h.sign(r)
	assert.True(t, h.forwarded(r))
	assert.True(t, strings.HasPrefix(r.Header.Get(forwardedHeader), "http://127.0.0.1:8091 "))

	for what, edit := range map[string]func(r *http.Request){
		"a client's name":    func(r *http.Request) { r.Header.Set(forwardedHeader, "evil") },
		"an instance's name": func(r *http.Request) { r.Header.Set(forwardedHeader, "http://127.0.0.1:8091") },
		"another listener":   func(r *http.Request) { h.sign(r); r.Header.Set(tmf630.ListenerHeader, "HUB-003") },
		"another shard":      func(r *http.Request) { h.sign(r); r.Header.Set(shardHeader, "0") },
		"another deployment's": func(r *http.Request) {
			(&shardHost{shardServe: shardServe{self: "x"}, secret: []byte("another")}).sign(r)
		},
	} {
		r := req()
		edit(r)
		assert.False(t, h.forwarded(r), what)
	}
}

// An instance's /metrics is every shard it runs, each sample labelled
// with its shard, each family's samples together after its HELP and
// TYPE; the process's own once, unlabelled. It was one shard's, which
// one changing as shards moved, or another instance's memory.
func TestShardMetricsMerged(t *testing.T) {
	shard := func(completed, rss int) string {
		return fmt.Sprintf("# HELP ordertwin_product_orders Product orders by state.\n# TYPE ordertwin_product_orders gauge\n"+
			"ordertwin_product_orders{state=\"completed\"} %d\n"+
			"# HELP ordertwin_engine_inputs_total Inputs.\n# TYPE ordertwin_engine_inputs_total counter\nordertwin_engine_inputs_total 7\n"+
			"# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n", completed, rss)
	}
	got := mergeFamilies([]string{labelShard(shard(66, 100), 0), labelShard(shard(67, 101), 3)})
	assert.Equal(t, "# HELP ordertwin_product_orders Product orders by state.\n# TYPE ordertwin_product_orders gauge\n"+
		"ordertwin_product_orders{shard=\"0\",state=\"completed\"} 66\n"+
		"ordertwin_product_orders{shard=\"3\",state=\"completed\"} 67\n"+
		"# HELP ordertwin_engine_inputs_total Inputs.\n# TYPE ordertwin_engine_inputs_total counter\n"+
		"ordertwin_engine_inputs_total{shard=\"0\"} 7\nordertwin_engine_inputs_total{shard=\"3\"} 7\n"+
		"# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"+
		"process_resident_memory_bytes 100\n", got)
}

// An instance that ends waits for each shard's engine a bounded time: one
// stuck waiting for the database (the ledger asks again until it answers)
// is left behind, and the instance ends. It stayed, its listener closed,
// serving nothing, until the database came back.
func TestShardEndDoesNotWaitForAStuckEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := &shardRun{shard: 1, console: &ui.Console{}, stop: func() {}, done: make(chan error)}
		h := &shardHost{shardServe: shardServe{log: slog.New(slog.DiscardHandler)}, runs: map[int]*shardRun{1: stuck}}
		start := time.Now()
		assert.False(t, h.endWithin(stuck, engineStopWait))
		assert.Equal(t, engineStopWait, time.Since(start))
		assert.Empty(t, h.runs, "no longer run here")
	})
}

// A list of the product catalogue is every shard's, each entry once: the
// catalog file's entries (alike in every shard), then the designs each
// shard took. It was the entering instance's first shard's alone, so a
// design made through another instance was missing from it.
func TestShardCatalogListHasEveryShardsDesigns(t *testing.T) {
	lists := [][]string{{"PO-EFCG-01", "PSD-001"}, {"PO-EFCG-01", "PSD-002", "PSD-004"}}
	h := &shardHost{shardServe: shardServe{shards: 2, log: slog.New(slog.DiscardHandler)}, runs: map[int]*shardRun{}}
	for s, ids := range lists {
		h.runs[s] = &shardRun{shard: s, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			from, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
			var out []map[string]string
			for _, id := range ids[min(from, len(ids)):min(from+n, len(ids))] {
				out = append(out, map[string]string{"id": id})
			}
			w.Header().Set("X-Total-Count", strconv.Itoa(len(ids)))
			_ = json.NewEncoder(w).Encode(out)
		})}
	}
	get := func(query string) ([]string, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tmf630.ProductCatalog+"/productSpecification"+query, nil))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var got []struct{ ID string }
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		return ids, w.Header().Get("X-Total-Count")
	}
	ids, total := get("")
	assert.Equal(t, []string{"PO-EFCG-01", "PSD-001", "PSD-002", "PSD-004"}, ids)
	assert.Equal(t, "4", total)
	ids, _ = get("?offset=2&limit=1")
	assert.Equal(t, []string{"PSD-002"}, ids)
	ids, total = get("?offset=9")
	assert.Empty(t, ids)
	assert.Equal(t, "4", total)
}

// A shard whose instance does not answer is a 503 that says so, naming
// the instance: "moving to another instance" it said, while nothing moved
// (a paused instance keeps its leases).
func TestShardOwnerUnreached(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	h := &shardHost{shardServe: shardServe{shards: 2, self: "http://here", log: slog.New(slog.DiscardHandler)},
		runs: map[int]*shardRun{}, owners: map[int]string{1: gone.URL}, client: &http.Client{Timeout: time.Second}}
	w := httptest.NewRecorder()
	h.from(1, w, httptest.NewRequest(http.MethodGet, "/tmf-api/productOrderingManagement/v4/productOrder/PO-002", nil), nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "shard 1's instance "+gone.URL+" did not answer")
}
