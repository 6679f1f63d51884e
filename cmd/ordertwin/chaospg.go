package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// chaosDB is a run's deployment on PostgreSQL (chaos --db postgres://…):
// instances of `serve --shards` on the database, in a schema each run
// makes for itself (the uninterrupted run's and the faulted run's apart)
// and drops after, as the SQLite stores' folder is removed.
type chaosDB struct {
	url       string // the database given, no schema
	instances int
	shards    int
}

// deployment names the deployment for the report.
func (d *chaosDB) deployment() string {
	return fmt.Sprintf("PostgreSQL, %d instances, %d shards", d.instances, d.shards)
}

// checkChaosDB reads --db, --instances and --shards against the other
// flags, before anything is started: nil when the run serves SQLite.
func checkChaosDB(db string, instances, shards int, instancesSet, shardsSet, split bool, kinds []chaos.Kind) (*chaosDB, error) {
	if db == "" {
		switch {
		case instancesSet:
			return nil, errors.New("chaos: --instances is for --db postgres://…: on SQLite one process serves (three with --split), each on a store of its own")
		case shardsSet:
			return nil, errors.New("chaos: --shards is for --db postgres://…: the orders are spread over shards of a PostgreSQL database only")
		}
		return nil, nil
	}
	if !postgres.IsURL(db) {
		return nil, fmt.Errorf("chaos: --db %s: want a PostgreSQL database (postgres://USER@HOST:PORT/DB), in which each run makes a schema of its own; "+
			"without --db the run serves SQLite stores of its own, in its folder (--dir)", db)
	}
	u, err := url.Parse(db)
	if err != nil {
		return nil, fmt.Errorf("chaos: --db %s: %w", storeName(db), err)
	}
	if u.Query().Has("search_path") {
		return nil, fmt.Errorf("chaos: --db %s names a schema (search_path): give the database only; each run makes a schema of its own in it, and drops it after", storeName(db))
	}
	if !shardsSet {
		shards = instances
	}
	switch {
	case instances < 1 || instances > 16:
		return nil, fmt.Errorf("chaos: --instances %d: want from 1 to 16 instances of serve", instances)
	case shards < 1 || shards > 64:
		return nil, fmt.Errorf("chaos: --shards %d: want from 1 to 64 shards", shards)
	case split:
		return nil, errors.New("chaos: --split and --db: each instance of a deployment on PostgreSQL serves COM, SOM and ROM together (serve refuses --shards with --role); " +
			"--split runs them apart on SQLite")
	case slices.Contains(kinds, chaos.DiskFull):
		return nil, errors.New("chaos: --kinds disk-full and --db: a full disk is the SQLite store's, on a tmpfs the run mounts; " +
			"a PostgreSQL database's disk is its server's, which the run does not own")
	}
	return &chaosDB{url: db, instances: instances, shards: shards}, nil
}

// reach checks that the database answers, before anything is started.
func (d *chaosDB) reach(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return fmt.Errorf("chaos: --db %s: %w", storeName(d.url), err)
	}
	defer conn.Close(context.Background())
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("chaos: --db %s: %w", storeName(d.url), err)
	}
	return nil
}

// schemasFile, in a run's temporary folder, names the schemas the run
// made (the database's URL, a tab, the schema, a line each): a run killed
// before it dropped them has them dropped by the next one's sweep.
const schemasFile = "postgres.schemas"

