package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ordertwin test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	cert, key = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// syncBuffer is a log both the server and the test touch.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve over TLS with an auth file: no credentials is a 401, a token of
// `ordertwin token` (the development issuer, on in the file) and a
// machine's API key are taken, each request has its access log line.
func TestServeTLSWithAuthFile(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	db := filepath.Join(dir, "serve.db")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.yaml"),
		[]byte("keys:\n  - key: billing-sync-0123456789\n    subject: billing-sync\n    roles: [operations]\n"), 0o600))
	authFile := filepath.Join(dir, "auth.yaml")
	require.NoError(t, os.WriteFile(authFile, []byte("devIssuer: true\napiKeys: keys.yaml\n"), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	logs := &syncBuffer{}
	done := make(chan error)
	go func() {
		done <- serveCmd(ctx, []string{"--db", db, "--addr", "127.0.0.1:0", "--auth", authFile, "--tls-cert", cert, "--tls-key", key}, w, logs)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, r)
	_, addr, ok := strings.Cut(line, " on https://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path, token string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	assert.Equal(t, http.StatusOK, get("/healthz", "").StatusCode)
	res := get(tmf630.QuoteManagement+"/quote", "")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, `Bearer realm="ordertwin"`, res.Header.Get("WWW-Authenticate"))
	tok, err := cli("token", "--key", devKeyFile(db), "--role", "sales", "--tenant", "CUST-ENT-1102")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, get(tmf630.QuoteManagement+"/quote", strings.TrimSpace(tok)).StatusCode)
	assert.Equal(t, http.StatusForbidden, get("/metrics", strings.TrimSpace(tok)).StatusCode, "sales reads no metrics")
	assert.Equal(t, http.StatusOK, get("/metrics", "billing-sync-0123456789").StatusCode, "the machine's API key")
	plain, err := (&http.Client{}).Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	plain.Body.Close()
	assert.Equal(t, http.StatusBadRequest, plain.StatusCode, "HTTPS only")

	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, logs.String(), `"msg":"request","method":"GET","path":"/metrics","status":200`)
	assert.Contains(t, logs.String(), `"actor":"billing-sync"`)
	assert.Contains(t, logs.String(), `"actor":"dev-sales"`)
}

// Without an auth file, serve listens on loopback only and says so; on
// another address it refuses to start (and leaves no store) unless
// --insecure. TLS needs both its files.
func TestServeRefusesToExposeTheDevelopmentIssuer(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "exposed.db")
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := cli("serve", "--db", db, "--addr", addr)
		assert.ErrorContains(t, err, "is not a loopback address", addr)
		assert.ErrorContains(t, err, "give --auth, or --insecure", addr)
	}
	_, err := os.Stat(db)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing was opened")
	_, err = cli("serve", "--db", db, "--tls-cert", "x.crt")
	assert.ErrorContains(t, err, "--tls-cert and --tls-key go together")
	_, err = cli("serve", "--db", db, "--auth", filepath.Join(dir, "none.yaml"))
	assert.ErrorContains(t, err, "auth file")

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // it starts, says so, and stops at once
	logs := &syncBuffer{}
	require.NoError(t, serveCmd(ctx, []string{"--db", filepath.Join(dir, "loop.db"), "--addr", "127.0.0.1:0"}, io.Discard, logs))
	assert.Contains(t, logs.String(), "no auth file: serving on loopback only")
	_, err = os.Stat(filepath.Join(dir, "loop.db.issuer.pem"))
	assert.NoError(t, err, "the development issuer's key is beside the store")
	// A store serve cannot open (a text file; a PostgreSQL server that
	// does not answer) stops it with no key written for it.
	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a store\n"), 0o600))
	require.Error(t, serveCmd(ctx, []string{"--db", text, "--addr", "127.0.0.1:0"}, io.Discard, io.Discard))
	assert.NoFileExists(t, text+".issuer.pem", "no key beside what is not a store")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	down := "postgres://ot@127.0.0.1:1/ot?connect_timeout=2"
	require.Error(t, serveCmd(ctx, []string{"--db", down, "--addr", "127.0.0.1:0"}, io.Discard, io.Discard))
	assert.NoFileExists(t, devKeyFile(down), "no key for a database that did not answer")
	logs = &syncBuffer{}
	require.NoError(t, serveCmd(ctx, []string{"--db", filepath.Join(dir, "open.db"), "--addr", "0.0.0.0:0", "--insecure"}, io.Discard, logs))
	assert.Contains(t, logs.String(), "no auth file and --insecure")
	assert.Contains(t, logs.String(), "serving plain HTTP beyond loopback")
}

// token mints for a role (and a party), and names what is missing.
func TestTokenCommand(t *testing.T) {
	key := filepath.Join(t.TempDir(), "none.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--key", key}, "give --role"},
		{[]string{"--key", key, "--role", "root"}, `role "root": not a role`},
		{[]string{"--key", key, "--role", "admin"}, "serve makes it beside its store"},
	} {
		_, err := cli(append([]string{"token"}, tc.args...)...)
		assert.ErrorContains(t, err, tc.want, tc.args)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, serveCmd(ctx, []string{"--db", db, "--addr", "127.0.0.1:0"}, io.Discard, io.Discard))
	_, err := cli("token", "--key", devKeyFile(db), "--role", "partner")
	assert.ErrorContains(t, err, "token: --role partner acts for one party: give it with --tenant PARTY")
	out, err := cli("token", "--key", devKeyFile(db), "--role", "partner,sales", "--tenant", "CUST-1", "--ttl", "5m")
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(strings.TrimSpace(out), "."), "one JWT: %s", out)
}

// Instances of a deployment started together each make a development
// issuer's key; the one saved first is the deployment's, and the others
// take it (they refused to start: "start again"), so that one token is
// good on every instance.
func TestServeGuardTakesTheKeySavedFirst(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	guard, keep, err := serveGuard(serveAuthOptions{addr: "127.0.0.1:0", db: db}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	first, err := auth.NewDevKey()
	require.NoError(t, err)
	_, created, err := auth.SaveDevKey(devKeyFile(db), first) // another instance, quicker
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, keep())

	token, err := auth.Mint(first, auth.Grant{Subject: "ops", Roles: []auth.Role{auth.Operations}, TTL: time.Hour}, time.Now())
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	id, err := guard.Authenticate(r)
	require.NoError(t, err, "a token of the key saved first")
	assert.Equal(t, "ops", id.Subject)
}
