//go:build tmpfs

// The disk-full test mounts a small tmpfs, which needs root: it is built
// only with -tags tmpfs, and .ci/test (CI runs as root) runs it so. Where
// the mount fails, it fails: it never skips.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of size (mount's notation: 3m) on a new
// directory, unmounted when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount a tmpfs on %s (the disk-full test needs root): %s", dir, out)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the filesystem is full, and returns
// it.
func fillDisk(t *testing.T, dir string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() }) // before the unmount
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return f
		}
	}
}

// freeDisk removes the filler: space comes back.
func freeDisk(t *testing.T, f *os.File) {
	t.Helper()
	require.NoError(t, f.Close())
	require.NoError(t, os.Remove(f.Name()))
}

// answer is a status, the Retry-After header, the body, and how long the
// server took.
type answer struct {
	status     int
	retryAfter string
	body       string
	took       time.Duration
}

// diskToken is the bearer token call sends: an admin's, of the server's
// development issuer.
var diskToken string

// diskCall sends a request with a JSON body (none when nil) and an
// Idempotency-Key (none when ""), as an admin (diskToken).
func diskCall(t *testing.T, method, url, key string, body any) answer {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+diskToken)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	began := time.Now()
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return answer{res.StatusCode, res.Header.Get("Retry-After"), string(b), time.Since(began)}
}

// exampleBody reads a body of docs/examples.
func exampleBody(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../docs/examples", name))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// waitUntil polls url until it answers 200.
func waitUntil(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		a := diskCall(t, "GET", url, "", nil)
		if a.status == http.StatusOK {
			return
		}
		require.True(t, time.Now().Before(deadline), "%s is still %d: %s", url, a.status, a.body)
		time.Sleep(50 * time.Millisecond)
	}
}

// externalIDs lists the product orders' externalIds, each as often as an
// order carries it.
func externalIDs(t *testing.T, base string) map[string]int {
	t.Helper()
	a := diskCall(t, "GET", base+tmf630.ProductOrdering+"/productOrder?fields=externalId", "", nil)
	require.Equal(t, http.StatusOK, a.status, a.body)
	var list []tmf622.ProductOrder
	require.NoError(t, json.Unmarshal([]byte(a.body), &list))
	out := map[string]int{}
	for _, po := range list {
		out[po.ExternalID]++
	}
	return out
}

