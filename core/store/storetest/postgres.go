package storetest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ordertwin/ordertwin/core/store/postgres"
)

// PostgresEnv names the PostgreSQL the tests use (a URL such as
// postgres://postgres@127.0.0.1:5433/postgres): .ci/run starts a
// throwaway cluster and sets it. Unset, the tests start a cluster of their
// own with Debian's initdb and pg_ctl (/usr/lib/postgresql/*/bin), in a
// temporary directory, listening on a unix socket only.
const PostgresEnv = "ORDERTWIN_TEST_POSTGRES"

// RequiredEnv, when set (CI sets it), makes a test that needs PostgreSQL
// fail when there is none, instead of skipping.
const RequiredEnv = "ORDERTWIN_POSTGRES_TESTS"

// cluster is the PostgreSQL of the test binary: the one PostgresEnv
// names, or one it started (dir set), stopped by Main.
var cluster struct {
	once sync.Once
	url  string
	dir  string
	bin  string
	err  error
}

// schemas numbers the schemas the binary creates.
var schemas atomic.Int64

// Postgres returns the URL of a new, empty store for t: a schema of its
// own in the test PostgreSQL, dropped when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	cluster.once.Do(func() {
		if cluster.url = os.Getenv(PostgresEnv); cluster.url == "" {
			cluster.err = startCluster()
		}
	})
	if cluster.err != nil {
		if os.Getenv(RequiredEnv) != "" || os.Getenv("CI") != "" {
			t.Fatalf("%s is set and there is no PostgreSQL: %v (install Debian's postgresql, or set %s)", RequiredEnv, cluster.err, PostgresEnv)
		}
		t.Skipf("no PostgreSQL: %v (set %s to a server's URL, or %s=1 to make this a failure)", cluster.err, PostgresEnv, RequiredEnv)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	url, err := postgres.CreateSchema(cluster.url, name)
	if err != nil {
		t.Fatalf("test PostgreSQL %s: %v", cluster.url, err)
	}
	t.Cleanup(func() {
		if err := postgres.DropSchema(cluster.url, name); err != nil {
			t.Errorf("test PostgreSQL: %v", err)
		}
	})
	return url
}

// startCluster starts a throwaway cluster: initdb in a temporary
// directory, the server on a unix socket in it (no TCP), run as the user
// postgres when the tests run as root (the server refuses root).
func startCluster() error {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin")
	}
	cluster.bin = filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "ordertwin-pg-")
	if err != nil {
		return err
	}
	cluster.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root and no user postgres to run the server: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	if err := pgRun("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		return err
	}
	if err := pgRun("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "start",
		"-o", "-c listen_addresses='' -c fsync=off -k "+dir); err != nil {
		return err
	}
	cluster.url = "postgres://postgres@/postgres?host=" + dir
	return nil
}

// pgRun runs one of PostgreSQL's programs, as postgres when root.
func pgRun(name string, args ...string) error {
	prog := filepath.Join(cluster.bin, name)
	cmd := exec.Command(prog, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return nil
}

// Main runs the tests of a package that uses Postgres, then stops the
// cluster they started, if they did: call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster.dir != "" {
		if err := pgRun("pg_ctl", "-D", filepath.Join(cluster.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
		os.RemoveAll(cluster.dir)
	}
	return code
}
