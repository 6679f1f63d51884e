package tmf679_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf679"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const qualificationsPath = tmf630.OfferingQualification + "/productOfferingQualification"

// qualificationBody asks whether q's offering can be delivered at each of
// q's sites, one item per site.
type qualificationBody struct {
	Description  string              `json:"description,omitempty"`
	RelatedParty []tmf630.Ref        `json:"relatedParty"`
	Items        []qualificationItem `json:"productOfferingQualificationItem"`
}

type qualificationItem struct {
	ID              string              `json:"id"`
	Action          string              `json:"action,omitempty"`
	ProductOffering tmf630.Ref          `json:"productOffering"`
	Product         *tmf630.ItemProduct `json:"product,omitempty"`
}

func newQualificationBody(q com.QuoteRequest) qualificationBody {
	b := qualificationBody{Description: "GlobalTech: feasibility of 5 sites",
		RelatedParty: []tmf630.Ref{{ID: q.Customer.ID, Name: q.Customer.Name, Role: "customer", ReferredType: "Organization"}}}
	for _, s := range q.Sites {
		b.Items = append(b.Items, qualificationItem{ID: s.Code, Action: "add", ProductOffering: tmf630.Ref{ID: q.Offering},
			Product: &tmf630.ItemProduct{Place: []tmf630.Place{{ID: s.Code, Name: s.Name, Role: "installationAddress", Address: s.Address}}}})
	}
	return b
}

// Seed, Step 1 "Per-Site Feasibility Check": Melbourne HQ GPON
// (OLT-SOUTH-03 serving area), both Sydney offices P2P Ethernet, both
// Brisbane offices GPON; all 5 sites pass with confirmed access technology
// and port capacity. Each answer carries its feasibility token, which
// expires 30 days after (the twin's token lifetime), and the SLA tiers the
// offering has.
func TestQualificationOfTheWorkedExample(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	var poq tmf679.ProductOfferingQualification
	w := l.Do(t, "POST", qualificationsPath, newQualificationBody(apitest.WorkedQuote(t)), &poq)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "POQ-001", poq.ID)
	assert.Equal(t, qualificationsPath+"/POQ-001", w.Header().Get("Location"))
	assert.Equal(t, w.Header().Get("Location"), poq.Href)
	assert.Contains(t, []string{"inProgress", "done"}, poq.State, "on the virtual clock the answers may be in already")
	l.Idle(t)

	l.Do(t, "GET", qualificationsPath+"/"+poq.ID, nil, &poq)
	assert.Equal(t, "done", poq.State)
	assert.Equal(t, "green", poq.QualificationResult, "all 5 sites pass feasibility")
	assert.Equal(t, "GlobalTech: feasibility of 5 sites", poq.Description)
	assert.Equal(t, "2024-06-02T23:00:00Z", poq.ProductOfferingQualificationDate, "T+0, 2024-06-03 09:00 +10:00, in UTC")
	assert.Equal(t, "2024-06-02T23:00:00Z", poq.EffectiveQualificationDate, "address qualification answers at once")
	assert.Equal(t, "2024-07-02T23:00:00Z", poq.ExpirationDate, "the tokens last 30 days")
	assert.Equal(t, []tmf630.Ref{{ID: "CUST-ENT-1102", Name: "GlobalTech Solutions Pty Ltd", Role: "customer", ReferredType: "Organization"}}, poq.RelatedParty)
	require.Len(t, poq.ProductOfferingQualificationItem, 5)
	for i, want := range []struct{ site, technology, exchange string }{
		{"MELB", "GPON", "MEL-SOUTH"}, {"SYD1", "P2P-Ethernet", "SYD-EX-01"}, {"SYD2", "P2P-Ethernet", "SYD-EX-01"},
		{"BNE1", "GPON", "BNE-EX-01"}, {"BNE2", "GPON", "BNE-EX-01"},
	} {
		it := poq.ProductOfferingQualificationItem[i]
		assert.Equal(t, want.site, it.ID)
		assert.Equal(t, "done", it.State, it.ID)
		assert.Equal(t, "qualified", it.QualificationItemResult, it.ID)
		assert.Empty(t, it.EligibilityUnavailabilityReason, it.ID)
		assert.Equal(t, want.technology, it.Technology, it.ID)
		assert.Equal(t, want.exchange, it.Exchange, it.ID)
		assert.True(t, strings.HasPrefix(it.FeasibilityToken, "FQ-"), it.FeasibilityToken)
		assert.Equal(t, "2024-07-02T23:00:00Z", it.ExpirationDate, it.ID)
		assert.Equal(t, []string{"Silver", "Gold", "Platinum"}, it.SLATier, "%s: the tiers of PO-EFCG-01", it.ID)
		assert.Equal(t, "PO-EFCG-01", it.ProductOffering.ID)
		assert.Equal(t, "Enterprise Fibre Connect Gold", it.ProductOffering.Name)
		require.Len(t, it.Product.Place, 1)
		assert.Equal(t, want.site, it.Product.Place[0].ID)
	}
	assert.True(t, strings.HasPrefix(poq.ProductOfferingQualificationItem[0].FeasibilityToken, "FQ-SOUTH-03-"),
		"Melbourne HQ: OLT-SOUTH-03 serving area")

	var list []tmf679.ProductOfferingQualification
	w = l.Do(t, "GET", qualificationsPath+"?qualificationResult=green&fields=state", nil, &list)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "1", w.Header().Get("X-Total-Count"))
	require.Len(t, list, 1)
	assert.Equal(t, "done", list[0].State)
	assert.Empty(t, list[0].ProductOfferingQualificationItem, "fields keeps the state")
}

