package postgres

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordertwin/ordertwin/core/store"
)

// Scale-out (docs/architecture.md §7): several instances on one database
// spread the orders over a fixed number of shards, by customer. Each
// shard's journal is a store of its own, in a schema of its own, and is
// written by one instance at a time: the one holding the shard's lease. A
// lease is a session advisory lock on the instance's lease connection
// (the database lets it go when that connection ends, however the
// instance ends) plus the shard's epoch in shard_lease, one up at each
// taking. Every commit of a shard's store checks the epoch in its own
// transaction, so an instance that lost its lock, and has not noticed, can
// never write again: its next commit is ErrFenced.

// ErrFenced: the shard's lease was taken over; this writer no longer
// serves the shard.
var ErrFenced = errors.New("the shard's lease was taken over by another instance: this one no longer serves the shard")

// ErrShardCount: an instance was started with another shard count than
// the deployment's.
var ErrShardCount = errors.New("the shard count is fixed per deployment")

// ShardOf is the shard of a customer's orders among shards: FNV-1a of the
// customer's id, modulo the count. It depends on nothing but its
// arguments, so every instance and every build agrees on it.
func ShardOf(customer string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(customer))
	return int(h.Sum32() % uint32(shards))
}

// Fence is the lease a shard's store writes under: the schema of the
// cluster's tables, the shard and the epoch the lease was taken at.
type Fence struct {
	Schema string
	Shard  int
	Epoch  int64
}

// fencedCode is the SQLSTATE ordertwin_fence raises.
const fencedCode = "OTF01"

// queue adds the fence's check to a commit's statements, first.
func (f *Fence) queue(b *pgx.Batch) {
	b.Queue(`SELECT `+pgx.Identifier{f.Schema}.Sanitize()+`.ordertwin_fence($1, $2)`, f.Shard, f.Epoch)
}

// heldCode is the SQLSTATE ordertwin_held raises.
const heldCode = "OTH01"

// isFenced tells whether err is the fence's, or the hold's.
func isFenced(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == fencedCode || pe.Code == heldCode)
}

// checkFence is ErrFenced (store.ErrTaken, for a held store) once a write
// of the store found its lease taken over: the store writes no more.
func (s *Store) checkFence() error {
	switch {
	case !s.fenced.Load():
		return nil
	case s.fence == nil:
		return fmt.Errorf("postgres store: %w", store.ErrTaken)
	}
	return fmt.Errorf("postgres store: shard %d: %w", s.fence.Shard, ErrFenced)
}

// queueFence puts the fence's check first in a write's statements, when
// the store writes under a lease, and the hold's, when it is held. The
// statements are one transaction (an explicit one, or a batch's implicit
// one), so a fenced write writes nothing.
func (s *Store) queueFence(b *pgx.Batch) {
	if s.fence != nil {
		s.fence.queue(b)
	}
	if s.held != 0 {
		b.Queue(`SELECT ordertwin_held($1)`, s.held)
	}
}

// fenceError is err, or ErrFenced (store.ErrTaken) when it is the fence's
// (the hold's) refusal: then the store is fenced off for good.
func (s *Store) fenceError(err error) error {
	if !isFenced(err) {
		return err
	}
	s.fenced.Store(true)
	if s.fence == nil {
		return fmt.Errorf("postgres store: %w: %v", store.ErrTaken, err)
	}
	return fmt.Errorf("postgres store: shard %d: %w: %v", s.fence.Shard, ErrFenced, err)
}

// Cluster is one instance's part in a deployment of several: its lease
// connection and the leases it holds on it.
type Cluster struct {
	url    string
	schema string
	shards int
	owner  string

	mu   sync.Mutex // the lease connection serves one statement at a time
	conn *pgx.Conn
	held map[int]*Lease
}

// Lease is a shard an instance holds, at an epoch.
type Lease struct {
	Shard int
	Epoch int64
	c     *Cluster
}

