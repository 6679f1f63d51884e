package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Kind is a kind of fault.
type Kind string

// The kinds of fault a run injects.
const (
	// Kill ends the server with SIGKILL and starts it again on its store.
	Kill Kind = "kill"
	// Pause stops the server with SIGSTOP for a while, then SIGCONT.
	Pause Kind = "pause"
	// ListenerDown makes the run's hub listener answer 503 for a while.
	ListenerDown Kind = "listener-down"
	// ListenerSlow makes the run's hub listener take a second an event
	// for a while.
	ListenerSlow Kind = "listener-slow"
	// Twin injects a fault into the running twin: the next few NETCONF
	// calls to the access network fail, transiently.
	Twin Kind = "twin"
	// DiskFull fills the filesystem the server's store is on (a small
	// tmpfs the run mounts) for a while, then frees it.
	DiskFull Kind = "disk-full"
)

// Kinds are the kinds a run may name, in the order the docs list them.
var Kinds = []Kind{Kill, Pause, ListenerDown, ListenerSlow, Twin, DiskFull}

// ParseKinds reads a comma-separated list of kinds.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, f := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(f))
		if !slices.Contains(Kinds, k) {
			names := make([]string, len(Kinds))
			for i, k := range Kinds {
				names[i] = string(k)
			}
			return nil, fmt.Errorf("fault kind %q: want one of %s", k, strings.Join(names, ", "))
		}
		if slices.Contains(out, k) {
			return nil, fmt.Errorf("fault kind %s given twice (the kinds take turns: each comes as often as the others)", k)
		}
		out = append(out, k)
	}
	return out, nil
}

// Fault is one fault of a run's schedule.
type Fault struct {
	// At is when it hits, from the run's start; For how long it lasts
	// (zero for a kill: the restart takes what it takes).
	At   time.Duration `json:"-"`
	For  time.Duration `json:"-"`
	Kind Kind          `json:"kind"`
	// Name is its name in the report and, for a twin fault, the twin's.
	Name string `json:"name"`
}

// Plan spreads n faults over a run of length d, one in each of n equal
// slots of its middle part (from a twentieth of the run to its last
// fifth, so that the run starts clean and has time to settle), at a
// random moment of its slot; the kinds take turns in a random order, so
// that each kind asked for comes as often as the others. The same seed
// gives the same plan.
func Plan(seed uint64, d time.Duration, n int, kinds []Kind) ([]Fault, error) {
	switch {
	case n <= 0:
		return nil, nil
	case len(kinds) == 0:
		return nil, fmt.Errorf("%d faults of no kind", n)
	case d <= 0:
		return nil, fmt.Errorf("faults over a run of %s", d)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6368616f73)) // "chaos"
	begin, end := d/20, d*4/5
	slot := (end - begin) / time.Duration(n)
	if slot < 200*time.Millisecond {
		return nil, fmt.Errorf("%d faults in %s: at most one every 200ms (make the run longer or the faults fewer)", n, d)
	}
	order := slices.Clone(kinds)
	faults := make([]Fault, n)
	for i := range faults {
		if i%len(order) == 0 {
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		}
		k := order[i%len(order)]
		start := begin + time.Duration(i)*slot
		// It hits in the first half of its slot and lasts at most a third
		// of it: faults never overlap, and the server has time between.
		at := start + time.Duration(rng.Int64N(int64(slot/2)))
		var last time.Duration
		if k != Kill && k != Twin {
			last = slot/6 + time.Duration(rng.Int64N(int64(slot/6)))
		}
		faults[i] = Fault{At: at, For: last, Kind: k, Name: fmt.Sprintf("%s-%d", k, i+1)}
	}
	return faults, nil
}
