package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
)

// The page's own logic in a browser, against a stand-in of the server: the
// page and its files as serve serves them, every route of auth.Table
// answered from the test's fixtures after the policy's check (a token is
// a role's name), and a stream whose messages the test sends. What the
// page does with a whole server is cmd/ordertwin's browser tests'.

// worklistPath is the worklist's route (core/api/worklist).
const worklistPath = "/ordertwin/v1/worklist"

// stub is the stand-in server.
type stub struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	refused  []string          // calls the policy refused: "ROLE METHOD PATH"
	calls    map[string]int    // calls answered, by route
	worklist []map[string]any  // what GET worklist answers
	orders   []map[string]any  // what GET productOrder answers
	ordersAt chan struct{}     // closed when GET productOrder may answer
	records  chan Message      // messages the stream sends after its first
	answers  map[string]string // a route's answer other than [] or {}
}

func newStub(t *testing.T) *stub {
	s := &stub{t: t, calls: map[string]int{}, worklist: []map[string]any{}, ordersAt: make(chan struct{}), records: make(chan Message, 16), answers: map[string]string{
		"GET " + ClockPath:       `{"state": "running", "scale": 1, "virtualTime": "PT1H9M14.9234652S", "engineTime": "PT1H", "nextDue": "PT2H"}`,
		"GET " + ResourceUsePath: `{"olt": [], "exchange": [], "vlanPool": [], "ipPool": [], "cpe": []}`,
		"GET /tmf-api/productOrderingManagement/v4/productOrder/{id}": `{"id": "PO-1", "productOrderItem": [{"id": "POI-1",
			"product": {"place": [{"id": "SYD1"}]}, "quoteItem": {"id": "SYD1", "quoteId": "Q-1"}}]}`,
	}}
	close(s.ordersAt)
	s.orders = []map[string]any{{"id": "PO-1", "state": "inProgress", "description": "a rollout",
		"productOrderItem": []map[string]any{{"id": "POI-1", "state": "inProgress", "product": map[string]any{"place": []map[string]any{{"id": "SYD1"}}}}}}}
	policy := auth.NewPolicy(false)
	mux := http.NewServeMux()
	static, err := fs.Sub(files, "page")
	require.NoError(t, err)
	mux.Handle("GET /console/{file}", http.StripPrefix("/console/", http.FileServerFS(static)))
	c := &Console{Name: "stub", Epoch: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)}
	mux.HandleFunc("GET /{$}", c.page)
	mux.HandleFunc("GET "+StreamPath, s.stream)
	for _, rule := range auth.Table {
		if rule.Route == "GET "+StreamPath {
			continue
		}
		mux.HandleFunc(rule.Route, func(w http.ResponseWriter, r *http.Request) {
			role := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if _, err := auth.ParseRole(role); err != nil {
				http.Error(w, `{"code": "401", "message": "not a token"}`, http.StatusUnauthorized)
				return
			}
			if !policy.Allows(auth.Identity{Subject: "someone", Roles: []auth.Role{auth.Role(role)}}, rule.Route) {
				s.mu.Lock()
				s.refused = append(s.refused, role+" "+r.Method+" "+r.URL.Path)
				s.mu.Unlock()
				http.Error(w, `{"code": "403", "message": "roles `+role+` may not"}`, http.StatusForbidden)
				return
			}
			s.answer(w, rule.Route)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.addr = strings.TrimPrefix(srv.URL, "http://")
	return s
}

func (s *stub) answer(w http.ResponseWriter, route string) {
	s.mu.Lock()
	s.calls[route]++
	body, ok := s.answers[route]
	var v any
	switch route {
	case "GET " + worklistPath:
		v = s.worklist
	case "GET /tmf-api/productOrderingManagement/v4/productOrder":
		v = s.orders
	}
	wait := s.ordersAt
	s.mu.Unlock()
	if route == "GET /tmf-api/productOrderingManagement/v4/productOrder" {
		<-wait
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case v != nil:
		_ = json.NewEncoder(w).Encode(v)
	case ok:
		fmt.Fprint(w, body)
	case strings.HasPrefix(route, "GET ") && !strings.HasSuffix(route, "}"):
		fmt.Fprint(w, "[]")
	default:
		fmt.Fprint(w, "{}")
	}
}

// stream sends the first message with the caller's role, then what the
// test sends, until the page goes.
func (s *stub) stream(w http.ResponseWriter, r *http.Request) {
	role := ""
	for _, p := range websocket.Subprotocols(r) {
		if t, ok := strings.CutPrefix(p, auth.BearerProtocolPrefix); ok {
			role = t
		}
	}
	if role == "" {
		role = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if _, err := auth.ParseRole(role); err != nil {
		http.Error(w, `{"code": "401", "message": "not a token"}`, http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{Subprotocols: []string{Subprotocol}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	// A hijacked request's context does not end with its connection:
	// reading tells when the page goes.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	if err := conn.WriteJSON(Message{Records: []Record{}, Epoch: "2025-03-03T00:00:00Z", Roles: []auth.Role{auth.Role(role)}}); err != nil {
		return
	}
	for {
		select {
		case <-gone:
			return
		case m := <-s.records:
			if err := conn.WriteJSON(m); err != nil {
				return
			}
		}
	}
}

func (s *stub) refusals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *stub) called(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// browser starts a headless Chromium for the test, or skips the test when
// there is none and ORDERTWIN_BROWSER_TESTS is not set (as
// cmd/ordertwin's browser tests do).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ORDERTWIN_BROWSER_TESTS") != "" {
			t.Fatalf("ORDERTWIN_BROWSER_TESTS is set and there is no chromium on PATH: install Debian's chromium (apt-get install chromium)")
		}
		t.Skip("no chromium on PATH (set ORDERTWIN_BROWSER_TESTS=1 to make this a failure)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000))
	ctx, stopAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(stopAlloc)
	ctx, stopBrowser := chromedp.NewContext(ctx)
	t.Cleanup(stopBrowser)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

func poll(t *testing.T, ctx context.Context, what, expression string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "waiting for %s (%s)", what, expression)
}

func eval[T any](t *testing.T, ctx context.Context, expression string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	require.NoError(t, err, expression)
	return v
}

func signIn(t *testing.T, ctx context.Context, s *stub, token string) {
	t.Helper()
	openAndSignIn(t, ctx, s, token)
	poll(t, ctx, "the stream", `document.querySelector("#status").dataset.state === "live"`)
}

// openAndSignIn opens the page and signs in with token.
func openAndSignIn(t *testing.T, ctx context.Context, s *stub, token string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate("http://"+s.addr+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS("#signin button")),
	))
}

// Each role is offered the controls the server lets it use, and no other;
// signed in, the page makes no call the server refuses, and its banner
// stays hidden (core/auth/policy.go, Table).
func TestConsoleOffersWhatRolesMayUseInBrowser(t *testing.T) {
	ctx := browser(t)
	s := newStub(t)
	shown := func(sel string) string { return `!document.querySelector("` + sel + `").closest("[hidden]")` }
	for _, tc := range []struct {
		role    auth.Role
		visible []string
		hidden  []string
		changes string // the changes to an order offered
	}{
		{auth.Operations, []string{"#clock-controls", "#fault-form", "#change-form", "#whatif-view", "#worklist-view", "#resources-view", "#plan-view"},
			[]string{"#run-form", "#place"}, "cancel"},
		{auth.Sales, []string{"#run-form", "#change-form", "#place", "#whatif-view"},
			[]string{"#clock-controls", "#fault-form", "#run-faults-label", "#worklist-view", "#resources-view", "#plan-view"}, "speed remove add"},
		{auth.Partner, []string{"#orders-view", "#gantt-view"}, []string{"#controls-view", "#whatif-view", "#worklist-view", "#resources-view", "#plan-view"}, ""},
		{auth.ApproverTechnical, []string{"#timeline-view", "#log-view"}, []string{"#controls-view", "#whatif-view", "#worklist-view", "#resources-view",
			"#orders-view", "#order-view", "#gantt-view", "#plan-view"}, ""},
		{auth.Admin, []string{"#clock-controls", "#run-form", "#run-faults-label", "#fault-form", "#change-form", "#place", "#whatif-view", "#worklist-view", "#resources-view"},
			nil, "speed remove add cancel"},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			signIn(t, ctx, s, string(tc.role))
			if tc.role != auth.ApproverTechnical {
				// The order read, selected, its tree and rollout read.
				poll(t, ctx, "the order", `document.querySelector('#tree details[data-entity="POI-1"]') !== null`)
			}
			if len(tc.visible) > 0 {
				poll(t, ctx, "the controls shown", shown(tc.visible[0]))
			}
			// What the page reads at sign-in has been asked for by now:
			// a refused read would be on the banner.
			time.Sleep(time.Second)
			for _, sel := range tc.visible {
				assert.True(t, eval[bool](t, ctx, shown(sel)), "%s: %s shown", tc.role, sel)
			}
			for _, sel := range tc.hidden {
				assert.False(t, eval[bool](t, ctx, shown(sel)), "%s: %s hidden", tc.role, sel)
			}
			assert.Equal(t, tc.changes, eval[string](t, ctx, `[...document.querySelectorAll("#change-action option")].map(o => o.value).join(" ")`))
			if tc.role != auth.ApproverTechnical {
				// The jeopardies' column, for those the stream sends them to.
				jeop := `getComputedStyle(document.querySelector("#orders th:nth-child(7)")).display !== "none"`
				assert.Equal(t, tc.role == auth.Operations || tc.role == auth.Admin, eval[bool](t, ctx, jeop), "%s: jeop. column", tc.role)
			}
			assert.Empty(t, s.refusals(), "%s: calls the server refuses", tc.role)
			assert.True(t, eval[bool](t, ctx, `document.querySelector("#error").hidden`), "%s: %s", tc.role, eval[string](t, ctx, `document.querySelector("#error").textContent`))
			eval[any](t, ctx, `sessionStorage.clear()`) // the next role signs in afresh
		})
	}

	// A token the server refuses (the stream's handshake, which the page
	// cannot read, then a plain GET of its route: 401) signs the page out.
	openAndSignIn(t, ctx, s, "nonsense")
	poll(t, ctx, "signed out", `!document.querySelector("#signin").hidden && document.querySelector("#error").textContent.includes("the token was refused")`)
	assert.False(t, eval[bool](t, ctx, shown("#controls-view")))
}

