package engine

import (
	"maps"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
)

// LatencyBuckets are the upper bounds of the adapter latency histogram, in
// virtual time: a second, ten seconds, a minute, ten minutes, an hour, a
// day, a week. A slower call counts in the last, unbounded bucket. The
// twin answers in virtual time, so latency is measured on the engine's
// clock: from the step that dispatched a call to the time of its final
// answer.
var LatencyBuckets = [...]time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute,
	time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Histogram counts the final answers of one system's calls by latency.
type Histogram struct {
	// Buckets[i] counts the answers no slower than LatencyBuckets[i] and
	// slower than the bucket before (not cumulative); the last counts
	// those slower than every bound.
	Buckets [len(LatencyBuckets) + 1]uint64
	// Count is the number of answers, Sum their latencies added up.
	Count uint64
	Sum   time.Duration
}

// observe counts one answer that took d.
func (h *Histogram) observe(d time.Duration) {
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	h.Buckets[i]++
	h.Count++
	h.Sum += d
}

// latencies measures adapter calls: when each call in flight went out, by
// its idempotency key, and a histogram per system. A call answered more
// than once (a repeated key) counts once, at its first final answer. A
// call never answered stays in flight: the map holds only the calls an
// adapter still owes an answer.
type latencies struct {
	inFlight map[string]sent
	systems  map[port.System]*Histogram
}

// sent is a call in flight: its system and when it went out.
type sent struct {
	sys port.System
	at  time.Duration
}

// sent notes that req went out at at.
func (l *latencies) sent(req *port.Request, at time.Duration) {
	if l.inFlight == nil {
		l.inFlight = map[string]sent{}
	}
	if _, ok := l.inFlight[req.Key]; !ok {
		l.inFlight[req.Key] = sent{req.System, at}
	}
}

// answered counts the final answer to the call with key, given at at.
func (l *latencies) answered(key string, at time.Duration) {
	call, ok := l.inFlight[key]
	if !ok {
		return
	}
	delete(l.inFlight, key)
	h := l.systems[call.sys]
	if h == nil {
		if l.systems == nil {
			l.systems = map[port.System]*Histogram{}
		}
		h = new(Histogram)
		l.systems[call.sys] = h
	}
	h.observe(at - call.at)
}

// saved is the histograms and the calls in flight, in a snapshot's
// order (by system, by key).
func (l *latencies) saved() ([]savedHistogram, []savedSent) {
	var hs []savedHistogram
	for _, sys := range slices.Sorted(maps.Keys(l.systems)) {
		hs = append(hs, savedHistogram{sys, *l.systems[sys]})
	}
	var ws []savedSent
	for _, k := range slices.Sorted(maps.Keys(l.inFlight)) {
		c := l.inFlight[k]
		ws = append(ws, savedSent{k, c.sys, c.at})
	}
	return hs, ws
}

// restore sets the histograms and the calls in flight a snapshot saved.
func (l *latencies) restore(hs []savedHistogram, ws []savedSent) {
	l.systems, l.inFlight = nil, nil
	for _, h := range hs {
		if l.systems == nil {
			l.systems = map[port.System]*Histogram{}
		}
		l.systems[h.System] = &h.Histogram
	}
	for _, w := range ws {
		if l.inFlight == nil {
			l.inFlight = map[string]sent{}
		}
		l.inFlight[w.Key] = sent{w.System, w.At}
	}
}

// AdapterLatency returns a copy of the latency histogram of every system
// that has answered a call. Read it on the engine's goroutine (Query).
func (e *Engine) AdapterLatency() map[port.System]Histogram {
	out := make(map[port.System]Histogram, len(e.latency.systems))
	for sys, h := range e.latency.systems {
		out[sys] = *h
	}
	return out
}
