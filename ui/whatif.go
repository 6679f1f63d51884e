package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/scenarios"
)

// WhatIfPath is where the console runs what-ifs of the library's
// scenarios.
const WhatIfPath = "/ordertwin/v1/whatIf"

// Bounds of a what-if asked of a server: it runs beside the engine, on
// the same machine.
const (
	// MaxWhatIfRuns bounds the runs of one what-if.
	MaxWhatIfRuns = 2000
	// MaxWhatIfSiteRuns bounds runs times sites: a national rollout is
	// asked for few runs.
	MaxWhatIfSiteRuns = 100_000
	// maxWhatIfQueue bounds the what-ifs waiting for the one running;
	// maxPartyQueue those of one party's callers among them.
	maxWhatIfQueue = 4
	maxPartyQueue  = 2
	// keptWhatIfs is how many finished what-ifs are kept to be read.
	keptWhatIfs = 32
)

// WhatIfs runs what-ifs for the console: one at a time, each on its own
// goroutine (never the engine's), with one worker, the others queued;
// each can be cancelled. They live in memory only: a restart forgets them
// (they change nothing, and asked again with the same seed they give the
// same answer).
type WhatIfs struct {
	Log *slog.Logger

	mu     sync.Mutex
	jobs   map[string]*whatIfJob
	order  []string // ids, oldest first
	queue  []*whatIfJob
	runs   bool // a what-if is running
	next   int
	closed bool
}

// whatIfRequest is the body of POST whatIf.
type whatIfRequest struct {
	Scenario string   `json:"scenario"`
	Runs     *int     `json:"runs"`
	CV       *float64 `json:"cv"`
	Seed     *uint64  `json:"seed"`
	Bins     *int     `json:"bins"`
}

// whatIfJob is a what-if and where it stands; result and distribution
// once completed.
type whatIfJob struct {
	ID       string  `json:"id"`
	Href     string  `json:"href"`
	Scenario string  `json:"scenario"`
	Runs     int     `json:"runs"`
	CV       float64 `json:"cv"`
	Seed     uint64  `json:"seed"`
	Bins     int     `json:"bins"`
	// State: queued, running, completed, failed or cancelled.
	State        string                   `json:"state"`
	Done         int                      `json:"done"`
	Error        string                   `json:"error,omitempty"`
	Result       *scenarios.WhatIf        `json:"result,omitempty"`
	Distribution []scenarios.Distribution `json:"distribution,omitempty"`

	sc     *scenarios.Scenario
	ctx    context.Context
	cancel context.CancelFunc
	// party is the party the caller who asked for it acts for, "" for
	// a caller bound to none: a caller bound to a party sees, and
	// cancels, its party's what-ifs only.
	party string
}

// partyOf is the party the caller acts for, "" for none.
func partyOf(r *http.Request) string {
	if id, ok := auth.From(r.Context()); ok && id.Scoped() {
		return id.Tenant
	}
	return ""
}

// sees says whether the caller of r sees job.
func sees(r *http.Request, job *whatIfJob) bool {
	p := partyOf(r)
	return p == "" || p == job.party
}

// Routes registers the what-ifs' routes, and the library's list they are
// asked of.
func (s *WhatIfs) Routes(mux *http.ServeMux) {
	s.jobs = map[string]*whatIfJob{}
	mux.HandleFunc("GET "+LibraryPath, lib.list)
	mux.HandleFunc("GET "+LibraryPath+"/{id}", lib.one)
	mux.HandleFunc("POST "+WhatIfPath, s.post)
	mux.HandleFunc("GET "+WhatIfPath, s.list)
	mux.HandleFunc("GET "+WhatIfPath+"/{id}", s.get)
	mux.HandleFunc("DELETE "+WhatIfPath+"/{id}", s.delete)
}

// decodeStrict decodes a JSON object body into v, refusing members v does
// not have, each error a 400 naming what is wrong.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) *tmf630.Error {
	if e := tmf630.MediaType(r); e != nil {
		return e
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		return e
	}
	if e := tmf630.CheckJSON(body); e != nil {
		return e
	}
	return tmf630.DecodeStrict(body, v)
}