// Not every site qualifies: with the Brisbane OLT full the Brisbane sites
// are unqualified, saying why (the worked example's what-if, asked before
// the quote), and a site whose qualification call fails is terminated with
// the error; the qualification is done, and yellow.
func TestQualificationPartlyQualified(t *testing.T) {
	sc, err := scenarios.LoadLibrary("live/default.yaml")
	require.NoError(t, err)
	for i := range sc.Spec.Network.OLTs {
		if sc.Spec.Network.OLTs[i].ID == "OLT-BNE-07" {
			sc.Spec.Network.OLTs[i].LineCards[0].Occupied = "1-16"
		}
	}
	sc.Spec.Faults = []twin.FaultRule{{Name: "aq-timeout", Kind: twin.Transient, Target: twin.FaultTarget{System: "qualification"}, First: 1}}
	sys, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	defer func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}()
	l := &apitest.Live{Sys: sys, H: sys.API().Handler()}

	var poq tmf679.ProductOfferingQualification
	w := l.Do(t, "POST", qualificationsPath, newQualificationBody(apitest.WorkedQuote(t)), &poq)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	l.Idle(t)
	l.Do(t, "GET", qualificationsPath+"/"+poq.ID, nil, &poq)
	assert.Equal(t, "done", poq.State)
	assert.Equal(t, "yellow", poq.QualificationResult)
	items := poq.ProductOfferingQualificationItem
	require.Len(t, items, 5)

	assert.Equal(t, "terminatedWithError", items[0].State, "the first call timed out")
	assert.Empty(t, items[0].QualificationItemResult)
	require.Len(t, items[0].TerminationError, 1)
	assert.Contains(t, items[0].TerminationError[0].Value, "aq-timeout")
	assert.Empty(t, items[0].FeasibilityToken)

	for _, it := range items[1:3] {
		assert.Equal(t, "qualified", it.QualificationItemResult, it.ID)
	}
	for _, it := range items[3:] {
		assert.Equal(t, "done", it.State, it.ID)
		assert.Equal(t, "unqualified", it.QualificationItemResult, it.ID)
		assert.Equal(t, []tmf679.EligibilityUnavailabilityReason{{Code: "capacityExhausted", Label: "no GPON capacity at BNE-CBD"}},
			it.EligibilityUnavailabilityReason, it.ID)
		assert.Equal(t, "GPON", it.Technology, "the access there, had it capacity")
	}
}