// A server whose disk fills up (a real one: a 3 MiB tmpfs) keeps running:
// commands are answered at once with a 503 TMF Error saying the store
// cannot write, with Retry-After; /readyz is not ready and says why; once
// the disk has room again the server recovers by itself, the commands
// whose commit waited are applied once, and every acknowledged order is
// there, after a restart too. Started on a disk too full to write, it is
// not ready, and refuses commands, until it can write (docs/architecture.md §9:
// nothing is lost).
func TestDiskFull(t *testing.T) {
	disk := mountTmpfs(t, "3m")
	db := filepath.Join(disk, "serve.db")
	var srv *server
	t.Cleanup(func() { // before the unmount
		if srv != nil && srv.cmd.ProcessState == nil {
			_ = srv.cmd.Process.Kill()
			_ = srv.cmd.Wait()
		}
	})
	start := func() {
		srv = startServe(t, os.Stderr, "--db", db, "--addr", "127.0.0.1:0", "--scale", "1000000")
	}
	start()
	diskToken = devToken(t, db, auth.Admin, "")
	quotes := srv.base + tmf630.QuoteManagement + "/quote"
	orders := func() string { return srv.base + tmf630.ProductOrdering + "/productOrder" }
	a := diskCall(t, "POST", quotes, "quote", exampleBody(t, "quote.json"))
	require.Equal(t, http.StatusCreated, a.status, a.body)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(diskCall(t, "GET", quotes+"/QT-001?fields=state", "", nil).body, `"accepted"`); {
		require.True(t, time.Now().Before(deadline), "the quote was not accepted")
		time.Sleep(50 * time.Millisecond)
	}
	order := exampleBody(t, "order.json")
	place := func(i int) answer {
		order["externalId"] = fmt.Sprintf("FULL-%03d", i)
		return diskCall(t, "POST", orders(), fmt.Sprintf("order-%03d", i), order)
	}
	acked := map[string]bool{}
	var refused []int
	n := 0
	for ; n < 3; n++ {
		a := place(n)
		require.Equal(t, http.StatusCreated, a.status, a.body)
		acked[fmt.Sprintf("FULL-%03d", n)] = true
	}

	filler := fillDisk(t, disk)
	// The next commit fails: the orders' own steps, or an order placed.
	for len(refused) == 0 {
		require.Less(t, n, 300, "the store kept writing on a full disk")
		a := place(n)
		require.Less(t, a.took, 2*time.Second, "answered at once")
		if a.status == http.StatusCreated {
			acked[fmt.Sprintf("FULL-%03d", n)] = true
		} else {
			require.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
			refused = append(refused, n)
		}
		n++
	}
	a = place(n)
	refused = append(refused, n)
	n++
	assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
	assert.Contains(t, a.body, `"message":"the store cannot write since`)
	assert.Contains(t, a.body, "database or disk is full")
	assert.Contains(t, a.body, `"@type":"Error"`)
	assert.Equal(t, "5", a.retryAfter)
	assert.Less(t, a.took, time.Second, "refused at once")
	ready := diskCall(t, "GET", srv.base+"/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, ready.status)
	assert.Contains(t, ready.body, "not ready: the store cannot write")
	assert.Equal(t, http.StatusOK, diskCall(t, "GET", srv.base+"/healthz", "", nil).status)
	require.Nil(t, srv.cmd.ProcessState, "the server is still running")

	freeDisk(t, filler)
	waitUntil(t, srv.base+"/readyz")
	for _, i := range refused {
		a := place(i) // the client's retry, with its key
		require.Equal(t, http.StatusCreated, a.status, a.body)
		acked[fmt.Sprintf("FULL-%03d", i)] = true
	}
	got := externalIDs(t, srv.base)
	for id := range acked {
		assert.Equal(t, 1, got[id], "order %s, once", id)
	}
	assert.Len(t, got, len(acked), "no order but those acknowledged")
	srv.stop(t)

	// Started on a disk too full to write: SQLite can open the file (its
	// shared memory takes 32 KiB) but not commit.
	filler = fillDisk(t, disk)
	info, err := filler.Stat()
	require.NoError(t, err)
	require.NoError(t, filler.Truncate(info.Size()-36<<10))
	start()
	ready = diskCall(t, "GET", srv.base+"/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, ready.status, ready.body)
	assert.Contains(t, ready.body, "the store cannot write")
	// Reads work unless the engine waits for a commit of its own (the
	// orders' timers that came due while it was down).
	if a := diskCall(t, "GET", orders()+"?fields=externalId", "", nil); a.status != http.StatusOK {
		assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
		assert.Contains(t, a.body, "the store cannot write")
	}
	a = place(n)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
	assert.Contains(t, a.body, "the store cannot write")
	freeDisk(t, filler)
	waitUntil(t, srv.base+"/readyz")
	a = place(n)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	got[fmt.Sprintf("FULL-%03d", n)]++
	srv.stop(t)

	start()
	assert.Equal(t, got, externalIDs(t, srv.base), "every acknowledged order, after a restart")
	srv.stop(t)
}

// A failure run whose faults fill the server's disk (a tmpfs the run
// mounts) and kill it: while full, orders are committed or refused with a
// 503, never answered otherwise; the server is ready again once space
// returns; nothing acknowledged is lost; and the tmpfs is unmounted after.
func TestChaosDiskFull(t *testing.T) {
	serveTestBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(context.Background(), []string{"--duration", "6s", "--rate", "20", "--faults", "4", "--kinds", "disk-full,kill",
		"--seed", "5", "--disk", "32m", "--reference", "none", "--dir", filepath.Join(dir, "run"), "--json", report}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "answers while full")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Verdict.Pass)
	assert.Equal(t, 120, rep.Orders, "every order of the run acknowledged")
	for _, c := range rep.Verdict.Checks {
		if c.Name == chaos.CheckDiskFull {
			assert.Empty(t, c.Skipped)
			assert.True(t, c.Pass)
		}
	}
	answered := 0
	full := 0
	for _, h := range rep.Faults {
		assert.Empty(t, h.Error, h.Name)
		if h.Kind == chaos.DiskFull {
			full++
			assert.True(t, h.Recovered, h.Name)
			assert.Positive(t, h.ForSeconds, h.Name)
			for _, n := range h.Answers {
				answered += n
			}
		}
	}
	assert.Equal(t, 2, full)
	assert.Positive(t, answered, "orders came while the disk was full")
	mounts, err := os.ReadFile("/proc/mounts")
	require.NoError(t, err)
	assert.NotContains(t, string(mounts), filepath.Join(dir, "run", "disk"), "unmounted after the run")
}