// newSchema makes a schema of the run's own in the database, for what
// (run, reference), noted in work's schemasFile first, and gives its URL
// and its name.
func (d *chaosDB) newSchema(work, what string, seed uint64) (string, string, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("chaos_%d_%s_%s", seed, hex.EncodeToString(b), what)
	f, err := os.OpenFile(filepath.Join(filepath.Dir(work), schemasFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", "", err
	}
	_, err = fmt.Fprintf(f, "%s\t%s\n", d.url, name)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	schema, err := postgres.CreateSchema(d.url, name)
	return schema, name, err
}

// dropSchema drops a run's schema, its shards' and the development
// issuer's key serve kept for it.
func dropSchema(db, name, schema string) error {
	if err := postgres.DropSchema(db, name); err != nil {
		return err
	}
	if err := os.Remove(devKeyFile(schema)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// dropLeftoverSchemas drops the schemas an earlier run noted in its
// folder dir and did not drop (it was killed); it says what it could not.
func dropLeftoverSchemas(dir string) error {
	f, err := os.Open(filepath.Join(dir, schemasFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	var errs []error
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		db, name, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		schema, err := withSchema(db, name)
		if err == nil {
			err = dropSchema(db, name, schema)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("dropping the schema %s of %s: %w", name, storeName(db), err))
		}
	}
	return errors.Join(append(errs, sc.Err())...)
}

// withSchema is db's URL with its search_path the schema name, as
// postgres.CreateSchema gives it.
func withSchema(db, name string) (string, error) {
	u, err := url.Parse(db)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// shardURL is the URL of a shard's store of the deployment at schema:
// its search_path the shard's schema (name_shard_K).
func shardURL(schema string, shard int) (string, error) {
	u, err := url.Parse(schema)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", fmt.Sprintf("%s_shard_%d", q.Get("search_path"), shard))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// owedShards is the event ids the hub owes the run's listener, a list
// for each shard of the deployment at schema, each in its journal's
// order: a shard numbers its events in its own space of ids.
func owedShards(schema string, shards int) ([][]string, error) {
	out := make([][]string, shards)
	for s := range shards {
		u, err := shardURL(schema, s)
		if err != nil {
			return nil, err
		}
		seqs, err := owedEvents(u)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", s, err)
		}
		ids := tmf.IDSpace{Shards: shards, Shard: s}
		out[s] = make([]string, len(seqs))
		for i, seq := range seqs {
			n, _ := strconv.Atoi(seq)
			out[s][i] = strconv.Itoa(ids.Nth(n))
		}
	}
	return out, nil
}

// spread waits until the deployment's shards are spread over its
// instances, each holding its share (the first took them all, and hands
// them over as the others join), for at most d.
func (d *chaosDB) spread(ctx context.Context, schema string, procs []*chaosProc, within time.Duration) error {
	share := d.shards / d.instances // at least this many each
	deadline := time.Now().Add(within)
	for {
		owners, err := postgres.ShardOwners(ctx, schema)
		held := map[string]int{}
		for _, o := range owners {
			held[o]++
		}
		if err == nil && len(owners) == d.shards && !slices.ContainsFunc(procs, func(p *chaosProc) bool { return held["http://"+p.addr] < share }) {
			return nil
		}
		if time.Now().After(deadline) {
			var by []string
			for _, p := range procs {
				by = append(by, fmt.Sprintf("%s %d", p.name, held["http://"+p.addr]))
			}
			if err != nil {
				by = append(by, "reading the owners: "+err.Error())
			}
			return fmt.Errorf("the deployment's %d shards were not spread over its %d instances within %s (shards held: %s)", d.shards, d.instances, within, strings.Join(by, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// shardTransport sends each request for one shard of a deployment
// (shardHeader): the instance that takes it answers from that shard, run
// there or forwarded to its owner. A shard's lists are read whole so,
// never cut at a merged page.
type shardTransport struct {
	shard int
	next  http.RoundTripper
}

func (t shardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(shardHeader, strconv.Itoa(t.shard))
	return t.next.RoundTrip(req)
}

// pinned is c, its requests for one shard.
func pinned(c *client, shard int) *client {
	next := c.http.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc := *c.http
	hc.Transport = shardTransport{shard: shard, next: next}
	return &client{base: c.base, token: c.token, http: &hc}
}

// stopAll ends a deployment's instances as an operator would (SIGINT),
// all at once: one ended before the others would have its shards taken
// over by them, for nothing.
func (r *chaosRun) stopAll() error {
	stopping := map[*chaosProc]*exec.Cmd{}
	for _, p := range r.procs {
		if cmd := r.take(p); cmd != nil {
			_ = cmd.Process.Signal(os.Interrupt)
			stopping[p] = cmd
		}
	}
	var errs []error
	for _, p := range r.procs {
		if cmd := stopping[p]; cmd != nil {
			if err := cmd.Wait(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// keptSchema tells where a run kept with --dir left its deployment's
// stores.
func keptSchema(w io.Writer, db, name string) {
	fmt.Fprintf(w, "  its stores are kept (--dir): schema %s of %s, and its shards' (%s_shard_N)\n", name, storeName(db), name)
}

// deployment names what serves the run, for its report.
func (r *chaosRun) deployment() string { return deploymentOf(r.db, len(r.procs) > 1) }

// deploymentOf names what serves a run on db (nil: SQLite), split or not.
func deploymentOf(db *chaosDB, split bool) string {
	switch {
	case db != nil:
		return db.deployment()
	case split:
		return "SQLite, COM, SOM and ROM in three processes"
	}
	return "SQLite, one process"
}

// readers are the clients a deployment's lists are read with: c, or on
// PostgreSQL one for each shard, each shard's list read whole from it.
func (r *chaosRun) readers(c *client) []*client {
	if r.db == nil {
		return []*client{c}
	}
	out := make([]*client, r.db.shards)
	for s := range out {
		out[s] = pinned(c, s)
	}
	return out
}

// gatherEvidence reads the deployment's orders, as gatherEvidence does,
// from each shard on PostgreSQL.
func (r *chaosRun) gatherEvidence(ctx context.Context, c *client) (chaos.Evidence, error) {
	var all chaos.Evidence
	for i, rc := range r.readers(c) {
		ev, err := gatherEvidence(ctx, rc, nil)
		if err != nil {
			if r.db != nil {
				err = fmt.Errorf("shard %d: %w", i, err)
			}
			return all, err
		}
		all.Orders = append(all.Orders, ev.Orders...)
		for key, o := range ev.Outcomes {
			if all.Outcomes == nil {
				all.Outcomes = map[string]chaos.Outcome{}
			}
			all.Outcomes[key] = o
		}
	}
	return all, nil
}

// gatherResources reads the deployment's resources into ev, as
// gatherResources does, from each shard on PostgreSQL.
func (r *chaosRun) gatherResources(ctx context.Context, inv *client, ev *chaos.Evidence) error {
	for i, rc := range r.readers(inv) {
		if err := gatherResources(ctx, rc, ev); err != nil {
			if r.db != nil {
				err = fmt.Errorf("shard %d: %w", i, err)
			}
			return err
		}
	}
	return nil
}
