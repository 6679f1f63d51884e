package load

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// The SVG's geometry: two plots one above the other.
const (
	svgWidth  = 900
	plotLeft  = 70
	plotRight = 860
	plotH     = 260
	top1      = 40  // latency over time
	top2      = 380 // histogram
	svgHeight = 700
)

var opColours = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// WriteSVG draws the report: above, each operation's p50 (thin) and p99
// (thick) latency per window over the run, on a log scale; below, each
// operation's latency histogram (requests per bucket, ten buckets a
// decade, log latency).
func (r *Report) WriteSVG(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", svgWidth, svgHeight)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">%s — %s</text>`+"\n", plotLeft, esc(r.Target), esc(r.Profile))
	names := slices.Sorted(maps.Keys(r.Operations))
	lo, hi := r.latencyRange()
	ly := logAxis(lo, hi, top1+plotH, top1)
	span := math.Max(float64(len(r.Timeline))*r.WindowSeconds, r.WindowSeconds)
	tx := func(s float64) float64 { return plotLeft + (plotRight-plotLeft)*s/span }
	frame(&b, top1, "latency (ms) by when due: p50 thin, p99 thick; seconds from the start")
	for _, v := range decades(lo, hi) {
		tick(&b, plotLeft, ly(v), fmt.Sprintf("%g", v))
	}
	for s := 0.0; s <= span; s += niceStep(span) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%g</text>`+"\n", tx(s), top1+plotH+15, s)
	}
	for i, name := range names {
		colour := opColours[i%len(opColours)]
		for _, q := range []struct {
			of    func(WindowMeasure) float64
			width float64
		}{{func(m WindowMeasure) float64 { return m.P50 }, 1}, {func(m WindowMeasure) float64 { return m.P99 }, 2.5}} {
			var pts []string
			for _, win := range r.Timeline {
				if m, ok := win.Ops[name]; ok && m.OK > 0 {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", tx(win.Start+r.WindowSeconds/2), ly(math.Max(q.of(m), lo))))
				}
			}
			if len(pts) > 0 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%g" points="%s"/>`+"\n", colour, q.width, strings.Join(pts, " "))
			}
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", plotRight-80, top1+15+15*i, colour, esc(name))
	}

	// The histogram: counts regrouped ten buckets a decade.
	lx := logAxisX(lo, hi)
	var most float64
	groups := map[string]map[int]float64{}
	for _, name := range names {
		g := map[int]float64{}
		for _, bk := range r.Operations[name].Histogram {
			k := int(math.Floor(10 * math.Log10(math.Max(bk.UpToMs, lo))))
			g[k] += float64(bk.Count)
			most = math.Max(most, g[k])
		}
		groups[name] = g
	}
	frame(&b, top2, "requests by latency (ms), ten buckets a decade")
	for _, v := range decades(lo, hi) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%g</text>`+"\n", lx(v), top2+plotH+15, v)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%g</text>`+"\n", plotLeft-5, top2+10, most)
	cy := func(n float64) float64 { return top2 + plotH - plotH*n/math.Max(most, 1) }
	for i, name := range names {
		g := groups[name]
		var pts []string
		for _, k := range slices.Sorted(maps.Keys(g)) {
			x0, x1 := lx(math.Pow(10, float64(k)/10)), lx(math.Pow(10, float64(k+1)/10))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", x0, cy(0), x0, cy(g[k]), x1, cy(g[k]), x1, cy(0)))
		}
		colour := opColours[i%len(opColours)]
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", colour, strings.Join(pts, " "))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", plotRight-80, top2+15+15*i, colour, esc(name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyRange is the decades the latencies span, in ms.
func (r *Report) latencyRange() (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for _, o := range r.Operations {
		for _, b := range o.Histogram {
			lo, hi = math.Min(lo, b.UpToMs), math.Max(hi, b.UpToMs)
		}
	}
	if hi == 0 {
		return 0.1, 1
	}
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 0.001))))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

func logAxis(lo, hi, y0, y1 float64) func(float64) float64 {
	return func(v float64) float64 {
		return y0 + (y1-y0)*(math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
	}
}

func logAxisX(lo, hi float64) func(float64) float64 { return logAxis(lo, hi, plotLeft, plotRight) }

func decades(lo, hi float64) []float64 {
	var out []float64
	for v := lo; v <= hi*1.0001; v *= 10 {
		out = append(out, v)
	}
	return out
}

func niceStep(span float64) float64 {
	step := math.Pow(10, math.Floor(math.Log10(span)))
	for span/step > 10 {
		step *= 2
	}
	return step
}

func frame(b *strings.Builder, top int, title string) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", plotLeft, top, plotRight-plotLeft, plotH)
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", plotLeft, top-5, esc(title))
}

func tick(b *strings.Builder, x int, y float64, label string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x, y, plotRight, y)
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x-5, y+4, label)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return escaper.Replace(s) }
