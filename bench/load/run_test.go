package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func orderOnly(t *testing.T) Mix {
	m, err := ParseMix("order=1", []string{"order"})
	require.NoError(t, err)
	return m
}

// Each arrival is handed over at its time, and a server that always takes
// 2 ms measures 2 ms at every percentile (the clock is synctest's: exact).
func TestRunAtRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent []time.Duration
		start := time.Now()
		rep, err := Run(context.Background(), Config{Profile: Rate(100, 0), Count: 50, MaxDuration: time.Minute, MaxInFlight: 10, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				mu.Lock()
				sent = append(sent, time.Since(start))
				mu.Unlock()
				assert.Equal(t, a.Due, time.Since(start), "arrival %d handed over at its time", a.Index)
				time.Sleep(2 * time.Millisecond)
				rec.Answered("order", rec.Start().Add(a.Due), "")
			})
		require.NoError(t, err)
		assert.Len(t, sent, 50)
		assert.Equal(t, 50, rep.Arrivals)
		o := rep.Operations["order"]
		require.NotNil(t, o)
		assert.Equal(t, uint64(50), o.OK)
		for _, p := range []float64{o.P50, o.P90, o.P99, o.P999, o.Max, o.Mean} {
			assert.Equal(t, 2.0, p)
		}
		assert.InDelta(t, 100, rep.OrdersPerSecond, 1e-9, "50 arrivals at 100/s span 500 ms: arrival 0 due at the start, each 10 ms its own")
		assert.InDelta(t, 0.5, rep.Seconds, 1e-9)
		assert.Empty(t, rep.Stopped)
		assert.Equal(t, "100/s", rep.Profile)
		require.Len(t, rep.Timeline, 1)
		assert.Equal(t, uint64(50), rep.Timeline[0].Ops["order"].OK)
	})
}

// Coordinated omission: the server answers on one connection, 1 ms a
// request, and stalls for a second on the request due at 1 s. The
// requests due during the stall wait for the connection; their latency
// counts from when they were due, so the stall shows as it was felt:
// the request due at 1.0 s waits 1 s, and the j-th due after it, in a
// queue that drains 1 ms a request, 1.001 − 0.009·j s: 56 of them take
// over 500 ms. Measured from when each was sent, none would.
func TestRunCountsFromWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := make(chan struct{}, 1) // the one connection (a channel: synctest's time moves on while a request waits for it)
		sentLate := 0
		rep, err := Run(context.Background(), Config{Profile: Rate(100, 3*time.Second), MaxDuration: time.Minute, MaxInFlight: 1000, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				conn <- struct{}{}
				defer func() { <-conn }()
				if time.Since(rec.Start()) > a.Due+10*time.Millisecond {
					sentLate++
				}
				if a.Due == time.Second {
					time.Sleep(time.Second)
				}
				time.Sleep(time.Millisecond)
				rec.Answered("order", rec.Start().Add(a.Due), "")
			})
		require.NoError(t, err)
		o := rep.Operations["order"]
		assert.Equal(t, uint64(300), o.OK)
		assert.InDelta(t, 1001, o.Max, 1, "the request due at the stall waits it out")
		assert.InDelta(t, 1.0, o.P50, 1.0/64)
		assert.Greater(t, o.P99, 900.0)
		over := uint64(0)
		for _, b := range o.Histogram {
			if b.UpToMs > 500 {
				over += b.Count
			}
		}
		assert.InDelta(t, 56, over, 2)
		assert.Greater(t, sentLate, 90, "the requests behind the stall were sent late")
		// The timeline shows the stall in the window of requests due from 1 s.
		require.Len(t, rep.Timeline, 3)
		assert.InDelta(t, 1.0, rep.Timeline[0].Ops["order"].Max, 0.02)
		assert.InDelta(t, 1001, rep.Timeline[1].Ops["order"].Max, 1)
		assert.Less(t, rep.Timeline[2].Ops["order"].P50, 100.0)
	})
}

// With MaxInFlight operations running, an arrival due is not sent: it is
// dropped and counted an error; no more goroutines than that ever run.
func TestRunDropsBeyondMaxInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		running, most := 0, 0
		rep, err := Run(context.Background(), Config{Profile: Rate(100, 0), Count: 10, MaxDuration: time.Minute, MaxInFlight: 2, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				time.Sleep(time.Second)
				mu.Lock()
				running--
				mu.Unlock()
				rec.Answered("order", rec.Start().Add(a.Due), "")
			})
		require.NoError(t, err)
		assert.Equal(t, 2, most)
		o := rep.Operations["order"]
		assert.Equal(t, uint64(2), o.OK)
		assert.Equal(t, map[string]int{Dropped: 8}, o.Errors)
		assert.Equal(t, 8, rep.Failed())
	})
}

