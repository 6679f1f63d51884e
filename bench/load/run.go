package load

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Config is what a run does.
type Config struct {
	Profile Profile
	// Count stops the run after that many arrivals (0: when the profile
	// ends); MaxDuration stops it then, whatever is in flight (required).
	Count       int
	MaxDuration time.Duration
	// MaxInFlight is how many operations may run at once (required).
	MaxInFlight int
	Mix         Mix
	// Seed draws each arrival's operation from the mix.
	Seed uint64
	// Window is the width of the timeline's windows (default 1s).
	Window time.Duration
	// Progress, when set, is called about every second with the counts so
	// far, and once at the end.
	Progress func(Progress)
}

// Arrival is one operation due.
type Arrival struct {
	Index int
	Op    string
	// Due is when it is due after the start.
	Due time.Duration
}

// Operation carries out an arrival, at once: it sends its requests and
// tells rec of each answer. It must return when ctx ends.
type Operation func(ctx context.Context, a Arrival, rec *Recorder)

// Progress is how far a run is.
type Progress struct {
	Elapsed  time.Duration
	Arrivals int
	InFlight int
	// Answered counts the requests answered well, Failed the others
	// (dropped arrivals too).
	Answered, Failed uint64
	Last             bool
}

// Run runs arrivals of cfg.Profile at their time, each handed to do on a
// goroutine of its own, until the profile or cfg.Count ends (then it
// waits for those in flight) or cfg.MaxDuration passes or ctx ends (then
// those in flight are cancelled); it reports what the recorder measured.
func Run(ctx context.Context, cfg Config, do Operation) (*Report, error) {
	if err := cfg.Profile.Check(); err != nil {
		return nil, err
	}
	if cfg.MaxDuration <= 0 || cfg.MaxInFlight <= 0 || cfg.Count < 0 {
		return nil, errors.New("load: MaxDuration and MaxInFlight must be positive, Count not negative")
	}
	if cfg.Count == 0 && cfg.Profile.Length() == 0 {
		return nil, errors.New("load: a profile that lasts for ever needs a count")
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	start := time.Now()
	cpu0, cpuKnown := processCPU()
	rec := newRecorder(start, cfg.Window)
	run, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	draw := cfg.Mix.Draws(cfg.Seed)
	slots := make(chan struct{}, cfg.MaxInFlight)
	var inFlight sync.WaitGroup
	var arrivals int
	stopProgress := func() {}
	if cfg.Progress != nil {
		stopProgress = rec.report(cfg.Progress, slots, &arrivals)
	}
	timer := time.NewTimer(0)
	timer.Stop()
	clock := newDueClock()
	defer clock.close()
	stopped, cut := "", false
schedule:
	for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
		due, ok := cfg.Profile.Due(i)
		if !ok {
			break
		}
		if due >= cfg.MaxDuration {
			cut = true // arrivals the profile still brings, due too late
			break
		}
		if !clock.until(run, timer, start.Add(due)) {
			break schedule
		}
		a := Arrival{Index: i, Op: draw(), Due: due}
		rec.mu.Lock()
		arrivals++
		rec.mu.Unlock()
		select {
		case slots <- struct{}{}:
		default:
			rec.Dropped(a)
			continue
		}
		inFlight.Go(func() {
			defer func() { <-slots }()
			do(run, a, rec)
		})
	}
	inFlight.Wait()
	switch {
	case ctx.Err() != nil:
		stopped = "interrupted"
	case run.Err() != nil, cut:
		stopped = "the maximum duration " + cfg.MaxDuration.String() + " passed"
	}
	elapsed := time.Since(start)
	stopProgress()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if cfg.Progress != nil {
		cfg.Progress(rec.progress(elapsed, arrivals, 0, true))
	}
	span := elapsed
	switch {
	case stopped == "":
		span = max(span, cfg.Profile.Span(arrivals))
	case cut:
		// The arrivals stopped at the last one due before the maximum
		// duration: the run lasted to it, the rate offered until then.
		span = max(span, cfg.MaxDuration)
	}
	r := rec.reportOf(span)
	r.Profile, r.Arrivals, r.Stopped, r.Mix, r.Seed = cfg.Profile.String(), arrivals, stopped, cfg.Mix.Weights(), cfg.Seed
	if cpu1, ok := processCPU(); ok && cpuKnown {
		r.GeneratorCPUSeconds = (cpu1 - cpu0).Seconds()
	}
	return r, nil
}

// Recorder takes the answers of a run's requests.
type Recorder struct {
	start  time.Time
	window time.Duration
	mu     sync.Mutex
	ops    map[string]*opRecord
}

// opRecord is what was recorded of one operation.
type opRecord struct {
	all      Histogram
	windows  []*Histogram // by window of the time the request was due
	failures []int        // by window
	errors   map[string]int
}

func newRecorder(start time.Time, window time.Duration) *Recorder {
	return &Recorder{start: start, window: window, ops: map[string]*opRecord{}}
}

// Start is when the run started; an arrival is due at Start plus its Due.
func (r *Recorder) Start() time.Time { return r.start }

// Answered records a request of operation op due at from, answered now
// (the time it returns): well when fault is "", else failed for that
// reason (an HTTP status, "timeout", "transport"…). A request that
// follows another is due when that one was answered. Only the latencies of
// requests answered well are in the histograms.
func (r *Recorder) Answered(op string, from time.Time, fault string) time.Time {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.op(op)
	w := int(max(from.Sub(r.start), 0) / r.window)
	for len(o.windows) <= w {
		o.windows = append(o.windows, &Histogram{})
		o.failures = append(o.failures, 0)
	}
	if fault != "" {
		o.errors[fault]++
		o.failures[w]++
		return now
	}
	d := now.Sub(from)
	o.all.Record(d)
	o.windows[w].Record(d)
	return now
}

// Dropped records an arrival not sent: too many were in flight.
func (r *Recorder) Dropped(a Arrival) {
	r.Answered(a.Op, r.start.Add(a.Due), Dropped)
}

// Dropped is the fault of an arrival due while MaxInFlight operations ran.
const Dropped = "dropped"

func (r *Recorder) op(name string) *opRecord {
	o, ok := r.ops[name]
	if !ok {
		o = &opRecord{errors: map[string]int{}}
		r.ops[name] = o
	}
	return o
}

func (r *Recorder) progress(elapsed time.Duration, arrivals, inFlight int, last bool) Progress {
	p := Progress{Elapsed: elapsed, Arrivals: arrivals, InFlight: inFlight, Last: last}
	for _, o := range r.ops {
		p.Answered += o.all.Count()
		for _, n := range o.errors {
			p.Failed += uint64(n)
		}
	}
	return p
}

// report calls show every second until the returned stop is called.
func (r *Recorder) report(show func(Progress), slots chan struct{}, arrivals *int) (stop func()) {
	tick := time.NewTicker(time.Second)
	var wg sync.WaitGroup
	quit := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				r.mu.Lock()
				p := r.progress(time.Since(r.start), *arrivals, len(slots), false)
				r.mu.Unlock()
				show(p)
			}
		}
	})
	return func() {
		tick.Stop()
		close(quit)
		wg.Wait()
	}
}