// An Idempotency-Key makes a repeated qualification the same one.
func TestQualificationIdempotencyKey(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	body := newQualificationBody(apitest.WorkedQuote(t))
	var a, b tmf679.ProductOfferingQualification
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", qualificationsPath, body, &a, "Idempotency-Key", "k1").Code)
	w := l.Do(t, "POST", qualificationsPath, body, &b, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, a.ID, b.ID)
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", qualificationsPath, body, &b, "Idempotency-Key", "k2").Code)
	assert.Equal(t, "POQ-002", b.ID)
}

// Bad input gets a 4xx and a TMF Error that names what is wrong, and
// asks nothing of the network (docs/architecture.md §8).
func TestQualificationBadInput(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	good := apitest.MustMarshal(t, newQualificationBody(apitest.WorkedQuote(t)))
	with := func(from, to string) string {
		require.Contains(t, good, from)
		return strings.Replace(good, from, to, 1)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"unknown address", "POST", qualificationsPath, with("Level 12, 120 Collins Street", "1 Nowhere Lane"), 400,
			`productOfferingQualificationItem[0].product.place[0].address: "1 Nowhere Lane, Melbourne VIC 3000" is not an address the network knows`},
		{"unknown offering", "POST", qualificationsPath, with(`"PO-EFCG-01"`, `"PO-NOPE"`), 400,
			`productOfferingQualificationItem[0].productOffering.id: unknown product offering "PO-NOPE"`},
		{"no address", "POST", qualificationsPath, with(`,"address":"Level 12, 120 Collins Street, Melbourne VIC 3000"`, ``), 400,
			"productOfferingQualificationItem[0].product.place[0].address: required"},
		{"no place", "POST", qualificationsPath, `{"relatedParty":[{"id":"C1","role":"customer"}],"productOfferingQualificationItem":[{"id":"1","productOffering":{"id":"PO-EFCG-01"}}]}`, 400,
			"productOfferingQualificationItem[0].product.place: required"},
		{"no customer", "POST", qualificationsPath, with(`"role":"customer"`, `"role":"requester"`), 400, "relatedParty: want the customer"},
		{"no items", "POST", qualificationsPath, `{"relatedParty":[{"id":"C1","role":"customer"}],"productOfferingQualificationItem":[]}`, 400,
			"productOfferingQualificationItem: required"},
		{"item twice", "POST", qualificationsPath, with(`"id":"SYD1"`, `"id":"MELB"`), 400, `productOfferingQualificationItem[1].id: "MELB" is used by another item`},
		{"server-managed state", "POST", qualificationsPath, with(`"description"`, `"state":"done","description"`), 400, "state: set by the server"},
		{"server-managed expiry", "POST", qualificationsPath, with(`"description"`, `"expirationDate":"2030-01-01T00:00:00Z","description"`), 400, "expirationDate: set by the server"},
		{"server-managed item result", "POST", qualificationsPath, with(`"action":"add"`, `"action":"add","qualificationItemResult":"qualified"`), 400,
			"productOfferingQualificationItem[0].qualificationItemResult: set by the server"},
		{"modify", "POST", qualificationsPath, with(`"action":"add"`, `"action":"modify"`), 400, `productOfferingQualificationItem[0].action: "modify" is not qualified here`},
		{"wrong type", "POST", qualificationsPath, `{"productOfferingQualificationItem": {}}`, 400, "productOfferingQualificationItem: want an array"},
		{"malformed JSON", "POST", qualificationsPath, `{"relatedParty": [`, 400, "malformed JSON"},
		{"oversized", "POST", qualificationsPath, `{"description":"` + strings.Repeat("x", tmf630.MaxBody) + `"}`, 413, "larger than"},
		{"unknown qualification", "GET", qualificationsPath + "/POQ-404", ``, 404, `productOfferingQualification "POQ-404": not found`},
		{"unknown query parameter", "GET", qualificationsPath + "?colour=red", ``, 400, "colour"},
		{"patch", "PATCH", qualificationsPath + "/POQ-001", `{"description":"x"}`, 405, "asks again"},
		{"delete", "DELETE", qualificationsPath + "/POQ-001", ``, 405, "asks again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, tc.method, tc.path, tc.body, &e)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
			assert.Equal(t, "Error", e.Type)
		})
	}
	var list []tmf679.ProductOfferingQualification
	l.Do(t, "GET", qualificationsPath, nil, &list)
	assert.Empty(t, list, "no bad request made a qualification")
}