// MaxDuration stops the run, arrivals due and in flight alike: the
// operations see their context end, and the report says why it stopped.
func TestRunStopsAtMaxDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var progress []Progress
		start := time.Now()
		rep, err := Run(context.Background(), Config{Profile: Rate(10, time.Hour), MaxDuration: 3 * time.Second, MaxInFlight: 100, Mix: orderOnly(t),
			Progress: func(p Progress) { progress = append(progress, p) }},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				<-ctx.Done() // a server that never answers
				rec.Answered("order", rec.Start().Add(a.Due), "cancelled")
			})
		require.NoError(t, err)
		assert.Equal(t, 3*time.Second, time.Since(start))
		assert.Equal(t, 30, rep.Arrivals)
		assert.Equal(t, map[string]int{"cancelled": 30}, rep.Operations["order"].Errors)
		assert.Contains(t, rep.Stopped, "maximum duration 3s")
		require.NotEmpty(t, progress)
		last := progress[len(progress)-1]
		assert.True(t, last.Last)
		assert.Equal(t, uint64(30), last.Failed)
		assert.Equal(t, 30, last.Arrivals)
	})
}

func TestRunBadConfig(t *testing.T) {
	_, err := Run(context.Background(), Config{Profile: Rate(10, 0), MaxDuration: time.Second, MaxInFlight: 1, Mix: orderOnly(t)}, nil)
	assert.ErrorContains(t, err, "needs a count")
	_, err = Run(context.Background(), Config{Profile: Rate(10, time.Second), MaxInFlight: 1, Mix: orderOnly(t)}, nil)
	assert.ErrorContains(t, err, "must be positive")
}

func report(p99 map[string]float64, perSecond float64) *Report {
	r := &Report{OrdersPerSecond: perSecond, Operations: map[string]*OperationReport{}}
	for op, v := range p99 {
		r.Operations[op] = &OperationReport{OK: TailAnswers, P99: v}
	}
	return r
}

// A run is worse than its baseline when a p99 is above the baseline's by
// more than the threshold, an operation the baseline measured has no
// answer, or the throughput is below by more; each is named.
func TestCompare(t *testing.T) {
	base := report(map[string]float64{"quote": 5, "order": 6.2, "read": 1}, 100)
	assert.Empty(t, Compare(base, report(map[string]float64{"quote": 5.9, "order": 7.4, "read": 0.5}, 81), 0.2), "within 20%")
	now := report(map[string]float64{"quote": 5, "order": 30, "read": 0}, 70)
	now.Operations["read"].OK = 0
	now.Operations["read"].Errors = map[string]int{"400": 20}
	worse := Compare(base, now, 0.2)
	require.Len(t, worse, 3)
	assert.Equal(t, "order p99", worse[0].Figure)
	assert.InDelta(t, 30/6.2-1, worse[0].Change, 1e-9)
	assert.Equal(t, "order p99 30.00 ms against the baseline's 6.20 ms: 384% worse", worse[0].String())
	assert.Equal(t, "read", worse[1].Figure, "no read answered")
	assert.Equal(t, "read: none of its 20 requests answered well (400×20; the baseline's p99 1.00 ms)", worse[1].String())
	assert.Len(t, Compare(base, report(map[string]float64{"quote": 5, "order": 6}, 100), 0.2), 0, "no read in the mix: not compared")
	assert.Equal(t, "throughput", worse[2].Figure)
	assert.InDelta(t, 0.3, worse[2].Change, 1e-9)
	assert.Equal(t, "throughput 70.00 orders/s against the baseline's 100.00 orders/s: 30% worse", worse[2].String())
}

