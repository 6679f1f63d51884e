package store

import (
	"context"
	"fmt"
	"sync"
)

// Entry is a committed record and its place in the journal: seq grows
// by one with every record, from 1, and is never reused.
type Entry struct {
	Seq int64
	Record
}

// ReadAfter reads up to limit committed records after seq (all of them
// when limit < 0) from where a store keeps them, in order. A store's
// reader uses an index on seq: its cost follows the records read, not
// the journal's size.
type ReadAfter func(ctx context.Context, seq int64, limit int) ([]Entry, error)

// Feed is a store's committed records, "the records after seq N", for the
// readers in the process: the hub notifier, the metrics, a stream to a
// page. The store publishes every commit to it once the commit is
// durable, in commit order, so a reader of the feed never sees a record a
// crash could take back (docs/architecture.md §2).
//
// While someone reads it (Subscribe), the feed keeps the latest records
// in memory (a window of a fixed number of records): a reader in step
// with the commits is handed them from there and never reads the store.
// A reader behind the window (a listener's cursor after a restart, a
// reader slower than the commits) is served by the store's own reader,
// by seq range. With no subscriber the feed keeps nothing, and a commit
// costs it a counter.
type Feed struct {
	read ReadAfter

	mu   sync.Mutex
	last int64
	// ring holds the records seq last-len+1 … last at ring[seq%cap];
	// nil while nobody subscribed.
	ring   []Entry
	len    int
	window int
	subs   map[*Subscription]struct{}
	// watchers are told each commit on the committing goroutine.
	watchers []func(first int64, records []Record)
}

// DefaultWindow is how many records a feed keeps for its subscribers.
const DefaultWindow = 16384

// NewFeed returns the feed of a store whose last committed record is
// last, which reads records behind the window with read.
func NewFeed(last int64, window int, read ReadAfter) *Feed {
	return &Feed{read: read, last: last, window: max(window, 1)}
}

// Compacted is the error of a read of records behind the point a store's
// journal was compacted at: records 1 to RecordsCompacted are in its
// archive, no longer in the store.
type Compacted interface {
	error
	RecordsCompacted() int64
}

// Feeder is a store with a feed of its commits.
type Feeder interface {
	Feed() *Feed
}

// FeedOf returns the feed of j, or of the journal it resumes; ok is false
// when it has none.
func FeedOf(j Journal) (f *Feed, ok bool) {
	if r, isResumed := j.(*Resumed); isResumed {
		j = r.Journal
	}
	if fd, has := j.(Feeder); has {
		return fd.Feed(), true
	}
	return nil, false
}

// Publish hands the feed the records of one commit, numbered from first.
// The store calls it after the commit is durable, in commit order, never
// twice for one commit. It copies what it keeps: the caller may reuse
// records.
func (f *Feed) Publish(first int64, records []Record) {
	if len(records) == 0 {
		return
	}
	f.mu.Lock()
	if first != f.last+1 {
		f.mu.Unlock()
		panic(fmt.Sprintf("store: feed: commit from record %d after record %d", first, f.last)) // a store's broken invariant
	}
	f.last += int64(len(records))
	if f.ring == nil && len(f.watchers) == 0 {
		f.mu.Unlock()
		return
	}
	if f.ring != nil {
		c := int64(len(f.ring))
		for i := range records {
			seq := first + int64(i)
			f.ring[seq%c] = Entry{seq, records[i]}
		}
		f.len = min(f.len+len(records), len(f.ring))
		for s := range f.subs {
			s.signal()
		}
	}
	watchers := f.watchers
	f.mu.Unlock()
	for _, w := range watchers {
		w(first, records)
	}
}

// Last is the seq of the last record committed, 0 before the first.
func (f *Feed) Last() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// After returns up to limit records after seq (limit > 0), in order: from
// the window when it holds them, else from the store. It returns none
// when seq is the last record.
func (f *Feed) After(ctx context.Context, seq int64, limit int) ([]Entry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("feed: records after %d: limit %d, want more than 0", seq, limit)
	}
	f.mu.Lock()
	last := f.last
	if seq >= last {
		f.mu.Unlock()
		return nil, nil
	}
	if seq < 0 {
		seq = 0
	}
	n := int(min(int64(limit), last-seq))
	if oldest := last - int64(f.len) + 1; f.ring != nil && seq+1 >= oldest {
		out := make([]Entry, n)
		c := int64(len(f.ring))
		for i := range out {
			out[i] = f.ring[(seq+1+int64(i))%c]
		}
		f.mu.Unlock()
		return out, nil
	}
	f.mu.Unlock()
	out, err := f.read(ctx, seq, n)
	if err != nil {
		return nil, fmt.Errorf("feed: records after %d: %w", seq, err)
	}
	return out, nil
}

// Subscription tells a reader that records were committed: C has a value
// after each commit (one value stands for any number of commits).
type Subscription struct {
	f *Feed
	c chan struct{}
}

// Subscribe starts keeping the window, if nobody did yet, and returns a
// subscription to the commits from now on. Close it when done.
func (f *Feed) Subscribe() *Subscription {
	s := &Subscription{f: f, c: make(chan struct{}, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ring == nil {
		f.ring = make([]Entry, f.window)
		f.len = 0
	}
	if f.subs == nil {
		f.subs = map[*Subscription]struct{}{}
	}
	f.subs[s] = struct{}{}
	return s
}

// C has a value when records were committed since it was last read.
func (s *Subscription) C() <-chan struct{} { return s.c }

func (s *Subscription) signal() {
	select {
	case s.c <- struct{}{}:
	default: // a signal is pending already
	}
}

// Close ends the subscription; the last one to close lets the window go.
func (s *Subscription) Close() {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, s)
	if len(f.subs) == 0 {
		f.ring, f.len = nil, 0
	}
}

// Watch has fn told the records of each commit from now on, the first
// numbered first, on the goroutine that committed them, after the commit
// is durable and in commit order. fn must return quickly: the next commit
// waits for it. The records are the committer's: fn copies what it keeps.
func (f *Feed) Watch(fn func(first int64, records []Record)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watchers = append(f.watchers[:len(f.watchers):len(f.watchers)], fn)
}
