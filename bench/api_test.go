package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"
)

// BenchmarkPostProductOrder posts b.N product orders over HTTP to a server
// on the durable store (SQLite: every order's command logged and its
// records committed before the 201), paced at 500 orders a second by 32
// clients (an open loop: each order has its time to be sent, and its
// latency counts from then, so a server that falls behind shows it). It
// reports the latency's P50 and P99 and the orders per second taken.
// Each order carries out the worked example's quote: COM checks its
// contract and the customer's credit, which refuses all but the first.
func BenchmarkPostProductOrder(b *testing.B) { benchmarkPost(b, 500, false) }

// BenchmarkPostProductOrderAuth is BenchmarkPostProductOrder with every
// request authenticated and authorized: a sales token of the development
// issuer (EdDSA) verified on each, and its access log line written.
func BenchmarkPostProductOrderAuth(b *testing.B) { benchmarkPost(b, 500, true) }

// BenchmarkPostProductOrderMax is BenchmarkPostProductOrder as fast as 32
// clients go: the throughput the server sustains.
func BenchmarkPostProductOrderMax(b *testing.B) { benchmarkPost(b, 0, false) }

func benchmarkPost(b *testing.B, rate float64, authenticated bool) {
	const clients = 32
	sc, err := scenarios.LoadLibrary("live/default.yaml")
	require.NoError(b, err)
	example, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(b, err)
	quote := example.Spec.Orders[0].Quote
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "serve.db"), sqlite.Options{})
	require.NoError(b, err)
	defer st.Close()
	sys, err := scenarios.New(sc.Spec, scenarios.Options{Clock: engine.NewWall(1e6), Journal: st, Log: st})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	front := sys.API()
	var token string
	if authenticated {
		key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
		front.Guard, err = auth.NewGuard(&auth.Config{DevIssuer: true}, key, nil)
		require.NoError(b, err)
		front.AccessLog = slog.New(slog.NewJSONHandler(io.Discard, nil))
		token, err = auth.Mint(key, auth.Grant{Subject: "load", Roles: []auth.Role{auth.Sales}, Tenant: quote.Customer.ID, TTL: time.Hour}, time.Now())
		require.NoError(b, err)
	}
	srv := httptest.NewServer(front.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	post := func(path string, body any) (int, []byte) {
		buf, err := json.Marshal(body)
		require.NoError(b, err)
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(buf))
		require.NoError(b, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		require.NoError(b, err)
		defer res.Body.Close()
		var out bytes.Buffer
		_, err = out.ReadFrom(res.Body)
		require.NoError(b, err)
		return res.StatusCode, out.Bytes()
	}
	code, body := post(tmf630.QuoteManagement+"/quote", tmf648.NewQuoteBody(quote, "AUD"))
	require.Equal(b, http.StatusCreated, code, string(body))
	var q tmf648.Quote
	require.NoError(b, json.Unmarshal(body, &q))
	orders := make([]tmf622.OrderBody, b.N)
	for i := range orders {
		orders[i] = tmf622.NewOrderBody(q.ID, quote, fmt.Sprintf("LOAD-%07d", i))
	}

	latency := make([]float64, b.N)
	next := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	due := func(i int) time.Time {
		if rate <= 0 {
			return time.Now()
		}
		return start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
	}
	for range clients {
		wg.Go(func() {
			for i := range next {
				at := due(i)
				time.Sleep(time.Until(at))
				if code, body := post(tmf630.ProductOrdering+"/productOrder", orders[i]); code != http.StatusCreated {
					b.Errorf("order %d: %d %s", i, code, body)
				}
				latency[i] = float64(time.Since(at)) / float64(time.Millisecond)
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latency)
	b.ReportMetric(stat.Quantile(0.5, stat.Empirical, latency, nil), "p50-ms")
	b.ReportMetric(stat.Quantile(0.99, stat.Empirical, latency, nil), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
}
