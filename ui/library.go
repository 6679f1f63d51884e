package ui

import (
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
)

// LibraryPath lists the scenario library built into the binary, for the
// what-ifs and the scenario runs of the console.
const LibraryPath = "/ordertwin/v1/scenario"

// libraryEntry is a scenario of the library as the console lists it.
type libraryEntry struct {
	ID     string      `json:"id"` // its file, such as "globaltech-5site.yaml"
	Href   string      `json:"href"`
	Name   string      `json:"name"`
	Seed   uint64      `json:"seed"`
	Orders int         `json:"orders"`
	Sites  int         `json:"sites"`
	Waves  []waveEntry `json:"waves"`
	Faults []string    `json:"faults"`
	// Network is the name of the twin's network it runs on.
	Network string `json:"network"`
}

type waveEntry struct {
	Name   string `json:"name"`
	Target string `json:"target,omitempty"`
}

// lib is the library built into the binary, loaded when first asked.
var lib library

// library loads the scenarios of the library once, and keeps them.
type library struct {
	once    sync.Once
	err     error
	entries []libraryEntry
	loaded  map[string]*scenarios.Scenario
}

// libraryScenario is a scenario of the library with the bodies of its
// quotes (TMF648 POST quote), as `ordertwin submit` sends them: what the
// console's order form starts from.
type libraryScenario struct {
	libraryEntry
	Quote []tmf648.QuoteBody `json:"quote"`
}

func (l *library) load() error {
	l.once.Do(func() {
		names, err := fs.Glob(scenarios.Library, "*.yaml")
		if err != nil {
			l.err = err
			return
		}
		l.loaded = map[string]*scenarios.Scenario{}
		for _, name := range names {
			sc, err := scenarios.LoadLibrary(name)
			if err != nil {
				l.err = fmt.Errorf("the scenario library: %w", err)
				return
			}
			l.loaded[name] = sc
			e := libraryEntry{ID: name, Href: LibraryPath + "/" + name, Name: sc.Name, Seed: sc.Spec.Seed,
				Orders: len(sc.Spec.Orders), Waves: []waveEntry{}, Faults: []string{}, Network: sc.Spec.Network.Name}
			for _, p := range sc.Spec.Orders {
				e.Sites += len(p.Quote.Sites)
				for _, w := range p.Quote.Waves {
					we := waveEntry{Name: w.Name}
					if w.Target > 0 {
						we.Target = tmf.FormatOffset(w.Target)
					}
					e.Waves = append(e.Waves, we)
				}
			}
			for _, f := range sc.Spec.Faults {
				e.Faults = append(e.Faults, f.Name)
			}
			l.entries = append(l.entries, e)
		}
	})
	return l.err
}

// scenario is the library's scenario called name (its file), or a 400
// naming those there are.
func (l *library) scenario(field, name string) (*scenarios.Scenario, *tmf630.Error) {
	if err := l.load(); err != nil {
		return nil, tmf630.NewError(http.StatusInternalServerError, err.Error())
	}
	if sc, ok := l.loaded[path.Clean(name)]; ok && name != "" {
		return sc, nil
	}
	known := make([]string, 0, len(l.entries))
	for _, e := range l.entries {
		known = append(known, e.ID)
	}
	slices.Sort(known)
	return nil, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("%s: no scenario %q in the library (known: %s)", field, name, strings.Join(known, ", ")))
}

func (l *library) list(w http.ResponseWriter, _ *http.Request) {
	if err := l.load(); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, l.entries)
}

func (l *library) one(w http.ResponseWriter, r *http.Request) {
	if err := l.load(); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	id := r.PathValue("id")
	for _, e := range l.entries {
		if e.ID == id {
			sc := l.loaded[id]
			out := libraryScenario{libraryEntry: e, Quote: []tmf648.QuoteBody{}}
			for _, p := range sc.Spec.Orders {
				out.Quote = append(out.Quote, quoteBody(sc, p))
			}
			tmf630.WriteJSON(w, http.StatusOK, out)
			return
		}
	}
	tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no scenario "+tmf630.Quote(id)+" in the library"))
}

// quoteBody is the body of POST quote for a placement of sc, in its
// offering's currency.
func quoteBody(sc *scenarios.Scenario, p scenarios.Placement) tmf648.QuoteBody {
	currency := ""
	if o, err := sc.Spec.Catalog.Offering(p.Quote.Offering); err == nil {
		currency = o.Currency
	}
	return tmf648.NewQuoteBody(p.Quote, currency)
}
