package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrHeld: another process holds the store (a server serving it).
var ErrHeld = errors.New("the store is held by another process (a server serving it): stop it first")

// holdSQL and unholdSQL take and let go of the hold: a session advisory
// lock keyed by the schema the store's tables are in (the first of the
// connection's search_path).
const (
	holdSQL   = `SELECT pg_try_advisory_lock(hashtext('ordertwin store ' || coalesce(current_schema(), '')))`
	unholdSQL = `SELECT pg_advisory_unlock(hashtext('ordertwin store ' || coalesce(current_schema(), '')))`
)

// holdCheck is how often a hold's connection is checked, and taken again
// once the database has let it go.
const holdCheck = 2 * time.Second

// Holding is a server's hold on a store (Hold), until Release.
type Holding struct {
	url  string
	mu   sync.Mutex
	conn *pgx.Conn // nil while the hold is lapsed
	stop chan struct{}
	done chan struct{}
}

// Hold takes the store at url for the caller alone, until Release: a
// server holds its store while it serves, so that no two engines write
// one journal. The hold is a session advisory lock on a connection of its
// own: the database lets it go when the connection ends, however the
// holder ends. A store already held is ErrHeld.
//
// The database also lets it go when it restarts or ends the connection
// while the holder runs on: the holding checks its connection every
// holdCheck and takes the lock again on a new one. Should another server
// have taken the store meanwhile, the store the holder opened with it
// (Options.Held) refuses every write from then on (store.ErrTaken).
func Hold(url string) (*Holding, error) {
	conn, err := takeHold(url)
	if err != nil {
		return nil, err
	}
	h := &Holding{url: url, conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	go h.keep()
	return h, nil
}

// takeHold connects and takes the lock, or says why not.
func takeHold(url string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("hold: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, holdSQL).Scan(&got); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("hold: %w", err)
	}
	if !got {
		conn.Close(ctx)
		return nil, fmt.Errorf("hold: %w", ErrHeld)
	}
	return conn, nil
}

// keep checks the hold's connection until Release, taking the hold again
// when the connection has ended.
func (h *Holding) keep() {
	defer close(h.done)
	t := time.NewTicker(holdCheck)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.check()
	}
}

// check checks the hold's connection, taking the hold again on a new one
// when the connection has ended.
func (h *Holding) check() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), holdCheck)
		if h.conn.Ping(ctx) != nil {
			h.conn.Close(ctx)
			h.conn = nil
		}
		cancel()
	}
	if h.conn == nil {
		// Taken again, unless the database is still away or another
		// server holds it now (its epoch fences this one's writes).
		h.conn, _ = takeHold(h.url)
	}
}

// Held tells whether the hold is in place now (not lapsed).
func (h *Holding) Held() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn != nil
}

// Release lets the store go. The lock is let go before the connection
// ends: the server ends a session after the client has gone, so a hold
// taken at once after the release could find the lock still held.
func (h *Holding) Release() error {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	_, err := h.conn.Exec(ctx, unholdSQL)
	return errors.Join(err, h.conn.Close(ctx))
}