func (s *WhatIfs) post(w http.ResponseWriter, r *http.Request) {
	var in whatIfRequest
	if e := decodeStrict(w, r, &in); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	sc, e := lib.scenario("scenario", in.Scenario)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if in.Runs == nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("runs: required, 1 to %d", MaxWhatIfRuns)))
		return
	}
	job := &whatIfJob{Scenario: in.Scenario, Runs: *in.Runs, CV: 0.25, Seed: sc.Spec.Seed, Bins: 24, sc: sc}
	if in.CV != nil {
		job.CV = *in.CV
	}
	if in.Seed != nil {
		job.Seed = *in.Seed
	}
	if in.Bins != nil {
		job.Bins = *in.Bins // 0 is refused, not taken for "not given"
	}
	sites := 0
	for _, p := range sc.Spec.Orders {
		sites += len(p.Quote.Sites)
	}
	bad := func(msg string) { tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, msg)) }
	switch {
	case job.Runs < 1 || job.Runs > MaxWhatIfRuns:
		bad(fmt.Sprintf("runs: %d: want 1 to %d", job.Runs, MaxWhatIfRuns))
		return
	case job.Runs*max(sites, 1) > MaxWhatIfSiteRuns:
		bad(fmt.Sprintf("runs: %d runs of %d sites: at most %d site runs (%d runs of this scenario)", job.Runs, sites, MaxWhatIfSiteRuns, MaxWhatIfSiteRuns/max(sites, 1)))
		return
	case !(job.CV >= 0 && job.CV <= 2):
		bad(fmt.Sprintf("cv: %g: want 0 (exact durations) to 2", job.CV))
		return
	case job.Bins < 1 || job.Bins > 200:
		bad(fmt.Sprintf("bins: %d: want 1 to 200", job.Bins))
		return
	}
	job.party = partyOf(r)
	s.mu.Lock()
	waiting := 0
	for _, q := range s.queue {
		if q.party == job.party {
			waiting++
		}
	}
	if s.closed || len(s.queue) >= maxWhatIfQueue || job.party != "" && waiting >= maxPartyQueue {
		s.mu.Unlock()
		var msg string
		switch {
		case s.closed:
			msg = "the server stops: no what-if is taken; nothing was changed"
		case len(s.queue) >= maxWhatIfQueue:
			msg = fmt.Sprintf("%d what-ifs wait already: try again once one is done; nothing was changed", maxWhatIfQueue)
		default:
			msg = fmt.Sprintf("%d what-ifs of party %s wait already: try again once one is done; nothing was changed", waiting, job.party)
		}
		e := tmf630.NewError(http.StatusServiceUnavailable, msg)
		e.RetryAfter = 5
		tmf630.WriteError(w, e)
		return
	}
	s.next++
	job.ID = "WI-" + strconv.Itoa(s.next)
	job.Href = WhatIfPath + "/" + job.ID
	job.State = "queued"
	job.ctx, job.cancel = context.WithCancel(context.Background())
	s.jobs[job.ID] = job
	s.order = append(s.order, job.ID)
	s.queue = append(s.queue, job)
	s.forget()
	view := *job
	s.startNext()
	s.mu.Unlock()
	tmf630.Created(w, view.Href, view)
}

// forget drops the oldest finished what-ifs beyond keptWhatIfs. s.mu is
// held.
func (s *WhatIfs) forget() {
	for len(s.order) > keptWhatIfs {
		dropped := false
		for i, id := range s.order {
			if j := s.jobs[id]; j.State != "queued" && j.State != "running" {
				delete(s.jobs, id)
				s.order = append(s.order[:i], s.order[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			return
		}
	}
}

// startNext runs the first queued what-if when none runs. s.mu is held.
func (s *WhatIfs) startNext() {
	if s.runs || len(s.queue) == 0 {
		return
	}
	job := s.queue[0]
	s.queue = s.queue[1:]
	s.runs = true
	job.State = "running"
	go s.run(job)
}

func (s *WhatIfs) run(job *whatIfJob) {
	sc := *job.sc
	sc.Spec.Seed = job.Seed
	res, err := sc.WhatIf(job.ctx, scenarios.WhatIfOptions{Runs: job.Runs, CV: job.CV, Workers: 1,
		Progress: func(done, _ int) {
			s.mu.Lock()
			job.Done = done
			s.mu.Unlock()
		}})
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, context.Canceled):
		job.State = "cancelled"
	case err != nil:
		job.State, job.Error = "failed", err.Error()
		if s.Log != nil {
			s.Log.Warn("what-if failed", "id", job.ID, "scenario", job.Scenario, "err", err.Error())
		}
	default: // the result as ordertwin whatif prints it; the job names the library file
		job.State, job.Result, job.Distribution = "completed", res, res.Distributions(job.Bins)
	}
	job.cancel()
	s.runs = false
	if !s.closed {
		s.startNext()
	}
}

func (s *WhatIfs) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]whatIfJob, 0, len(s.order))
	for _, id := range s.order {
		if !sees(r, s.jobs[id]) {
			continue
		}
		j := *s.jobs[id]
		j.Result, j.Distribution = nil, nil // GET one for them
		out = append(out, j)
	}
	s.mu.Unlock()
	tmf630.WriteJSON(w, http.StatusOK, out)
}

func (s *WhatIfs) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	j, ok := s.jobs[r.PathValue("id")]
	ok = ok && sees(r, j)
	var view whatIfJob
	if ok {
		view = *j
	}
	s.mu.Unlock()
	if !ok {
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no what-if "+tmf630.Quote(r.PathValue("id"))))
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, view)
}

// delete cancels a queued or running what-if: 200 with it, cancelled (a
// running one stops after the run in progress); 409 once it has ended.
func (s *WhatIfs) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	j, ok := s.jobs[r.PathValue("id")]
	ok = ok && sees(r, j)
	var view whatIfJob
	var e *tmf630.Error
	switch {
	case !ok:
		e = tmf630.NewError(http.StatusNotFound, "no what-if "+tmf630.Quote(r.PathValue("id")))
	case j.State == "queued":
		j.cancel()
		j.State = "cancelled"
		for i, q := range s.queue {
			if q == j {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
	case j.State == "running":
		j.cancel() // run marks it cancelled when the runs stop
	default:
		e = tmf630.NewError(http.StatusConflict, "what-if "+j.ID+" is "+j.State+": only a queued or running one is cancelled")
	}
	if ok {
		view = *j
	}
	s.mu.Unlock()
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if view.State == "running" {
		view.State = "cancelling"
	}
	tmf630.WriteJSON(w, http.StatusOK, view)
}

// Close cancels every what-if (the server stops).
func (s *WhatIfs) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, j := range s.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
}
