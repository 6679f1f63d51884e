package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/require"
)

// BenchmarkQuoteAndOrder is the server's cost of one order as `ordertwin
// load` places it against `ordertwin serve live/population.yaml`: a quote
// (COM prices it, its three approval stages decide, each reviewer signing
// with its key) then the
// product order carrying it out, both over HTTP, on the durable store
// (SQLite: each request's input committed before its answer), the clock
// at serve's default pace (a day a second), so that the orders run their
// course meanwhile. Eight clients place b.N orders as fast as they are
// answered, each for the next of the population's customers. It reports
// the CPU time of the whole process (server and clients: utime + stime)
// per order, a measure that other work on the machine hardly moves, and
// the orders per second taken.
func BenchmarkQuoteAndOrder(b *testing.B) { benchmarkQuoteAndOrder(b, "live/population.yaml") }

// BenchmarkQuoteAndOrderDefault is BenchmarkQuoteAndOrder against the live
// default: the worked example's customer, whose credit refuses every
// order after the first (the order is answered, then refused: cheap).
func BenchmarkQuoteAndOrderDefault(b *testing.B) {
	benchmarkQuoteAndOrder(b, "live/default.yaml", "globaltech-5site.yaml")
}

// benchmarkQuoteAndOrder serves the library scenario served, quoting the
// placements of quotes (default: served's own).
func benchmarkQuoteAndOrder(b *testing.B, served string, quotes ...string) {
	const clients = 8
	sc, err := scenarios.LoadLibrary(served)
	require.NoError(b, err)
	from := sc
	if len(quotes) > 0 {
		from, err = scenarios.LoadLibrary(quotes[0])
		require.NoError(b, err)
	}
	var reqs []com.QuoteRequest
	var currency []string
	for _, p := range from.Spec.Placements() {
		q := p.Quote
		q.Waves = slices.Clone(q.Waves)
		for i := range q.Waves {
			q.Waves[i].Target -= p.At // from the order, as the quote API takes it
		}
		o, err := from.Spec.Catalog.Offering(q.Offering)
		require.NoError(b, err)
		reqs, currency = append(reqs, q), append(currency, o.Currency)
	}
	require.NotEmpty(b, reqs, "%s places no quotes", served)
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "serve.db"), sqlite.Options{})
	require.NoError(b, err)
	defer st.Close()
	// Each stage's reviewer signs its decisions with a key of its own, as
	// serve's do.
	keys := map[string]string{}
	for _, stage := range com.Stages {
		keys[stage] = approval.NewKey()
	}
	sys, err := scenarios.New(sc.Spec, scenarios.Options{Clock: engine.NewWall(86400), Journal: st, Log: st, StageKeys: keys})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	srv := httptest.NewServer(sys.API().Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	post := func(path string, body, into any) error {
		buf, err := json.Marshal(body)
		if err != nil {
			return err
		}
		res, err := client.Post(srv.URL+path, "application/json", bytes.NewReader(buf))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var out bytes.Buffer
		if _, err := out.ReadFrom(res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, out.Bytes())
		}
		return json.Unmarshal(out.Bytes(), into)
	}
	run := time.Now().UnixNano()
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				q := reqs[i%len(reqs)]
				var quote tmf648.Quote
				if err := post(tmf630.QuoteManagement+"/quote", tmf648.NewQuoteBody(q, currency[i%len(reqs)]), &quote); err != nil {
					b.Error(err)
					return
				}
				var po struct{ ID string }
				if err := post(tmf630.ProductOrdering+"/productOrder", tmf622.NewOrderBody(quote.ID, q, fmt.Sprintf("BENCH-%d-%d", run, i)), &po); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/order")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
