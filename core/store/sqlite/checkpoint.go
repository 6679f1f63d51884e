package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"
)

// The writer does not checkpoint the WAL itself (wal_autocheckpoint(0)):
// SQLite's automatic checkpoint runs inside the commit that crosses its
// threshold and held it up for milliseconds, the tail of every command's
// latency. A checkpointer with a connection of its own copies the WAL into
// the file instead, PASSIVE (it never waits for the writer, nor holds it
// up): every checkpointEvery, and as soon as checkpointBytes have been
// committed since its last run. A checkpoint that fails (a full disk) is
// tried again at the next.
const (
	checkpointEvery = 5 * time.Second
	checkpointBytes = 16 << 20
)

// walFrames bounds the WAL (frames of a page, 4 KiB by default: 64 MiB);
// see checkpoint. A variable: tests lower it.
var walFrames = 16384

type checkpointer struct {
	db      *sql.DB
	nudge   chan struct{}
	stop    chan struct{}
	done    chan struct{}
	written int // bytes committed since the last nudge; the writer's, under Store.mu
}

// startCheckpointer checkpoints file's WAL until close.
func startCheckpointer(file string) (*checkpointer, error) {
	q := url.Values{"_pragma": {"busy_timeout(5000)"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, nudge: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
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
		case <-c.nudge:
		}
		c.checkpoint()
	}
}

// checkpoint copies the WAL into the file without waiting (PASSIVE). Under
// a writer that never pauses such a checkpoint never catches up with the
// last frame, and SQLite starts the WAL over only once one has: the WAL
// would grow with everything written (gigabytes in a soak). When it holds
// more than walFrames frames after a passive run, the checkpointer waits
// for the writer's commit in progress, holds the next one up while it
// copies what is left (little: the passive run copied the rest), and
// truncates the WAL (TRUNCATE): a pause of milliseconds, once every
// walFrames frames, for a WAL bounded by them. A failure is tried again at
// the next run.
func (c *checkpointer) checkpoint() {
	var busy, frames, copied int
	if err := c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil || frames <= walFrames {
		return
	}
	_, _ = c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
}

// wrote counts n bytes committed, and wakes the checkpointer once enough
// have been since its last run.
func (c *checkpointer) wrote(n int) {
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
