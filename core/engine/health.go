package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// Refusals of a serving engine: a command or query given one of these was
// not taken, and changed nothing; the caller may try again later.
var (
	// ErrStoreCannotWrite: the store's last commit (or its write probe)
	// failed, and the engine is retrying it (see StoreFault).
	ErrStoreCannotWrite = errors.New("the store cannot write")
	// ErrOverloaded: the engine or the store is behind (Limits).
	ErrOverloaded = errors.New("the engine is overloaded")
)

// ErrUnconfirmed is the error of a command the engine took but whose step
// is not committed yet when the caller stops waiting (its context ended,
// or the store cannot write): it is applied once the commit succeeds, or
// lost with the process before anyone saw it. A caller that retries must
// make the command idempotent (an Idempotency-Key, an externalId).
var ErrUnconfirmed = errors.New("the command was taken but is not committed yet")

// Limits keep a serving engine answering at once when it falls behind:
// rather than queue a command or a query for seconds, it refuses it with
// ErrOverloaded, and nothing is changed.
type Limits struct {
	// Commands bounds the commands submitted and not yet answered
	// (Command); 0 means 1024.
	Commands int
	// Admission is how long a command may wait for the engine to take
	// it; 0 means a second. A command still waiting then is withdrawn: it
	// is never handled; so is a QueryAdmitted not run by then.
	Admission time.Duration
	// SlowCommit: while a commit has been running for longer, commands
	// are refused; 0 means 2 seconds.
	SlowCommit time.Duration
	// RetryFirst and RetryMax space the attempts at a commit that failed:
	// the first retry after RetryFirst, each next twice as late, at most
	// RetryMax apart; 0 means 100 ms and 2 s.
	RetryFirst, RetryMax time.Duration
}

// withDefaults fills in the zero limits.
func (l Limits) withDefaults() Limits {
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.Commands <= 0 {
		l.Commands = 1024
	}
	set(&l.Admission, time.Second)
	set(&l.SlowCommit, 2*time.Second)
	set(&l.RetryFirst, 100*time.Millisecond)
	set(&l.RetryMax, 2*time.Second)
	return l
}

// StoreFault says why the store cannot write: the error of the last
// attempt, when the first failed and how many have.
type StoreFault struct {
	Err      error
	Since    time.Time
	Attempts int
}

func (f *StoreFault) Error() string {
	return fmt.Sprintf("%s since %s (%d attempts): %v", ErrStoreCannotWrite, f.Since.UTC().Format(time.RFC3339), f.Attempts, f.Err)
}

func (f *StoreFault) Unwrap() []error { return []error{ErrStoreCannotWrite, f.Err} }

// health is what other goroutines may read of a serving engine: whether
// its store writes, how long the commit in progress has run, how many
// commands wait.
type health struct {
	fault atomic.Pointer[StoreFault]
	// stalled: the engine's goroutine waits for a commit; holding: it
	// holds answers until their commits land. Either way a query waits
	// for the store.
	stalled, holding atomic.Bool
	// committing is when the commit in progress began (Unix ns), 0 when
	// none is.
	committing atomic.Int64
	// commands counts the commands submitted and not yet answered or
	// withdrawn.
	commands atomic.Int64
	mu       sync.Mutex
	// broken is closed when the store starts failing, then replaced.
	broken chan struct{}
	log    *slog.Logger
}

// Limits are the engine's limits, defaults filled in.
func (e *Engine) Limits() Limits { return e.limits }

// StoreFault reports why the store cannot write, nil when its last commit
// (and the write probe a serving engine starts with) succeeded. Call it
// from any goroutine.
func (e *Engine) StoreFault() *StoreFault { return e.health.fault.Load() }

// storeFault is the store's fault as an error: ErrStoreCannotWrite when
// it has just written again.
func (e *Engine) storeFault() error {
	if f := e.StoreFault(); f != nil {
		return f
	}
	return ErrStoreCannotWrite
}

// CommandsWaiting counts the commands submitted and not yet answered or
// withdrawn (Limits.Commands bounds it). Call it from any goroutine.
func (e *Engine) CommandsWaiting() int64 { return e.health.commands.Load() }

