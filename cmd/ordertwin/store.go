package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// openStore opens the durable store --db names: a PostgreSQL database
// for a postgres:// URL (held by the caller, when held is set), else a
// SQLite file.
func openStore(db string, held *postgres.Holding) (store.Durable, error) {
	if postgres.IsURL(db) {
		st, err := postgres.Open(db, postgres.Options{Held: held})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// holdStore takes the store --db names for a server alone, until release
// (sqlite.Hold, postgres.Hold: held, to open the store with).
func holdStore(db string) (release func() error, held *postgres.Holding, err error) {
	if postgres.IsURL(db) {
		if held, err = postgres.Hold(db); err != nil {
			return nil, nil, err
		}
		return held.Release, held, nil
	}
	release, err = sqlite.Hold(db)
	return release, nil, err
}

// storeName is --db as logs and messages show it: a URL without its
// password.
func storeName(db string) string {
	if u, err := url.Parse(db); err == nil && postgres.IsURL(db) {
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx") // as Redacted masks user:password@
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return db
}

// besideStore is the path of a file kept beside the store --db names,
// whose name ends in suffix: beside a SQLite file, or for a database, in
// the user's configuration directory (ordertwin/), named after the
// database's URL (the directory made if need be).
func besideStore(db, suffix string) string {
	if !postgres.IsURL(db) {
		return db + suffix
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	dir = filepath.Join(dir, "ordertwin")
	_ = os.MkdirAll(dir, 0o700) // a failure shows when the file is written
	named := func(id string) string { return filepath.Join(dir, "postgres-"+hash6(id)+suffix) }
	path := named(databaseOf(db, true))
	if !fileExists(path) {
		// Named by an earlier build: after the host as spelled, or after
		// the whole URL.
		for _, legacy := range []string{named(databaseOf(db, false)), named(db)} {
			if fileExists(legacy) {
				return legacy
			}
		}
	}
	return path
}

// hash6 is the first 6 bytes of s's SHA-256, in hex.
func hash6(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// databaseOf is what names a PostgreSQL store whatever the URL's spelling:
// its host and port, database and schema (search_path), not who connects
// or with what password or options.
func databaseOf(db string, loopbackAlike bool) string {
	u, err := url.Parse(db)
	if err != nil {
		return db
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); loopbackAlike && (host == "localhost" || ip != nil && ip.IsLoopback()) {
		host = "localhost" // 127.0.0.1, ::1 and localhost are one server
	}
	return host + ":" + port + "/" + strings.TrimPrefix(u.Path, "/") + "?search_path=" + u.Query().Get("search_path")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// storeFile checks that path names a SQLite store file, as the commands
// that read one (journal, audit, compact) take it, before anything opens
// it: opening brings a file's schema up to date and leaves a lock beside
// it, which a file that is not a store must not get.
func storeFile(path string) error {
	if postgres.IsURL(path) {
		return fmt.Errorf("%s: want a SQLite store file (serve's or run --db's), not a PostgreSQL database", storeName(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory, not a store", path)
	}
	head := make([]byte, len(sqliteMagic))
	n, _ := io.ReadFull(f, head)
	switch {
	case n == 0:
		return fmt.Errorf("%s is empty: not a store", path)
	case string(head[:n]) != sqliteMagic:
		return fmt.Errorf("%s is not a store (not a SQLite database)", path)
	}
	return nil
}

// sqliteMagic is how every SQLite database file begins.
const sqliteMagic = "SQLite format 3\x00"

// ownerMeta is the store's meta key for its identity (storeOwner).
const ownerMeta = "owner"

// storeOwner is the identity of a store, which real adapters write beside
// the order item on what they allocate (port.Owner), kept in its meta
// table: a new store gets a random one; a store first served before
// stores had one has none, and its adapters mark with the item alone, as
// it always did (its allocations on the network are found again).
func storeOwner(st store.Settings, fresh bool) (string, error) {
	id, ok, err := st.Meta(ownerMeta)
	if err != nil || ok || !fresh {
		return id, err
	}
	id = newOwner()
	return id, st.SetMeta(ownerMeta, id)
}

// newOwner is a new store identity: eight random hex digits.
func newOwner() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