// A run whose mix places no orders (reads only: the first read places
// the one order it reads) is compared on its reads: neither the orders'
// throughput nor their p99 and their quotes'. A run that gives no mix is
// compared on every figure.
func TestCompareLeavesOutWhatTheMixDoes(t *testing.T) {
	base := report(map[string]float64{"quote": 5, "order": 6.2, "read": 1}, 100)
	base.Mix = map[string]int{"order": 90, "read": 10}
	now := report(map[string]float64{"quote": 50, "order": 60, "read": 1.1}, 0.1)
	now.Mix = map[string]int{"read": 1}
	assert.Empty(t, Compare(base, now, 0.2))
	now.Operations["read"].P99 = 3
	worse := Compare(base, now, 0.2)
	require.Len(t, worse, 1)
	assert.Equal(t, "read p99", worse[0].Figure)

	now.Mix = map[string]int{"order": 0, "read": 1}
	require.Len(t, Compare(base, now, 0.2), 1, "a weight of 0 leaves the operation out")
	now.Mix = map[string]int{"order": 1, "read": 1}
	assert.Len(t, Compare(base, now, 0.2), 4, "read, order and quote p99, throughput")
	now.Mix = nil
	assert.Len(t, Compare(base, now, 0.2), 4)
}

// A figure of which lower is better and that was 0 is worse by any amount.
func TestWorseThanZero(t *testing.T) {
	g, ok := Worse("unavailability", 0, 0.95, 0.2, "s")
	require.True(t, ok)
	assert.Equal(t, "unavailability: 0.95 s against the baseline's 0 s", g.String())
	_, ok = Worse("unavailability", 0, 0, 0.2, "s")
	assert.False(t, ok)
	_, ok = Worse("order p99", 10, 11.9, 0.2, "")
	assert.False(t, ok)
	g, ok = Worse("order p99", 10, 12.1, 0.2, "")
	require.True(t, ok)
	assert.InDelta(t, 0.21, g.Change, 1e-9)
}

// An operation none of whose requests was answered well has an empty
// histogram in the JSON, not null.
func TestReportHistogramOfNoAnswerIsEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, err := Run(context.Background(), Config{Profile: Rate(10, 0), Count: 2, MaxDuration: time.Minute, MaxInFlight: 10, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				rec.Answered("order", rec.Start().Add(a.Due), "503")
			})
		require.NoError(t, err)
		b, err := json.Marshal(rep)
		require.NoError(t, err)
		var back struct {
			Operations map[string]map[string]json.RawMessage
		}
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, "[]", string(back.Operations["order"]["histogram"]))
	})
}

// The JSON report reads back as it was written; the SVG is well-formed
// XML with a line per operation and percentile, and a histogram each.
func TestReportJSONAndSVG(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := ParseMix("order=3,read=1", []string{"order", "read"})
		require.NoError(t, err)
		rep, err := Run(context.Background(), Config{Profile: Rate(50, 4*time.Second), MaxDuration: time.Minute, MaxInFlight: 100, Mix: m},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				time.Sleep(time.Duration(1+a.Index%7) * time.Millisecond)
				rec.Answered(a.Op, rec.Start().Add(a.Due), "")
			})
		require.NoError(t, err)
		rep.Target = "http://127.0.0.1:8080"
		b, err := json.Marshal(rep)
		require.NoError(t, err)
		var back Report
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, rep.Operations, back.Operations)
		assert.Len(t, back.Timeline, 4)
		var svg bytes.Buffer
		require.NoError(t, rep.WriteSVG(&svg))
		d := xml.NewDecoder(&svg)
		lines := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
				lines++
			}
		}
		assert.Equal(t, 6, lines, "p50 and p99 over time and a histogram, for order and read")
		var text bytes.Buffer
		require.NoError(t, rep.WriteText(&text))
		assert.Contains(t, text.String(), "http://127.0.0.1:8080: 50/s for 4s, 200 arrivals")
		assert.Regexp(t, `(?m)^order +1\d\d +\d+\.\d +`, text.String())
	})
}

// A profile that brings arrivals beyond MaxDuration is cut there, and the
// report says so, though every request sent was answered.
func TestRunCutAtMaxDurationSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, err := Run(context.Background(), Config{Profile: Rate(10, 10*time.Second), MaxDuration: 2 * time.Second, MaxInFlight: 100, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) { rec.Answered("order", rec.Start().Add(a.Due), "") })
		require.NoError(t, err)
		assert.Equal(t, 20, rep.Arrivals)
		assert.Equal(t, "the maximum duration 2s passed", rep.Stopped)
		assert.Equal(t, 2.0, rep.Seconds, "the run lasted to the maximum duration")
		assert.InDelta(t, 10.0, rep.OrdersPerSecond, 1e-9, "the rate offered, never above it")

		rep, err = Run(context.Background(), Config{Profile: Rate(10, 2*time.Second), MaxDuration: time.Minute, MaxInFlight: 100, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) { rec.Answered("order", rec.Start().Add(a.Due), "") })
		require.NoError(t, err)
		assert.Equal(t, 20, rep.Arrivals)
		assert.Empty(t, rep.Stopped, "every arrival due was sent and answered")
	})
}

