package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullDisk is the durable store on a disk that can fill up: while full,
// every commit and write probe fails with ENOSPC and keeps nothing.
type fullDisk struct {
	*sqlite.Store
	full atomic.Bool
}

func (d *fullDisk) Commit(records []store.Record, inputs []store.Input) error {
	if d.full.Load() {
		return fmt.Errorf("sqlite store: commit: %w", syscall.ENOSPC)
	}
	return d.Store.Commit(records, inputs)
}

func (d *fullDisk) Append(records []store.Record) error  { return d.Commit(records, nil) }
func (d *fullDisk) LogInputs(inputs []store.Input) error { return d.Commit(nil, inputs) }

func (d *fullDisk) Probe() error {
	if d.full.Load() {
		return fmt.Errorf("sqlite store: write probe: %w", syscall.ENOSPC)
	}
	return d.Store.Probe()
}

// A server whose disk fills up keeps running: the command whose commit failed is answered 503 at once
// (not confirmed yet), later commands are refused 503 at once with a TMF
// Error saying the store cannot write and Retry-After, /readyz is not
// ready and says why, reads that need the engine are refused; once there
// is room the server recovers by itself, the waiting quote is committed
// once, and the client's retry with its Idempotency-Key gets it.
func TestStoreFullOverHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "serve.db"), sqlite.Options{})
		require.NoError(t, err)
		defer db.Close()
		st := &fullDisk{Store: db}
		l := apitest.ServeLiveWith(t, scenarios.Options{Journal: st, Log: st})
		l.Sys.Engine.LogTo(slog.New(slog.DiscardHandler))
		quoteBody, _ := apitest.Worked(t)

		var first tmf648.Quote
		require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &first, "Idempotency-Key", "q1").Code)
		l.Idle(t)
		st.full.Store(true)

		w := l.Do(t, "POST", quotesPath, quoteBody, nil, "Idempotency-Key", "q2")
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "not committed yet")
		assert.Contains(t, w.Body.String(), "no space left on device")
		assert.Contains(t, w.Body.String(), "retry with the same Idempotency-Key")
		assert.Equal(t, "1", w.Header().Get("Retry-After"))

		began := time.Now()
		w = l.Do(t, "POST", quotesPath, quoteBody, nil, "Idempotency-Key", "q3")
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "the store cannot write since")
		assert.Contains(t, w.Body.String(), "nothing was changed")
		assert.Equal(t, "5", w.Header().Get("Retry-After"))
		w = l.Do(t, "GET", "/readyz", nil, nil)
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "not ready: the store cannot write")
		assert.Equal(t, "5", w.Header().Get("Retry-After"))
		w = l.Do(t, "GET", quotesPath, nil, nil)
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "the store cannot write")
		assert.Equal(t, "200", status(l.Do(t, "GET", "/healthz", nil, nil)), "alive")
		w = l.Do(t, "GET", "/metrics", nil, nil)
		assert.Equal(t, http.StatusOK, w.Code, "what is known without the engine")
		assert.Contains(t, w.Body.String(), "\nordertwin_store_writable 0\n")
		assert.Zero(t, time.Since(began), "each answered at once")

		time.Sleep(30 * time.Second) // the engine retries meanwhile
		st.full.Store(false)         // space comes back
		time.Sleep(l.Sys.Engine.Limits().RetryMax)
		synctest.Wait()
		assert.Equal(t, "200", status(l.Do(t, "GET", "/readyz", nil, nil)))
		w = l.Do(t, "GET", "/metrics", nil, nil)
		assert.Contains(t, w.Body.String(), "\nordertwin_store_writable 1\n")
		assert.Contains(t, w.Body.String(), "\nordertwin_engine_queue_depth ")
		l.Idle(t)
		var quotes []tmf648.Quote
		require.Equal(t, http.StatusOK, l.Do(t, "GET", quotesPath, nil, &quotes).Code)
		require.Len(t, quotes, 2, "the first and the one whose commit waited; never the refused one")
		var second tmf648.Quote
		w = l.Do(t, "POST", quotesPath, quoteBody, &second, "Idempotency-Key", "q2")
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "the waiting quote was applied, once")
		assert.NotEqual(t, first.ID, second.ID)
		l.Stop()

		// Every acknowledged change is in the store: a replay reaches it.
		held, err := st.Records()
		require.NoError(t, err)
		inputs, err := st.Inputs()
		require.NoError(t, err)
		assert.Len(t, inputs, 3, "q1, q2 and its retry; the refused q3 was never logged")
		sc, err := scenarios.LoadLibrary("live/default.yaml")
		require.NoError(t, err)
		journal := store.Resume(db, held)
		again, err := scenarios.New(sc.Spec, scenarios.Options{Journal: journal, Log: db})
		require.NoError(t, err)
		require.NoError(t, again.Engine.Replay(context.Background(), inputs, journal.Caught))
		assert.Len(t, again.COM.Quotes(), 2)
	})
}

