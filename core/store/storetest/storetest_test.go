package storetest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Place {
		m := store.NewMemory()
		return func() (store.Durable, error) { return m, nil }
	})
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Place {
		file := filepath.Join(t.TempDir(), "store.db")
		return func() (store.Durable, error) { return sqlite.Open(file, sqlite.Options{}) }
	})
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Place {
		url := storetest.Postgres(t)
		return func() (store.Durable, error) { return postgres.Open(url, postgres.Options{}) }
	})
}
