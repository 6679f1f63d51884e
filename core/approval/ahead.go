package approval

import (
	"sync"
	"sync/atomic"
)

// An Ahead signs decisions ahead of their caller: Start hands a decision that
// is about to be made to a goroutine of its own, and Sign, when the
// decision is made, takes that signature instead of signing then. A
// signature is a function of the key and the decision alone (its nonce is
// drawn from both, RFC 6979): one signed ahead is the one Sign would make,
// and Sign takes it only for the same key and decision. A decision Sign
// finds started is waited for if it is being signed, else signed by Sign
// (nothing waits behind a queue). The zero Ahead is ready; it is safe
// for use by several goroutines.
//
// The engine's loop decides a quote's approval stage when the workflow's
// answer is due; the answer and its time are known when it is queued
// (engine.Anticipator): signing it then, on another core, takes about a
// quarter of the loop's work off it at 500 orders a second.
type Ahead struct {
	mu      sync.Mutex
	started map[signing]*signingJob
	// order is the signings started, oldest first, for the bound; one no
	// longer in started was taken.
	order []signing
	// matched counts the decisions Sign found started.
	matched atomic.Uint64
}

// aheadJobs are the signings started by every Ahead, signed in turn by
// one goroutine (about 40 µs each: one goroutine signs 25,000 a second).
var (
	aheadJobs  = make(chan *signingJob, maxStarted)
	aheadStart sync.Once
)

// maxStarted bounds the signings started and not taken (a decision that
// never comes, such as a quote cancelled in review, is let go first).
const maxStarted = 4096

// signing names a signature: a key and what Sign signs of a decision.
type signing struct {
	key                         *Key
	quote, stage, digest, cause string
	approved                    bool
	at                          int64
}

func signingOf(k *Key, d Decision) signing {
	return signing{key: k, quote: d.Quote, stage: d.Stage, digest: d.Digest, cause: d.Reason, approved: d.Approved, at: d.At.Unix()}
}

// A signingJob is a signature started: state says whether it is queued,
// taken by a signer, or done (then event and err are set).
type signingJob struct {
	k     *Key
	d     Decision
	state atomic.Int32
	done  chan struct{}
	event string
	err   error
}

const (
	jobQueued int32 = iota
	jobTaken
)

// Start begins signing d with k beside the caller, unless the signer is
// as far behind as the bound.
func (s *Ahead) Start(k *Key, d Decision) {
	id := signingOf(k, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started == nil {
		s.started = map[signing]*signingJob{}
		aheadStart.Do(func() { go signJobs(aheadJobs) })
	}
	if _, ok := s.started[id]; ok {
		return
	}
	for len(s.order) > 0 && len(s.started) >= maxStarted {
		delete(s.started, s.order[0])
		s.order = s.order[1:]
	}
	if len(s.order) >= 2*maxStarted {
		// Most are taken: keep those still started.
		kept := s.order[:0]
		for _, o := range s.order {
			if _, ok := s.started[o]; ok {
				kept = append(kept, o)
			}
		}
		clear(s.order[len(kept):])
		s.order = kept
	}
	j := &signingJob{k: k, d: d, done: make(chan struct{})}
	select {
	case aheadJobs <- j:
		s.started[id] = j
		s.order = append(s.order, id)
	default: // the signer is that far behind: Sign signs it then
	}
}

// signJobs signs the jobs queued, each one not taken back by Sign.
func signJobs(jobs <-chan *signingJob) {
	for j := range jobs {
		if !j.state.CompareAndSwap(jobQueued, jobTaken) {
			continue
		}
		j.event, j.err = j.k.Sign(j.d)
		close(j.done)
	}
}

// Sign returns d signed by k: as Start began it, when it did, else signed
// now.
func (s *Ahead) Sign(k *Key, d Decision) (string, error) {
	id := signingOf(k, d)
	s.mu.Lock()
	j := s.started[id]
	delete(s.started, id)
	s.mu.Unlock()
	if j != nil {
		s.matched.Add(1)
	}
	if j == nil || j.state.CompareAndSwap(jobQueued, jobTaken) {
		return k.Sign(d) // none started, or not begun yet: no waiting behind others
	}
	<-j.done
	return j.event, j.err
}

// Matched counts the decisions Sign found started: signed beside the
// caller, or by Sign when the signer had not come to them yet.
func (s *Ahead) Matched() uint64 { return s.matched.Load() }