// OpenCluster opens the deployment in the database at url (its
// search_path the schema of the cluster's tables) for the instance named
// owner, with shards shards: the first instance fixes the count, and an
// instance started with another is refused (ErrShardCount, both counts
// named). The instance holds no lease yet.
func OpenCluster(dbURL string, shards int, owner string) (*Cluster, error) {
	if !IsURL(dbURL) {
		return nil, fmt.Errorf("cluster: %q is not a postgres:// URL", dbURL)
	}
	if shards < 1 {
		return nil, fmt.Errorf("cluster: %d shards: want at least 1", shards)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &Cluster{url: dbURL, shards: shards, owner: owner, conn: conn, held: map[int]*Lease{}}
	if err := c.setUp(ctx); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return c, nil
}

// setUp migrates the schema, fixes or checks the shard count and makes
// each shard's lease row.
func (c *Cluster) setUp(ctx context.Context) error {
	if _, err := c.conn.Exec(ctx, keepalive); err != nil {
		return err
	}
	if err := migrate(ctx, c.conn); err != nil {
		return err
	}
	if err := c.conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&c.schema); err != nil {
		return err
	}
	// The lease connection is named for the deployment: Members counts
	// them.
	if _, err := c.conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, c.memberName()); err != nil {
		return err
	}
	tx, err := c.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO shard_cluster (shards) VALUES ($1) ON CONFLICT DO NOTHING`, c.shards)
	if err != nil {
		return err
	}
	var single bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM journal_batch)`).Scan(&single); err != nil {
		return err
	}
	if tag.RowsAffected() == 1 && single {
		return fmt.Errorf("%w: the schema holds one server's store (serve without --shards): a deployment starts on a schema of its own", ErrShardCount)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT shards FROM shard_cluster`).Scan(&have); err != nil {
		return err
	}
	if have != c.shards {
		return fmt.Errorf("%w: the database's deployment has %d shards, this instance was started with %d", ErrShardCount, have, c.shards)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO shard_lease (shard) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING`, c.shards); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// memberName is the application name of the deployment's lease
// connections (at most 63 bytes, as the database keeps it).
func (c *Cluster) memberName() string {
	name := "ordertwin " + c.schema
	return name[:min(len(name), 63)]
}

// Members counts the instances of the deployment that are up: the lease
// connections the database has open, this instance's among them.
func (c *Cluster) Members(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int
	if err := c.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, c.memberName()).Scan(&n); err != nil {
		return 0, fmt.Errorf("cluster: members: %w", err)
	}
	return max(n, 1), nil
}

// Owners are the instances holding a lease now, by shard: the owner
// each was opened with. A shard no instance holds is not among them.
func (c *Cluster) Owners(ctx context.Context) (map[int]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return owners(ctx, c.conn)
}

// ShardOwners is Cluster.Owners for a deployment this process is no
// instance of (a check, a test): on a connection of its own to dbURL.
func ShardOwners(ctx context.Context, dbURL string) (map[int]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("cluster: owners: %w", err)
	}
	defer conn.Close(ctx)
	return owners(ctx, conn)
}

// owners reads the owners of the shards held now on conn.
func owners(ctx context.Context, conn *pgx.Conn) (map[int]string, error) {
	rows, err := conn.Query(ctx, `SELECT l.shard, l.owner FROM shard_lease l
		WHERE EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.objsubid = 2 AND k.granted
			AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND k.classid = hashtext('ordertwin shard ' || current_schema())::oid AND k.objid = l.shard::oid)`)
	if err != nil {
		return nil, fmt.Errorf("cluster: owners: %w", err)
	}
	out := map[int]string{}
	var shard int
	var owner string
	if _, err := pgx.ForEachRow(rows, []any{&shard, &owner}, func() error {
		out[shard] = owner
		return nil
	}); err != nil {
		return nil, fmt.Errorf("cluster: owners: %w", err)
	}
	return out, nil
}

// Start is the deployment's T+0: the one it has, or else at, which it
// keeps (the first instance to serve the deployment fixes it).
func (c *Cluster) Start(ctx context.Context, at time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var start time.Time
	if err := c.conn.QueryRow(ctx, `UPDATE shard_cluster SET start = coalesce(start, $1) RETURNING start`, at.UTC()).Scan(&start); err != nil {
		return time.Time{}, fmt.Errorf("cluster: start: %w", err)
	}
	return start, nil
}

