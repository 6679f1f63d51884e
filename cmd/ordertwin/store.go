package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// openStore opens the durable store --db names: a PostgreSQL database
// for a postgres:// URL, else a SQLite file.
func openStore(db string) (store.Durable, error) {
	if postgres.IsURL(db) {
		st, err := postgres.Open(db, postgres.Options{})
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
// (sqlite.Hold, postgres.Hold).
func holdStore(db string) (release func() error, err error) {
	if postgres.IsURL(db) {
		return postgres.Hold(db)
	}
	return sqlite.Hold(db)
}

// storeName is --db as logs and messages show it: a URL without its
// password.
func storeName(db string) string {
	if u, err := url.Parse(db); err == nil && postgres.IsURL(db) {
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
	h := sha256.Sum256([]byte(db))
	return filepath.Join(dir, "postgres-"+hex.EncodeToString(h[:6])+suffix)
}
