package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrHeld: another process holds the store (a server serving it).
var ErrHeld = errors.New("the store is held by another process (a server serving it): stop it first")

// Hold takes the store at url for the caller alone, until release: a
// server holds its store while it serves, so that no two engines write
// one journal. The hold is a session advisory lock on a connection of its
// own, keyed by the schema the store's tables are in (the first of the
// connection's search_path): the database lets it go when the connection
// ends, however the holder ends. A store already held is ErrHeld.
func Hold(url string) (release func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("hold: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('ordertwin store ' || coalesce(current_schema(), '')))`).Scan(&got); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("hold: %w", err)
	}
	if !got {
		conn.Close(ctx)
		return nil, fmt.Errorf("hold: %w", ErrHeld)
	}
	// The lock is let go before the connection ends: the server ends a
	// session after the client has gone, so a hold taken at once after
	// the release could find the lock still held.
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		_, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('ordertwin store ' || coalesce(current_schema(), '')))`)
		return errors.Join(err, conn.Close(ctx))
	}, nil
}