// Settle records settings as the deployment's, unless an instance did
// before, and returns the deployment's.
func (c *Cluster) Settle(ctx context.Context, settings string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var have string
	if err := c.conn.QueryRow(ctx, `UPDATE shard_cluster SET settings = coalesce(settings, $1) RETURNING settings`, settings).Scan(&have); err != nil {
		return "", fmt.Errorf("cluster: settings: %w", err)
	}
	return have, nil
}

// Secret is the deployment's secret, which its instances sign what they
// send one another with: made by the first instance that asks, the same
// for every other.
func (c *Cluster) Secret(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mine := make([]byte, 32)
	if _, err := cryptorand.Read(mine); err != nil {
		return nil, fmt.Errorf("cluster: secret: %w", err)
	}
	var have []byte
	if err := c.conn.QueryRow(ctx, `UPDATE shard_cluster SET secret = coalesce(secret, $1) RETURNING secret`, mine).Scan(&have); err != nil {
		return nil, fmt.Errorf("cluster: secret: %w", err)
	}
	return have, nil
}

// Shards is the deployment's shard count.
func (c *Cluster) Shards() int { return c.shards }

// lockSQL is the shard's advisory lock: keyed by the cluster's schema and
// the shard, so deployments in two schemas of one database are apart.
const lockSQL = `(hashtext('ordertwin shard ' || current_schema()), $1)`

// TryAcquire takes the shard's lease if no instance holds it, and
// returns nil when one does.
func (c *Cluster) TryAcquire(ctx context.Context, shard int) (*Lease, error) {
	return c.acquire(ctx, shard, `SELECT pg_try_advisory_lock`+lockSQL)
}

// Take takes the shard's lease, waiting (up to ctx's end) for the
// instance that holds it to let go or end. The lease connection serves
// nothing else meanwhile.
func (c *Cluster) Take(ctx context.Context, shard int) (*Lease, error) {
	return c.acquire(ctx, shard, `SELECT true FROM pg_advisory_lock`+lockSQL)
}

// acquire takes the shard's advisory lock with lock (a query of one
// boolean, false when the lock is another's), then moves the lease to the
// next epoch. The update waits for the lease row's readers, the fences of
// commits under way, so whoever writes under the old epoch has written
// before the new owner reads the shard's store.
func (c *Cluster) acquire(ctx context.Context, shard int, lock string) (*Lease, error) {
	if shard < 0 || shard >= c.shards {
		return nil, fmt.Errorf("cluster: shard %d of %d", shard, c.shards)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.held[shard]; l != nil {
		return l, nil
	}
	var got bool
	if err := c.conn.QueryRow(ctx, lock, shard).Scan(&got); err != nil {
		return nil, fmt.Errorf("cluster: lock shard %d: %w", shard, err)
	}
	if !got {
		return nil, nil
	}
	l := &Lease{Shard: shard, c: c}
	if err := c.conn.QueryRow(ctx, `UPDATE shard_lease SET epoch = epoch + 1, owner = $2, taken = $3 WHERE shard = $1 RETURNING epoch`,
		shard, c.owner, time.Now().UTC()).Scan(&l.Epoch); err != nil {
		c.conn.Exec(ctx, `SELECT pg_advisory_unlock`+lockSQL, shard)
		return nil, fmt.Errorf("cluster: lease of shard %d: %w", shard, err)
	}
	c.held[shard] = l
	return l, nil
}

// Claim tries every shard the instance does not hold, and returns the
// leases it took: what an instance does at start and then at each poll,
// so that it takes over the shards of an instance that ended.
func (c *Cluster) Claim(ctx context.Context) ([]*Lease, error) {
	return c.ClaimUpTo(ctx, c.shards)
}

// ClaimUpTo is Claim taking shards only while the instance holds fewer
// than most: its share of a deployment of several.
func (c *Cluster) ClaimUpTo(ctx context.Context, most int) ([]*Lease, error) {
	var took []*Lease
	for shard := range c.shards {
		c.mu.Lock()
		have, holds := c.held[shard] != nil, len(c.held)
		c.mu.Unlock()
		if have {
			continue
		}
		if holds >= most {
			break
		}
		l, err := c.TryAcquire(ctx, shard)
		if err != nil {
			return took, err
		}
		if l != nil {
			took = append(took, l)
		}
	}
	return took, nil
}

// Held returns the leases the instance holds, by shard.
func (c *Cluster) Held() []*Lease {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Lease
	for shard := range c.shards {
		if l := c.held[shard]; l != nil {
			out = append(out, l)
		}
	}
	return out
}

// Drop lets the lease go: the instance stops serving the shard (its
// store fenced off, or the instance handing it over).
func (c *Cluster) Drop(l *Lease) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[l.Shard] != l {
		return nil
	}
	delete(c.held, l.Shard)
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if _, err := c.conn.Exec(ctx, `SELECT pg_advisory_unlock`+lockSQL, l.Shard); err != nil {
		return fmt.Errorf("cluster: let shard %d go: %w", l.Shard, err)
	}
	return nil
}

