package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/anchor"
	"github.com/ordertwin/ordertwin/core/anchor/anchortest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// audit verify passes a store as written, with its head hash and counts,
// and names the record changed in the SQLite file behind its back (exit
// 1); bad arguments are refused.
func TestAuditVerify(t *testing.T) {
	db := filepath.Join(t.TempDir(), "run.db")
	_, err := cli("run", example, "--db", db)
	require.NoError(t, err)
	out, err := cli("audit", "verify", db)
	require.NoError(t, err)
	assert.Regexp(t, `^OK .*run.db: \d+ commits, \d+ records, 0 inputs, 3 signed approvals \(.*\)\nhead [0-9a-f]{64}\n$`, out)

	sqldb, err := sql.Open("sqlite", db)
	require.NoError(t, err)
	var first int64
	var data []byte
	require.NoError(t, sqldb.QueryRow(`SELECT first_seq, data FROM journal_batch ORDER BY first_seq LIMIT 1`).Scan(&first, &data))
	recs, err := store.DecodeRecords(nil, data)
	require.NoError(t, err)
	i := len(recs) / 2
	recs[i].Reason = "nothing happened here"
	_, err = sqldb.Exec(`UPDATE journal_batch SET data = ? WHERE first_seq = ?`, store.EncodeRecords(nil, recs), first)
	require.NoError(t, err)
	require.NoError(t, sqldb.Close())
	_, err = cli("audit", "verify", db)
	assert.Equal(t, 1, status(err))
	assert.ErrorContains(t, err, "record "+strconv.FormatInt(first+int64(i), 10)+" ("+recs[i].Entity+")")
	assert.ErrorContains(t, err, "is not the record chained")

	_, err = cli("audit", "check", db)
	assert.ErrorContains(t, err, "want `audit verify FILE`")
	_, err = cli("audit", "publish", db, "--key", "k", "--relay", "wss://relay.invalid")
	assert.Equal(t, 1, status(err), "a store that does not verify is not published")
	assert.ErrorContains(t, err, "is not the record chained")
	_, err = cli("audit", "publish", db, "--relay", "http://x")
	assert.ErrorContains(t, err, `want a ws:// or wss:// URL, not "http://x"`)
	_, err = cli("audit", "publish", db)
	assert.ErrorContains(t, err, "want --key FILE and at least one --relay URL")
	_, err = cli("audit", "verify", filepath.Join(t.TempDir(), "none.db"))
	assert.ErrorContains(t, err, "none.db")
}

// Served with --approvals api, the quote's stages are decided by
// `ordertwin approve` with an approver's key (made by --new-key): each
// decision is signed over the quote's content digest, shown on the quote,
// and audit verify checks every signature; a key that is not the stage's
// approver is refused.
func TestApproveSigned(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "approver.key")
	out, err := cli("approve", "--new-key", keyFile)
	require.NoError(t, err)
	pk := strings.TrimPrefix(strings.TrimSpace(out), "public key ")
	require.Len(t, pk, 64)
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	_, err = cli("approve", "--new-key", keyFile)
	assert.ErrorContains(t, err, "exists", "a key file is never overwritten")
	otherKey := filepath.Join(dir, "other.key")
	_, err = cli("approve", "--new-key", otherKey)
	require.NoError(t, err)

	db := filepath.Join(dir, "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error)
	go func() {
		done <- serveCmd(ctx, []string{example, "--db", db, "--addr", "127.0.0.1:0", "--approvals", "api",
			"--approver", "technical=" + pk, "--approver", "commercial=" + pk, "--approver", "customer=" + pk}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	go io.Copy(io.Discard, r)
	base := "http://" + addr
	c := &client{base: base, http: http.DefaultClient, token: devToken(t, db, auth.Admin, "")}
	var quotes []tmf648.Quote
	for len(quotes) == 0 || quotes[0].State != "pending" { // until it waits for its technical review
		require.NoError(t, c.get(ctx, tmf630.QuoteManagement+"/quote", &quotes))
	}
	id := quotes[0].ID

	technical := devToken(t, db, auth.ApproverTechnical, "")
	_, err = cli("approve", id, "--stage", "technical", "--key", keyFile, "--to", base)
	assert.ErrorContains(t, err, "401", "no token")
	_, err = cli("approve", id, "--stage", "commercial", "--key", keyFile, "--token", technical, "--to", base)
	assert.ErrorContains(t, err, "403", "a technical approver does not decide the commercial stage")
	_, err = cli("approve", id, "--stage", "technical", "--key", otherKey, "--token", technical, "--to", base)
	assert.ErrorContains(t, err, "403 quote "+id+": key")
	assert.ErrorContains(t, err, "not an approver of the stage technical")
	for _, d := range []struct {
		stage string
		role  auth.Role
	}{{"technical", auth.ApproverTechnical}, {"commercial", auth.ApproverCommercial}, {"customer", auth.ApproverCustomer}} {
		stage, role := d.stage, d.role
		tenant := ""
		if role == auth.ApproverCustomer {
			tenant = quotes[0].RelatedParty[0].ID
		}
		out, err := cli("approve", id, "--stage", stage, "--key", keyFile, "--token", devToken(t, db, role, tenant), "--to", base)
		require.NoError(t, err)
		assert.Contains(t, out, "quote "+id+": "+stage+" approved (signed by "+pk)
	}
	var q tmf648.Quote
	require.NoError(t, c.get(ctx, tmf630.QuoteManagement+"/quote/"+id, &q))
	assert.Equal(t, "accepted", q.State)
	for _, a := range q.Authorization {
		d, signer, err := approval.Open(a.SignatureRepresentation)
		require.NoError(t, err, a.Name)
		assert.Equal(t, pk, signer)
		assert.Equal(t, q.ContentDigest, d.Digest)
	}
	cancel()
	require.NoError(t, <-done)

	out, err = cli("audit", "verify", db)
	require.NoError(t, err)
	assert.Contains(t, out, "3 signed approvals")
}

// audit publish verifies a store and sends its head, signed with the
// key given, to every relay; one relay down does not stop the others,
// none accepting is exit 1.
func TestAuditPublish(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "run.db")
	_, err := cli("run", example, "--db", db)
	require.NoError(t, err)
	key := filepath.Join(dir, "auditor.key")
	out, err := cli("approve", "--new-key", key)
	require.NoError(t, err)
	pk := strings.TrimPrefix(strings.TrimSpace(out), "public key ")
	verified, err := cli("audit", "verify", db)
	require.NoError(t, err)
	head := strings.TrimPrefix(strings.TrimSpace(verified[strings.Index(verified, "\nhead ")+1:]), "head ")

	one, gone := anchortest.NewRelay(t), anchortest.NewRelay(t)
	gone.Close()
	out, err = cli("audit", "publish", db, "--key", key, "--relay", one.URL(), "--relay", gone.URL())
	require.NoError(t, err)
	assert.Contains(t, out, one.URL()+": accepted event")
	assert.Contains(t, out, gone.URL()+": ")
	evs := one.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, pk, evs[0].PubKey)
	assert.Equal(t, anchor.Kind, evs[0].Kind)
	assert.Equal(t, head, evs[0].Tags.GetFirst([]string{"head", ""}).Value())

	_, err = cli("audit", "publish", db, "--key", key, "--relay", gone.URL())
	assert.Equal(t, 1, status(err))
	assert.ErrorContains(t, err, "no relay accepted the chain head")
}