// An order is selected from the keyboard (Tab to its row, Enter), and on
// a phone's width the page is one column, never wider than the screen.
func TestConsoleKeyboardAndNarrowScreenInBrowser(t *testing.T) {
	ctx := browser(t)
	s := newStub(t)
	s.orders = append(s.orders, map[string]any{"id": "PO-2", "state": "rejected", "description": "another",
		"productOrderItem": []map[string]any{{"id": "POI-2", "state": "rejected"}}})
	signIn(t, ctx, s, string(auth.Operations))
	row := `document.querySelector('#orders tr[data-id="PO-2"]')`
	poll(t, ctx, "the second order", row+` !== null`)
	assert.Equal(t, "0", eval[string](t, ctx, row+`.getAttribute("tabindex")`), "a row takes the focus")
	eval[bool](t, ctx, row+`.focus(), `+row+`.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}))`)
	poll(t, ctx, "PO-2 selected", row+`.getAttribute("aria-selected") === "true"`)

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)))
	poll(t, ctx, "one column", `getComputedStyle(document.querySelector("main")).gridTemplateColumns.split(" ").length === 1`)
	assert.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no sideways scroll")
	assert.GreaterOrEqual(t, eval[int](t, ctx, `document.querySelector("#order-view").getBoundingClientRect().width`), 300, "the order's view as wide as the screen")
}