// A qualification leaves COM's memory a retention after it ended: it is
// read from the store's shelf with the answers, filters and paging it had
// in memory, and a request sent again with its Idempotency-Key, however
// late, is still the same qualification. The clock stands still but when
// stepped, so that every request is taken at one instant.
func TestRetiredQualifications(t *testing.T) {
	clock := engine.NewPausable(engine.ClockState{Paused: true})
	mem := store.NewMemory()
	l := apitest.ServeLiveWith(t, scenarios.Options{Clock: clock, Journal: mem, Log: mem, Retention: time.Hour})
	defer l.Stop()
	body := newQualificationBody(apitest.WorkedQuote(t))
	lone := body
	lone.Items = body.Items[:1]
	var first tmf679.ProductOfferingQualification
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", qualificationsPath, body, &first, "Idempotency-Key", "k1").Code)
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", qualificationsPath, lone, nil).Code)
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", qualificationsPath, body, nil).Code)
	// inMemory steps the clock to at, and waits until the engine has
	// handled what was due by then and COM holds that many
	// qualifications, every one of them ended.
	inMemory := func(at time.Duration, want int) {
		_, err := clock.StepTo(at)
		require.NoError(t, err)
		for tries, held, ended := 0, -1, false; held != want || !ended; tries++ {
			require.Less(t, tries, 100000, "COM holds %d qualifications at %s, not %d ended", held, at, want)
			require.NoError(t, l.Sys.Engine.Query(context.Background(), func() {
				qs := l.Sys.COM.Qualifications()
				held, ended = len(qs), !slices.ContainsFunc(qs, func(q com.QualificationView) bool { return q.State != "done" })
			}))
		}
	}
	inMemory(time.Hour, 3)
	paths := []string{qualificationsPath, qualificationsPath + "?offset=1&limit=1", qualificationsPath + "?fields=id,state",
		qualificationsPath + "?state=done", qualificationsPath + "/POQ-002", qualificationsPath + "/POQ-003?fields=qualificationResult"}
	kept := map[string]any{}
	total := map[string]string{}
	for _, path := range paths {
		var v any
		w := l.Do(t, "GET", path, nil, &v)
		require.Equal(t, http.StatusOK, w.Code, path)
		kept[path], total[path] = v, w.Header().Get("X-Total-Count")
	}

	inMemory(time.Hour+30*time.Minute, 0) // each left a retention after it ended, rounded up to the next seventh of it
	for _, path := range paths {
		var got any
		w := l.Do(t, "GET", path, nil, &got)
		require.Equal(t, http.StatusOK, w.Code, path)
		assert.Equal(t, kept[path], got, path)
		assert.Equal(t, total[path], w.Header().Get("X-Total-Count"), path)
	}
	apitest.TMFError(t, l.Do(t, "GET", qualificationsPath+"/POQ-009", nil, nil), http.StatusNotFound, "POQ-009")

	var again tmf679.ProductOfferingQualification
	w := l.Do(t, "POST", qualificationsPath, body, &again, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, "done", again.State)

	inMemory(30*24*time.Hour, 0)
	w = l.Do(t, "POST", qualificationsPath, body, &again, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "a month later too")
	assert.Equal(t, first.ID, again.ID)
}
