package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

// A password in a PostgreSQL URL, as user:password@ or ?password=, is
// never shown.
func TestStoreNameHidesPasswords(t *testing.T) {
	assert.Equal(t, "postgres://ot:xxxxx@db:5432/ot?search_path=a", storeName("postgres://ot:s3cret@db:5432/ot?search_path=a"))
	got := storeName("postgres://ot@db/ot?search_path=a&password=s3cret")
	assert.NotContains(t, got, "s3cret")
	assert.Contains(t, got, "search_path=a")
	assert.Equal(t, "a.db", storeName("a.db"))
}

// The file kept beside a PostgreSQL store (the development issuer's key)
// is the database's, however its URL is spelled: who connects, with what
// password or options does not change it; another schema does. One an
// earlier build named after the whole URL is still found.
func TestBesideAPostgreSQLStore(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", "")
	a := besideStore("postgres://ot:one@DB:5432/ot?search_path=s&sslmode=disable", ".issuer.pem")
	assert.Equal(t, a, besideStore("postgres://admin@db/ot?search_path=s&password=two", ".issuer.pem"))
	assert.NotEqual(t, a, besideStore("postgres://ot@db/ot?search_path=other", ".issuer.pem"))
	assert.Equal(t, "x.db.issuer.pem", besideStore("x.db", ".issuer.pem"))

	legacyURL := "postgres://ot:old@db:5432/ot?search_path=kept"
	sum := besideStore("postgres://nobody@elsewhere/none", ".issuer.pem") // the directory
	legacy := filepath.Join(filepath.Dir(sum), "postgres-"+hash6(legacyURL)+".issuer.pem")
	require.NoError(t, os.WriteFile(legacy, []byte("key"), 0o600))
	assert.Equal(t, legacy, besideStore(legacyURL, ".issuer.pem"))

	// localhost, 127.0.0.1 and ::1 are one server: two instances that
	// spelled it otherwise made two keys, and a token of one was refused
	// by the other's shards. A key named after the host as spelled, by an
	// earlier build, is still found.
	local := besideStore("postgres://postgres@127.0.0.1:55432/postgres?search_path=dsn", ".issuer.pem")
	assert.Equal(t, local, besideStore("postgres://postgres@localhost:55432/postgres?search_path=dsn", ".issuer.pem"))
	assert.Equal(t, local, besideStore("postgres://postgres@[::1]:55432/postgres?search_path=dsn", ".issuer.pem"))
	spelled := "postgres://postgres@127.0.0.2:5432/postgres?search_path=old"
	before := filepath.Join(filepath.Dir(sum), "postgres-"+hash6(databaseOf(spelled, false))+".issuer.pem")
	require.NoError(t, os.WriteFile(before, []byte("key"), 0o600))
	assert.Equal(t, before, besideStore(spelled, ".issuer.pem"))
}

// The commands that read a store refuse, changing nothing, what is not
// one: an empty file, another kind of file, a directory, a PostgreSQL URL.
func TestStoreFileRefusesWhatIsNoStore(t *testing.T) {
	dir := t.TempDir()
	empty, text := filepath.Join(dir, "empty.db"), filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	require.NoError(t, os.WriteFile(text, []byte("hello"), 0o600))
	for _, args := range [][]string{{"journal", empty}, {"audit", "verify", empty}, {"compact", empty, "--archive", filepath.Join(dir, "a.db")},
		{"journal", text}, {"journal", dir}, {"audit", "verify", "postgres://ot:s3cret@db/ot"},
		{"backup", empty, filepath.Join(dir, "b.db")}, {"backup", "postgres://ot:s3cret@db/ot", filepath.Join(dir, "b.db")}, {"backup", text}} {
		err := dispatch(t.Context(), args, nil, nil)
		require.Error(t, err, "%v", args)
		assert.NotContains(t, err.Error(), "s3cret")
	}
	for _, f := range []string{empty, text} {
		_, err := os.Stat(f + ".lock")
		assert.True(t, os.IsNotExist(err), "no lock beside %s", f)
	}
	fi, err := os.Stat(empty)
	require.NoError(t, err)
	assert.Zero(t, fi.Size(), "the empty file stays empty")
	_, err = os.Stat(filepath.Join(dir, "a.db"))
	assert.True(t, os.IsNotExist(err), "no archive made")
}

// serve's --shards and --advertise are checked before anything is
// written: a refused command leaves no store and no key beside it.
func TestServeShardFlagsRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "y.db")
	pg := "postgres://ot@127.0.0.1:1/ot?search_path=s"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shards", "2", "--db", db}, "serve: --shards: the instances of a deployment share a PostgreSQL database"},
		{[]string{"--shards", "0", "--db", pg}, "serve: --shards 0: want at least 1"},
		{[]string{"--advertise", "http://a:1", "--db", db}, "serve: --advertise is for --shards"},
		{[]string{"--shards", "2", "--advertise", "not a url", "--db", pg}, `serve: --advertise "not a url": want the http:// or https:// URL`},
		{[]string{"--shards", "2", "--role", "com", "--db", pg}, "serve: --shards and --role"},
	} {
		err := dispatch(t.Context(), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), nil, nil)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want, "%v", tc.args)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")
}

// A new store gets an identity of its own, which it keeps: a restarted
// server marks what it allocates as it did before, and finds it again.
// A store first served before stores had one keeps none (its adapters
// mark with the item alone, as they did).
func TestStoreOwner(t *testing.T) {
	st := store.NewMemory()
	id, err := storeOwner(st, true)
	require.NoError(t, err)
	assert.Regexp(t, "^[0-9a-f]{8}$", id)
	again, err := storeOwner(st, false)
	require.NoError(t, err)
	assert.Equal(t, id, again, "kept in the store")
	other, err := storeOwner(store.NewMemory(), true)
	require.NoError(t, err)
	assert.NotEqual(t, id, other, "another store, another identity")

	legacy := store.NewMemory()
	none, err := storeOwner(legacy, false)
	require.NoError(t, err)
	assert.Empty(t, none)
	_, kept, err := legacy.Meta(ownerMeta)
	require.NoError(t, err)
	assert.False(t, kept, "nothing written to a store served before")
}

// A deployment of shards has one identity for its allocations, whichever
// instance or shard makes them, the same after a restart; another
// deployment (another schema) has another.
func TestDeploymentOwner(t *testing.T) {
	a := deploymentOwner("postgres://ot:one@db:5432/ot?search_path=east")
	assert.Regexp(t, "^[0-9a-f]{8}$", a)
	assert.Equal(t, a, deploymentOwner("postgres://admin@db/ot?search_path=east&sslmode=disable"), "the same database and schema")
	assert.NotEqual(t, a, deploymentOwner("postgres://ot@db/ot?search_path=west"))
}