// The worklist is read again when a wave is created (a wave a person
// releases waits on the list from then); jeopardies that come before the
// orders are read are counted all the same; virtual time is shown as
// days, hours and minutes, everywhere alike.
func TestConsoleWorklistJeopardiesAndTimeInBrowser(t *testing.T) {
	ctx := browser(t)
	s := newStub(t)
	s.ordersAt = make(chan struct{}) // the orders' read waits for the jeopardies
	signIn(t, ctx, s, string(auth.Operations))
	poll(t, ctx, "the empty worklist", `document.querySelector("#worklist-count").textContent === "0" && !document.querySelector("#worklist-view").hidden`)

	reads := s.called("GET " + worklistPath)
	s.mu.Lock()
	s.worklist = []map[string]any{{"id": "PO-1/Regional", "kind": "releaseAwaited", "entity": map[string]any{"id": "PO-1/Regional"},
		"order": map[string]any{"id": "PO-1"}, "wave": "Regional", "state": "scheduled", "reason": "waits for a person's release",
		"sinceOffset": "PT3H", "deadlineOffset": "P35D", "allowedAction": []string{"release", "assign", "note"}}}
	s.mu.Unlock()
	s.records <- Message{Records: []Record{
		{Seq: 1, At: "PT1H9M14.9234652S", Kind: "wave", Entity: "PO-1/Regional", State: "scheduled", Event: "create"},
	}, Last: 1, Head: 1}
	poll(t, ctx, "the release awaited listed", `document.querySelector('#worklist tr[data-id="PO-1/Regional"]') !== null`)
	assert.Greater(t, s.called("GET "+worklistPath), reads, "the worklist read again")
	since := `document.querySelector('#worklist tr[data-id="PO-1/Regional"]').children[3]`
	assert.Equal(t, "T+3h", eval[string](t, ctx, since+`.firstChild.textContent`))
	assert.Equal(t, "due T+35d", eval[string](t, ctx, since+`.querySelector("span").textContent`))
	assert.Equal(t, "T+1h 9m", eval[string](t, ctx, `document.querySelector("#clock").textContent`))
	assert.Contains(t, eval[string](t, ctx, `document.querySelector("#timeline").textContent`), "T+1h 9m  wave PO-1/Regional")
	assert.True(t, strings.HasPrefix(eval[string](t, ctx, `document.querySelector("#clock-time").textContent`), "T+1h 9m (engine T+1h) at 1×"))

	// The orders' read still waits: the jeopardies come first.
	s.records <- Message{Records: []Record{
		{Seq: 2, At: "P1DT2H", Kind: "jeopardy", Entity: "POI-1", State: "deadline", Event: "jeopardyAlert"},
		{Seq: 3, At: "P1DT2H", Kind: "jeopardy", Entity: "PO-1", State: "deadline", Event: "jeopardyAlert"},
	}, Last: 3, Head: 3}
	poll(t, ctx, "the jeopardies taken in", `document.querySelector("#log-count").textContent === "3"`)
	assert.Equal(t, "T+1d 2h", eval[string](t, ctx, `document.querySelector("#clock").textContent`))
	s.mu.Lock()
	close(s.ordersAt)
	s.mu.Unlock()
	poll(t, ctx, "the order", `document.querySelector('#orders tr[data-id="PO-1"]') !== null`)
	poll(t, ctx, "its two jeopardies", `document.querySelector('#orders tr[data-id="PO-1"]').lastElementChild.textContent === "2"`)
	assert.Empty(t, s.refusals())
}
