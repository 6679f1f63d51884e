package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// The writer does not checkpoint the WAL itself (wal_autocheckpoint(0)):
// SQLite's automatic checkpoint runs inside the commit that crosses its
// threshold and held it up for milliseconds, the tail of every command's
// latency. A checkpointer with a connection of its own copies the WAL into
// the file instead, PASSIVE (it never waits for the writer): every
// checkpointEvery, and as soon as checkpointBytes have been committed
// since its last run. A checkpoint that fails (a full disk) is tried again
// at the next.
//
// A passive checkpoint still holds the writer up while it copies: a
// transaction that begins meanwhile waits in SQLite's busy handler (1, 2,
// 5, 10 … ms). At 500 orders a second a checkpoint every 5 s copied 30,000
// frames in 150-400 ms, and the commits behind it waited 180 ms, the
// p99.9 of every answer; one every 100 ms copies a few thousand in about
// 10 ms, and no commit waits for it past the first steps of the busy
// handler.
const (
	checkpointEvery = 100 * time.Millisecond
	checkpointBytes = 16 << 20
)

// walFrames bounds the WAL (frames of a page, 4 KiB by default: 64 MiB);
// see restart. A variable: tests lower it.
var walFrames = 16384

type checkpointer struct {
	db      *sql.DB
	nudge   chan struct{}
	stop    chan struct{}
	done    chan struct{}
	written int // bytes committed since the last nudge; the writer's, under Store.mu
	// dirty says something was committed since the last run: an idle
	// store is not checkpointed ten times a second for nothing.
	dirty atomic.Bool
	// long is set when a passive run leaves more than walFrames frames in
	// the WAL: the writer starts it over (restart) before its next commit.
	long atomic.Bool
	// tried is when the writer last tried to and could not; the writer's.
	tried time.Time
	// ran is closed and replaced after each run.
	ranMu sync.Mutex
	ran   chan struct{}
}

// after returns a channel closed once a run that begins after the call
// has ended, and wakes the checkpointer for it.
func (c *checkpointer) after() <-chan struct{} {
	c.ranMu.Lock()
	ch := c.ran
	c.ranMu.Unlock()
	c.dirty.Store(true)
	select {
	case c.nudge <- struct{}{}:
	default:
	}
	return ch
}

// startCheckpointer checkpoints file's WAL until close.
func startCheckpointer(file string) (*checkpointer, error) {
	q := url.Values{"_pragma": {"busy_timeout(5000)"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, nudge: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), ran: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			if !c.dirty.Swap(false) {
				continue
			}
		case <-c.nudge:
			c.dirty.Store(false)
		}
		c.ranMu.Lock()
		was := c.ran
		c.ran = make(chan struct{})
		c.ranMu.Unlock()
		c.checkpoint()
		close(was)
	}
}

// checkpoint copies the WAL into the file without waiting (PASSIVE). Under
// a writer that never pauses such a checkpoint never catches up with the
// last frame, and SQLite starts the WAL over only once one has: the WAL
// would grow with everything written (gigabytes in a soak). When it holds
// more than walFrames frames after a passive run, the writer starts it
// over before its next commit (restart). Should it fail to for long (a
// reader holding an old snapshot all that time), at four times walFrames
// the checkpointer does it, waiting for the writer's commit in progress and
// holding the next one up, like a reader: the WAL stays bounded. A failure
// is tried again at the next run.
func (c *checkpointer) checkpoint() {
	var busy, frames, copied int
	if err := c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil || frames <= walFrames {
		return
	}
	if frames <= 4*walFrames {
		c.long.Store(true)
		return
	}
	_, _ = c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
}

// busyMillis is how long the writer waits for a lock another connection
// holds (busy_timeout).
const busyMillis = 5000

// restartEvery is how often at most the writer tries again to start a
// long WAL over when readers kept it from doing so.
const restartEvery = 50 * time.Millisecond

// restart starts a long WAL over (checkpoint), on the writer's connection
// db, between two of its transactions: it copies what the last passive
// run left (little) and has the next commit write the WAL from its start
// (RESTART: the file keeps its size, and is written over; truncating it
// too cost the commit behind it 40-65 ms against 15-30), without waiting
// (a busy timeout of 0): if a reader still needs the WAL, or the
// checkpointer is running, it tries again at a later commit. The writer
// holds no lock of its own meanwhile, so nothing waits in a busy handler.
func (c *checkpointer) restart(db *sql.DB) {
	if !c.long.Load() || time.Since(c.tried) < restartEvery {
		return
	}
	var busy, frames, copied int
	_, err := db.Exec(`PRAGMA busy_timeout = 0`)
	if err == nil {
		err = db.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
		if _, rerr := db.Exec(fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyMillis)); err == nil {
			err = rerr
		}
	}
	if err != nil || busy != 0 {
		c.tried = time.Now()
		return
	}
	c.long.Store(false)
}

// wrote counts n bytes committed, and wakes the checkpointer once enough
// have been since its last run.
func (c *checkpointer) wrote(n int) {
	c.dirty.Store(true)
	if c.written += n; c.written < checkpointBytes {
		return
	}
	c.written = 0
	select {
	case c.nudge <- struct{}{}:
	default: // it is already awake
	}
}

// close stops the checkpointer; the writer's connection, the last to
// close, checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
