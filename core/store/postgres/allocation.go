package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordertwin/ordertwin/core/port"
)

// Allocations is the one allocation authority of a deployment of several
// instances (docs/architecture.md §7): network resources shared by every
// shard are rows of the allocation table, and each instance allocates
// them there, one transaction per allocation under the row's lock. Of
// several instances asking at once for a pool's last free resource,
// exactly one gets it; the others are told the pool is exhausted
// (port.ErrCapacityExhausted), and their orders are held for capacity.
type Allocations struct {
	pool *pgxpool.Pool
}

// OpenAllocations connects to the authority in the database at url (its
// search_path the deployment's schema), bringing the schema up to date.
func OpenAllocations(url string) (*Allocations, error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("allocations: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("allocations: %w", err)
	}
	return &Allocations{pool: pool}, nil
}

// Add makes resources of a pool known, free; those known already stay as
// they are.
func (a *Allocations) Add(ctx context.Context, pool string, resources []string) error {
	if _, err := a.pool.Exec(ctx, `INSERT INTO allocation (pool, resource) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
		pool, resources); err != nil {
		return fmt.Errorf("allocations: add to %s: %w", pool, err)
	}
	return nil
}

// Allocate gives holder a free resource of the pool (the first by name)
// and returns it; a holder that has one of the pool already gets that one
// again. A pool with none free is port.ErrCapacityExhausted. Free rows
// another allocation has locked are passed over (SKIP LOCKED): that one
// takes them, and one it gives back at once is free for the next try.
func (a *Allocations) Allocate(ctx context.Context, pool, holder string) (string, error) {
	var resource string
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT resource FROM allocation WHERE pool = $1 AND holder = $2`, pool, holder).Scan(&resource)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `UPDATE allocation SET holder = $2
			WHERE pool = $1 AND resource = (SELECT resource FROM allocation WHERE pool = $1 AND holder IS NULL
				ORDER BY resource LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING resource`, pool, holder).Scan(&resource)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no free resource in %s: %w", pool, port.ErrCapacityExhausted)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("allocations: %s for %s: %w", pool, holder, err)
	}
	return resource, nil
}

// Release frees the resource holder holds in the pool, if any.
func (a *Allocations) Release(ctx context.Context, pool, holder string) error {
	if _, err := a.pool.Exec(ctx, `UPDATE allocation SET holder = NULL WHERE pool = $1 AND holder = $2`, pool, holder); err != nil {
		return fmt.Errorf("allocations: release %s of %s: %w", pool, holder, err)
	}
	return nil
}

// Holders returns the pool's allocations, resource to holder.
func (a *Allocations) Holders(ctx context.Context, pool string) (map[string]string, error) {
	rows, err := a.pool.Query(ctx, `SELECT resource, holder FROM allocation WHERE pool = $1 AND holder IS NOT NULL`, pool)
	if err != nil {
		return nil, fmt.Errorf("allocations: %s: %w", pool, err)
	}
	out := map[string]string{}
	var resource, holder string
	_, err = pgx.ForEachRow(rows, []any{&resource, &holder}, func() error {
		out[resource] = holder
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("allocations: %s: %w", pool, err)
	}
	return out, nil
}

// Close closes the authority's connections.
func (a *Allocations) Close() { a.pool.Close() }
