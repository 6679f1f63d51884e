package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordertwin/ordertwin/core/port"
)

// Ledger is the twin's allocation authority for the shards of a
// deployment (port.Ledger; docs/architecture.md §7): the slots held are
// rows of ledger_slot, the units of capacity held since revalidation rows
// of ledger_hold, and every answer is kept in ledger_answer by the key of
// the call and the pool, so that a key asked again (a shard's replay
// after a takeover) is answered as it first was. Of several shards asking
// at once for a pool's last free slot, or a capacity's last unit,
// exactly one gets it: the calls on one capacity take its lock (a
// transaction's advisory lock) one after the other.
//
// The twin asks on the engine's goroutine and must have an answer: a
// database that does not answer is asked again (every second, logged)
// until it does; the shard's commits wait for it all the same.
type Ledger struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// OpenLedger connects to the ledger in the database at url (its
// search_path the deployment's schema), bringing the schema up to date.
func OpenLedger(url string, log *slog.Logger) (*Ledger, error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return &Ledger{pool: pool, log: log}, nil
}

// Take implements port.Ledger.
func (l *Ledger) Take(key, pool string, n int, occupied []int, c port.Capacity) (int, bool) {
	var slot int
	l.retry("take", pool, key, func(ctx context.Context) error {
		var err error
		slot, err = l.take(ctx, key, pool, n, occupied, c)
		return err
	})
	return slot, slot >= 0
}

// take is one try of Take: the key's answer, or the lowest slot free,
// taken, or -1.
func (l *Ledger) take(ctx context.Context, key, pool string, n int, occupied []int, c port.Capacity) (int, error) {
	if occupied == nil {
		occupied = []int{}
	}
	slot := -1
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if err := lockCapacity(ctx, tx, c); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT slot FROM ledger_answer WHERE key = $1 AND pool = $2`, key, pool).Scan(&slot)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		held := false
		if c.Name != "" {
			// A unit of the capacity: the holder's, or one free.
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_hold WHERE capacity = $1 AND holder = $2)`, c.Name, c.Holder).Scan(&held); err != nil {
				return err
			}
			left, err := unitsLeft(ctx, tx, c)
			if err != nil {
				return err
			}
			if !held && left <= 0 {
				slot = -1
				_, err := tx.Exec(ctx, `INSERT INTO ledger_answer (key, pool, slot) VALUES ($1, $2, -1)`, key, pool)
				return err
			}
		}
		for {
			// The lowest slot neither held nor occupied; another shard
			// taking it first (the insert finds its row) means the next.
			slot = -1
			err := tx.QueryRow(ctx, `SELECT s FROM generate_series(0, $2::integer - 1) s
				WHERE s <> ALL($3::integer[]) AND NOT EXISTS (SELECT 1 FROM ledger_slot WHERE pool = $1 AND slot = s)
				ORDER BY s LIMIT 1`, pool, n, occupied).Scan(&slot)
			if errors.Is(err, pgx.ErrNoRows) {
				slot = -1
				break
			}
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO ledger_slot (pool, slot, key, capacity) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				pool, slot, key, c.Name)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				break
			}
		}
		if held && slot >= 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM ledger_hold WHERE capacity = $1 AND holder = $2`, c.Name, c.Holder); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO ledger_answer (key, pool, slot) VALUES ($1, $2, $3)`, key, pool, slot)
		return err
	})
	return slot, err
}

// Hold implements port.Ledger.
func (l *Ledger) Hold(key string, c port.Capacity) bool {
	ok := false
	l.retry("hold", c.Name, key, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
			if err := lockCapacity(ctx, tx, c); err != nil {
				return err
			}
			answer := 0
			err := tx.QueryRow(ctx, `SELECT slot FROM ledger_answer WHERE key = $1 AND pool = $2`, key, "hold "+c.Name).Scan(&answer)
			if !errors.Is(err, pgx.ErrNoRows) {
				ok = answer > 0
				return err
			}
			var held bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_hold WHERE capacity = $1 AND holder = $2)`, c.Name, c.Holder).Scan(&held); err != nil {
				return err
			}
			left, err := unitsLeft(ctx, tx, c)
			if err != nil {
				return err
			}
			ok, answer = held || left > 0, -1
			if ok {
				answer = 1
			}
			if ok && !held {
				if _, err := tx.Exec(ctx, `INSERT INTO ledger_hold (capacity, holder) VALUES ($1, $2)`, c.Name, c.Holder); err != nil {
					return err
				}
			}
			_, err = tx.Exec(ctx, `INSERT INTO ledger_answer (key, pool, slot) VALUES ($1, $2, $3)`, key, "hold "+c.Name, answer)
			return err
		})
	})
	return ok
}

// lockCapacity takes the capacity's lock until the transaction ends:
// the calls on one capacity count its units one after the other.
func lockCapacity(ctx context.Context, tx pgx.Tx, c port.Capacity) error {
	if c.Name == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ordertwin ledger ' || current_schema()), hashtext($1))`, c.Name)
	return err
}

// unitsLeft counts the capacity's units neither taken nor held.
func unitsLeft(ctx context.Context, tx pgx.Tx, c port.Capacity) (int, error) {
	var used int
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM ledger_slot WHERE capacity = $1) + (SELECT count(*) FROM ledger_hold WHERE capacity = $1)`, c.Name).Scan(&used)
	return c.Units - used, err
}

// Give implements port.Ledger.
func (l *Ledger) Give(key, pool string, slot int) {
	l.retry("give", pool, key, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO ledger_answer (key, pool, slot) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, key, pool, slot)
			if err != nil || tag.RowsAffected() == 0 {
				return err // given before: nothing to free again
			}
			_, err = tx.Exec(ctx, `DELETE FROM ledger_slot WHERE pool = $1 AND slot = $2`, pool, slot)
			return err
		})
	})
}

// Held returns the slots held in pool, slot to the key that took it.
func (l *Ledger) Held(ctx context.Context, pool string) (map[int]string, error) {
	rows, err := l.pool.Query(ctx, `SELECT slot, key FROM ledger_slot WHERE pool = $1`, pool)
	if err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", pool, err)
	}
	out := map[int]string{}
	var slot int
	var key string
	if _, err := pgx.ForEachRow(rows, []any{&slot, &key}, func() error {
		out[slot] = key
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", pool, err)
	}
	return out, nil
}

// retry runs one call of the ledger until it succeeds.
func (l *Ledger) retry(op, pool, key string, call func(context.Context) error) {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := call(ctx)
		cancel()
		if err == nil {
			return
		}
		if l.log != nil {
			l.log.Warn("ledger: the database did not answer; asking again", "op", op, "pool", pool, "key", key, "err", err.Error())
		}
		time.Sleep(wait)
	}
}

// Close closes the ledger's connections.
func (l *Ledger) Close() { l.pool.Close() }