// The run lasts its schedule: N arrivals at a rate span N/rate (arrival 0
// is due at the start), a profile its length, so the throughput of a run
// whose server answers at once is the rate offered, never above it; an
// answer after the schedule's end lengthens the run.
func TestRunLastsItsSchedule(t *testing.T) {
	answerIn := func(d time.Duration) Operation {
		return func(ctx context.Context, a Arrival, rec *Recorder) {
			time.Sleep(d)
			rec.Answered("order", rec.Start().Add(a.Due), "")
		}
	}
	for name, c := range map[string]struct {
		cfg      Config
		latency  time.Duration
		arrivals int
		seconds  float64
	}{
		"--rate 1 --orders 1":      {Config{Profile: Rate(1, 0), Count: 1}, 10 * time.Millisecond, 1, 1},
		"--rate 2 --duration 1s":   {Config{Profile: Rate(2, time.Second)}, 10 * time.Millisecond, 2, 1},
		"--steps 4:1s,0:1s":        {Config{Profile: Profile{{From: 4, To: 4, For: time.Second}, {For: time.Second}}}, time.Millisecond, 4, 2},
		"--ramp 0:4 --duration 2s": {Config{Profile: Ramp(0, 4, 2*time.Second)}, time.Millisecond, 4, 2},
		// 4.5 arrivals' worth: 4, each a third of a second, not 5 in 1.5 s (3.3/s).
		"--rate 3 --duration 1500ms":    {Config{Profile: Rate(3, 1500*time.Millisecond)}, time.Millisecond, 4, 1.5},
		"--steps 3:1500ms,0:1s":         {Config{Profile: Profile{{From: 3, To: 3, For: 1500 * time.Millisecond}, {For: time.Second}}}, time.Millisecond, 4, 2.5},
		"the last answer after the end": {Config{Profile: Rate(2, time.Second)}, 700 * time.Millisecond, 2, 1.2},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := c.cfg
				cfg.MaxDuration, cfg.MaxInFlight, cfg.Mix = time.Minute, 10, orderOnly(t)
				rep, err := Run(context.Background(), cfg, answerIn(c.latency))
				require.NoError(t, err)
				assert.Equal(t, c.arrivals, rep.Arrivals)
				assert.InDelta(t, c.seconds, rep.Seconds, 1e-9)
				assert.InDelta(t, float64(c.arrivals)/c.seconds, rep.OrdersPerSecond, 1e-9)
				assert.InDelta(t, rep.OrdersPerSecond, rep.Operations["order"].PerSecond, 1e-9)
			})
		})
	}
}

// The report says how much CPU the generator itself spent: on a machine
// shared with the server, time taken from it.
func TestRunReportsTheGeneratorsCPU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, err := Run(context.Background(), Config{Profile: Rate(100, 100*time.Millisecond), MaxDuration: time.Minute, MaxInFlight: 100, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				work := make([]byte, 64<<10)
				for range 200 { // 12.8 MB hashed: milliseconds of a core
					sum := sha256.Sum256(work)
					copy(work, sum[:])
				}
				rec.Answered("order", rec.Start().Add(a.Due), "")
			})
		require.NoError(t, err)
		assert.Greater(t, rep.GeneratorCPUSeconds, 0.0)
		var text bytes.Buffer
		require.NoError(t, rep.WriteText(&text))
		assert.Regexp(t, `the generator took \d+\.\d CPU s \(\d+\.\d\d of a core\)`, text.String())
	})
}

// An operation with no answer given well has no latency: its percentiles
// are dashes in the text, not latencies of 0.
func TestReportTextNoLatencyWithoutAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, err := Run(context.Background(), Config{Profile: Rate(10, 0), Count: 3, MaxDuration: time.Minute, MaxInFlight: 10, Mix: orderOnly(t)},
			func(ctx context.Context, a Arrival, rec *Recorder) {
				rec.Answered("order", rec.Start().Add(a.Due), "transport")
			})
		require.NoError(t, err)
		var text bytes.Buffer
		require.NoError(t, rep.WriteText(&text))
		assert.Regexp(t, `(?m)^order +0 +0\.0 +- +- +- +- +-  transport×3$`, text.String())
	})
}