// Close ends the lease connection, and with it every lease the instance
// holds.
func (c *Cluster) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.held)
	return c.conn.Close(context.Background())
}

// Watch claims, at each poll (a tick of polls, time.Ticker's in a
// server), the shards no instance holds, and hands each lease it takes to
// take, which opens the shard's store and rebuilds the shard from its
// snapshot and the tail after it. It checks the lease connection at each
// poll too: when that has failed the instance holds no lease any more,
// and Watch returns the error. It returns nil when ctx ends.
//
// An instance that ends loses its leases when the database ends its
// session: at once when its process dies (the kernel closes its
// sockets), within the keepalive bound (keepalive) when its host or the
// network goes silent. Its shards are then taken over within one poll
// after that, plus their rebuild.
func (c *Cluster) Watch(ctx context.Context, polls <-chan time.Time, take func(*Lease)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-polls:
		}
		if err := c.Alive(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		took, err := c.Claim(ctx)
		for _, l := range took {
			take(l)
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
}

// Alive checks the lease connection: when it has failed, the instance
// holds no lease any more (the database let them go with the session),
// and Alive says so.
func (c *Cluster) Alive(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.conn.Ping(ctx); err != nil {
		if ctx.Err() == nil {
			clear(c.held)
		}
		return fmt.Errorf("cluster: the lease connection failed, every lease with it: %w", err)
	}
	return nil
}

// keepalive is how the database's end of the lease connection notices a
// silent peer (a host that stopped, a network cut): TCP keepalive after
// 5 s idle, then every 2 s, 3 unanswered ending the session: 11 s at most.
// It is nothing on a unix socket, where a peer's end is seen at once.
const keepalive = `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`

// ShardSchema is the schema of the shard's store.
func (c *Cluster) ShardSchema(shard int) string {
	return c.schema + "_shard_" + strconv.Itoa(shard)
}

// ShardURL is the URL of the shard's store: the cluster's, its
// search_path the shard's schema. A store opened on it unfenced only
// reads as the owners left it (what a check after a run does).
func (c *Cluster) ShardURL(shard int) (string, error) {
	u, err := url.Parse(c.url)
	if err != nil {
		return "", fmt.Errorf("shard %d: %w", shard, err)
	}
	q := u.Query()
	q.Set("search_path", c.ShardSchema(shard))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Fence is the fence the shard's store writes under.
func (l *Lease) Fence() *Fence {
	return &Fence{Schema: l.c.schema, Shard: l.Shard, Epoch: l.Epoch}
}

// Open opens the shard's store under the lease (making its schema the
// first time): it reads the journal as the previous owners left it, and
// its commits are fenced by the lease's epoch.
func (l *Lease) Open() (*Store, error) {
	name := l.c.ShardSchema(l.Shard)
	if _, err := CreateSchema(l.c.url, name); err != nil {
		return nil, err
	}
	u, err := l.c.ShardURL(l.Shard)
	if err != nil {
		return nil, err
	}
	st, err := Open(u, Options{Fence: l.Fence()})
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", l.Shard, err)
	}
	return st, nil
}
