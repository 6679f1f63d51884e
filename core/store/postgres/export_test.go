package postgres

import (
	"context"
	"testing"
)

// CheckHold checks h's connection once, as its keeper does every
// holdCheck, taking the hold again if it lapsed.
func CheckHold(h *Holding) { h.check() }

// EndHoldConnection ends h's connection from the database's side, as a
// restart of the database or pg_terminate_backend does.
func EndHoldConnection(t *testing.T, h *Holding) {
	t.Helper()
	h.mu.Lock()
	pid := h.conn.PgConn().PID()
	h.mu.Unlock()
	ctx := context.Background()
	other, err := Open(h.url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var ended bool
	if err := other.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("ending the hold's connection: %v", err)
	}
	// pg_terminate_backend signals; the session ends, and its lock goes,
	// once the backend has gone: wait for that.
	for {
		var alive bool
		if err := other.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, pid).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			return
		}
	}
}