// LogTo has the engine log what happens to its store (a commit failing,
// the store writing again) to l; by default slog's.
func (e *Engine) LogTo(l *slog.Logger) { e.health.log = l }

// waitsOnStore tells whether what a query would see waits for a commit:
// the engine waits for one, or holds answers until theirs land.
func (h *health) waitsOnStore() bool { return h.stalled.Load() || h.holding.Load() }

// breaking returns the channel closed when the store next starts failing.
func (h *health) breaking() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.broken == nil {
		h.broken = make(chan struct{})
	}
	return h.broken
}

// failed notes a failed attempt to write.
func (h *health) failed(err error) {
	// One goroutine writes (the committer): a load then a store is safe.
	if was := h.fault.Load(); was != nil {
		h.fault.Store(&StoreFault{Err: err, Since: was.Since, Attempts: was.Attempts + 1})
		return
	}
	h.fault.Store(&StoreFault{Err: err, Since: time.Now(), Attempts: 1})
	h.mu.Lock()
	if h.broken != nil {
		close(h.broken)
		h.broken = nil
	}
	h.mu.Unlock()
	h.logger().Error("the store cannot write: commands are refused until it can", "err", err.Error())
}

// wrote notes a successful write.
func (h *health) wrote() {
	if was := h.fault.Swap(nil); was != nil {
		h.logger().Info("the store writes again", "failed_attempts", was.Attempts, "for", time.Since(was.Since).String())
	}
}

func (h *health) logger() *slog.Logger {
	if h.log == nil {
		return slog.Default()
	}
	return h.log
}

// admit takes a command in, or says why not: the store cannot write, a
// commit has run too long, too many commands wait.
func (e *Engine) admit() error {
	h := &e.health
	if f := h.fault.Load(); f != nil {
		return f
	}
	if began := h.committing.Load(); began != 0 {
		if d := time.Since(time.Unix(0, began)); d > e.limits.SlowCommit {
			return fmt.Errorf("%w: the store's commit in progress has taken %s", ErrOverloaded, d.Round(time.Millisecond))
		}
	}
	if n := h.commands.Add(1); n > int64(e.limits.Commands) {
		h.commands.Add(-1)
		return fmt.Errorf("%w: %d commands wait for it", ErrOverloaded, n-1)
	}
	return nil
}

// ticket is a command submitted: where its reply goes once its step is
// committed, and whether the engine has taken it.
type ticket struct {
	reply chan result
	state atomic.Int32 // ticketWaiting, ticketTaken or ticketWithdrawn
	// open is the engine's count of commands not yet answered.
	open *atomic.Int64
	// around runs on the engine's goroutine (CommandWith).
	around Around
}

const (
	ticketWaiting = iota
	ticketTaken
	ticketWithdrawn
)

// take marks the command taken by the engine, unless it was withdrawn.
func (t *ticket) take() bool { return t.state.CompareAndSwap(ticketWaiting, ticketTaken) }

// withdraw takes back a command the engine has not taken yet: it will
// never be handled.
func (t *ticket) withdraw() bool {
	if !t.state.CompareAndSwap(ticketWaiting, ticketWithdrawn) {
		return false
	}
	t.open.Add(-1)
	return true
}

// send delivers r when someone waits for it.
func (t *ticket) send(r result) {
	if t != nil {
		t.reply <- r
		t.open.Add(-1)
	}
}

// retry calls write until it succeeds, waiting longer after each failure
// (Limits.RetryFirst, RetryMax), the store's fault visible meanwhile
// (StoreFault). It gives up only when ctx ends, after at least one
// attempt.
func (e *Engine) retry(ctx context.Context, write func() error) error {
	wait := e.limits.RetryFirst
	for {
		err := write()
		if err == nil {
			e.health.wrote()
			return nil
		}
		e.health.failed(err)
		if errors.Is(err, store.ErrTaken) {
			return err // another server writes the store now: no retry makes this one's writes right
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (stopped while retrying): %w", ErrStoreCannotWrite, err)
		}
		wait = min(2*wait, e.limits.RetryMax)
	}
}
