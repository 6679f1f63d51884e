package postgres

import (
	"cmp"
	"context"
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
// of ledger_hold (until the site's take uses its unit up, or its unhold
// gives it back), and every answer is kept in ledger_answer by the key of
// the call and the pool, so that a key asked again (a shard's replay
// after a takeover) is answered as it first was. Of several shards asking
// at once for a pool's last free slot, or a capacity's last unit,
// exactly one gets it: the calls on one capacity take its lock (a
// transaction's advisory lock) one after the other. Each call is one
// statement, a function of migrations 0005 and 0010: one round trip.
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

// Take implements port.Ledger: one statement,
// ordertwin_ledger_take.
func (l *Ledger) Take(key string, pools []port.Pool, c port.Capacity) (string, int, bool) {
	if len(pools) == 0 {
		return "", -1, false
	}
	asked := cmp.Or(c.Name, pools[0].Name)
	names, sizes := make([]string, len(pools)), make([]int32, len(pools))
	var occPool, occSlot []int32
	for i, p := range pools {
		names[i], sizes[i] = p.Name, int32(p.Slots)
		for _, o := range p.Occupied {
			occPool, occSlot = append(occPool, int32(i)), append(occSlot, int32(o))
		}
	}
	var pool string
	var slot int
	l.retry("take", asked, key, func(ctx context.Context) error {
		return l.pool.QueryRow(ctx, `SELECT taken, slot FROM ordertwin_ledger_take($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			key, asked, names, sizes, nonNil(occPool), nonNil(occSlot), c.Name, c.Units, c.Holder).Scan(&pool, &slot)
	})
	return pool, slot, slot >= 0
}

// Hold implements port.Ledger: one statement, ordertwin_ledger_hold.
func (l *Ledger) Hold(key string, c port.Capacity) bool {
	var ok bool
	l.retry("hold", c.Name, key, func(ctx context.Context) error {
		return l.pool.QueryRow(ctx, `SELECT ordertwin_ledger_hold($1, $2, $3, $4)`, key, c.Name, c.Units, c.Holder).Scan(&ok)
	})
	return ok
}

// Unhold implements port.Ledger: one statement, ordertwin_ledger_unhold.
func (l *Ledger) Unhold(key string, c port.Capacity) {
	l.retry("unhold", c.Name, key, func(ctx context.Context) error {
		_, err := l.pool.Exec(ctx, `SELECT ordertwin_ledger_unhold($1, $2, $3)`, key, c.Name, c.Holder)
		return err
	})
}

// Give implements port.Ledger: one statement, ordertwin_ledger_give.
func (l *Ledger) Give(key, pool string, slot int) {
	l.retry("give", pool, key, func(ctx context.Context) error {
		_, err := l.pool.Exec(ctx, `SELECT ordertwin_ledger_give($1, $2, $3)`, key, pool, slot)
		return err
	})
}

// nonNil is s, or an empty slice for nil: an array, not NULL.
func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
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