func status(w interface{ Result() *http.Response }) string {
	return w.Result().Status[:3]
}

// blocking is a component whose "slow" command holds the engine's
// goroutine until release is closed: an engine that has fallen behind.
type blocking struct{ release chan struct{} }

func (b blocking) Handle(_ time.Duration, msg any, out *engine.Out) {
	if msg == "slow" {
		<-b.release
	}
	out.Reply(msg)
}

// An engine that has fallen behind is answered for at once: a command it
// does not take within the admission time is a 503 with Retry-After (and
// is never handled), and so are a read and /readyz that cannot reach it.
func TestOverloadAnswersAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine.New(engine.Options{Codec: engine.NewCodec("")})
		b := blocking{release: make(chan struct{})}
		e.Handle(engine.COM, b)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.Serve(ctx) }()
		s := &api.Server{Engine: e}
		go s.Node().Command(context.Background(), engine.COM, "slow")
		synctest.Wait()

		began := time.Now()
		_, refused := s.Node().Command(context.Background(), engine.COM, "late")
		require.NotNil(t, refused)
		w := httptest.NewRecorder()
		tmf630.WriteError(w, refused)
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "the engine is overloaded: it did not take the command within 1s")
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		assert.Equal(t, time.Second, time.Since(began), "the admission time, not the command timeout")

		w = httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "not ready: the engine is overloaded: it did not run the query within 1s")
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		close(b.release)
		cancel()
		require.ErrorIs(t, <-served, context.Canceled)
	})
}

// A server whose clock has reached the end of virtual time is not ready,
// saying why: no timer of it can come due any more.
func TestNotReadyAtTheEndOfVirtualTime(t *testing.T) {
	for _, c := range []struct {
		state engine.ClockState
		ready bool
	}{
		{engine.ClockState{Wall: time.Now(), Scale: 86400}, true},
		{engine.ClockState{Wall: time.Now().Add(-48 * time.Hour), Scale: 86400}, false}, // a day a second, two days on
	} {
		e := engine.New(engine.Options{Codec: engine.NewCodec(""), Clock: engine.NewPausable(c.state)})
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.Serve(ctx) }()
		s := &api.Server{Engine: e}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		if c.ready {
			assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
		} else {
			apitest.TMFError(t, w, http.StatusServiceUnavailable, "not ready: virtual time has reached its end (292 years after T+0)")
		}
		assert.Equal(t, !c.ready, e.ClockEnded())
		cancel()
		require.ErrorIs(t, <-served, context.Canceled)
	}
}

// A server whose store cannot be reached (a PostgreSQL server's hold
// lapsed, the database away) is not ready, saying why, while it is idle:
// it was ready until a command failed.
func TestNotReadyWhileTheStoreIsUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine.New(engine.Options{Codec: engine.NewCodec("")})
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.Serve(ctx) }()
		away := true
		s := &api.Server{Engine: e, StoreReachable: func() error {
			if away {
				return errors.New("the store's database cannot be reached")
			}
			return nil
		}}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		apitest.TMFError(t, w, http.StatusServiceUnavailable, "not ready: the store's database cannot be reached")
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		away = false
		w = httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
		cancel()
		require.ErrorIs(t, <-served, context.Canceled)
	})
}
