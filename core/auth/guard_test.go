package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// now is the clock of the tests.
var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const idp = "https://login.example/realms/ops"

// signer is a key of the test issuer and its JWS algorithm.
type signer struct {
	alg  jwt.SigningMethod
	kid  string
	priv crypto.Signer
}

func signers(t *testing.T) []signer {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	edKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	return []signer{{jwt.SigningMethodRS256, "rsa-1", rsaKey}, {jwt.SigningMethodES256, "ec-1", ecKey}, {jwt.SigningMethodEdDSA, "ed-1", edKey}}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwks writes the public keys of ss as a JWK set.
func jwks(t *testing.T, ss []signer) []byte {
	t.Helper()
	var keys []map[string]string
	for _, s := range ss {
		switch k := s.priv.Public().(type) {
		case *rsa.PublicKey:
			keys = append(keys, map[string]string{"kty": "RSA", "kid": s.kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64([]byte{1, 0, 1})})
		case *ecdsa.PublicKey:
			raw, err := k.Bytes()
			require.NoError(t, err)
			keys = append(keys, map[string]string{"kty": "EC", "kid": s.kid, "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])})
		case ed25519.PublicKey:
			keys = append(keys, map[string]string{"kty": "OKP", "kid": s.kid, "crv": "Ed25519", "x": b64(k)})
		}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	require.NoError(t, err)
	return b
}

func token(t *testing.T, s signer, kid bool, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.alg, claims)
	if kid {
		tok.Header["kid"] = s.kid
	}
	out, err := tok.SignedString(s.priv)
	require.NoError(t, err)
	return out
}

func claims(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"iss": idp, "aud": "ordertwin", "sub": "alice", "roles": []string{"sales", "offline_access"},
		"tenant": "CUST-ENT-1102", "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
	if edit != nil {
		edit(c)
	}
	return c
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/tmf-api/quoteManagement/v4/quote", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// The auth file names an issuer by a JWKS file and one by PEM files;
// every algorithm verifies, and each check of a token (signature, iss,
// aud, exp and nbf with leeway, alg) refuses what fails it.
func TestGuardVerifiesBearerJWTs(t *testing.T) {
	ss := signers(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "idp.jwks.json"), jwks(t, ss), 0o600))
	for _, s := range ss {
		der, err := x509.MarshalPKIXPublicKey(s.priv.Public())
		require.NoError(t, err)
		name := s.kid + ".pem"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
	}
	file := filepath.Join(dir, "auth.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`issuers:
  - issuer: `+idp+`
    audience: ordertwin
    jwks: idp.jwks.json
  - issuer: https://pem.example
    audience: ordertwin
    pem: [rsa-1.pem, ec-1.pem, ed-1.pem]
`), 0o600))
	cfg, err := LoadConfig(file)
	require.NoError(t, err)
	g, err := NewGuard(cfg, nil, nil)
	require.NoError(t, err)
	g.Now = func() time.Time { return now }

	for _, s := range ss {
		t.Run(s.alg.Alg(), func(t *testing.T) {
			id, err := g.Authenticate(bearer(token(t, s, true, claims(nil))))
			require.NoError(t, err)
			assert.Equal(t, Identity{Subject: "alice", Roles: []Role{Sales}, Tenant: "CUST-ENT-1102", Method: BearerJWT, Issuer: idp,
				Expires: time.Unix(now.Add(time.Hour).Unix(), 0).Add(Leeway)}, id,
				"roles of other services are left out; taken until its exp and the leeway")
			id, err = g.Authenticate(bearer(token(t, s, false, claims(func(c jwt.MapClaims) { c["iss"] = "https://pem.example" }))))
			require.NoError(t, err, "a PEM key, no kid")
			assert.Equal(t, "https://pem.example", id.Issuer)
			_, err = g.Authenticate(bearer(token(t, s, true, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-Leeway / 2).Unix() }))))
			assert.NoError(t, err, "expired within the leeway")

			for name, c := range map[string]jwt.MapClaims{
				"expired":          claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * Leeway).Unix() }),
				"no expiry":        claims(func(c jwt.MapClaims) { delete(c, "exp") }),
				"not yet valid":    claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(2 * Leeway).Unix() }),
				"other audience":   claims(func(c jwt.MapClaims) { c["aud"] = "billing" }),
				"unknown issuer":   claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
				"no role of ours":  claims(func(c jwt.MapClaims) { c["roles"] = []string{"offline_access"} }),
				"sales, no tenant": claims(func(c jwt.MapClaims) { delete(c, "tenant") }),
			} {
				_, err := g.Authenticate(bearer(token(t, s, true, c)))
				assert.Error(t, err, name)
			}
			// A time no time is: not "expired" (1e300 would read so), nor
			// valid (an nbf of -1e300 would read as long past).
			for name, v := range map[string]float64{"exp": 1e300, "nbf": -1e300} {
				_, err = g.Authenticate(bearer(token(t, s, true, claims(func(c jwt.MapClaims) { c[name] = v }))))
				assert.ErrorContains(t, err, "the token: "+name+" "+strconv.FormatFloat(v, 'g', -1, 64)+" is not a time: want seconds since 1970 up to year 9999")
			}
			tok := token(t, s, true, claims(nil))
			head, rest, _ := strings.Cut(tok, ".")
			_, sig, _ := strings.Cut(rest, ".")
			forged := claims(func(c jwt.MapClaims) { c["roles"] = []string{"admin"} })
			b, _ := json.Marshal(forged)
			_, err = g.Authenticate(bearer(head + "." + b64(b) + "." + sig))
			assert.ErrorContains(t, err, "signature", "a changed payload")
		})
	}
	// alg none, and HS256 keyed with a public key (algorithm confusion).
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	_, err = g.Authenticate(bearer(none))
	assert.Error(t, err)
	pub, _ := x509.MarshalPKIXPublicKey(ss[0].priv.Public())
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil)).SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	require.NoError(t, err)
	_, err = g.Authenticate(bearer(hs))
	assert.ErrorContains(t, err, "signing method HS256 is invalid")
	_, err = g.Authenticate(bearer(token(t, signer{ss[2].alg, "other", ed25519.NewKeyFromSeed([]byte(strings.Repeat("k", ed25519.SeedSize)))}, true, claims(nil))))
	assert.Error(t, err, "a kid the issuer does not have")

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	_, err = g.Authenticate(r)
	assert.ErrorIs(t, err, ErrNoCredentials)
	r.Header.Set("Authorization", "Basic YWxpY2U6cHc=")
	_, err = g.Authenticate(r)
	assert.ErrorContains(t, err, "Bearer")
}

// Bad auth files and keys are refused, naming what is wrong.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	for name, tc := range map[string]struct{ file, want string }{
		"unknown field": {"issuers: []\nbogus: 1\n", `line 2: top level: unknown key "bogus"`},
		"nobody":        {"publicMetrics: true\n", "nobody could be authenticated"},
		"no audience":   {"issuers: [{issuer: x, jwks: k.json}]\n", "issuer and audience are required"},
		"no keys":       {"issuers: [{issuer: x, audience: y}]\n", "no keys"},
		"long EC x":     {"issuers: [{issuer: x, audience: y, jwks: " + write("ec.json", `{"keys":[{"kty":"EC","crv":"P-256","x":"`+b64(bytes.Repeat([]byte{0xff}, 33))+`","y":"AQ"}]}`) + "}]\n", "32 bytes"},
		"short RSA":     {"issuers: [{issuer: x, audience: y, jwks: " + write("rsa.json", `{"keys":[{"kty":"RSA","n":"`+b64(bytes.Repeat([]byte{0xff}, 128))+`","e":"AQAB"}]}`) + "}]\n", "1024 bits: want at least 2048"},
		"bad jwks":      {"issuers: [{issuer: x, audience: y, jwks: " + write("bad.json", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`) + "}]\n", `kty "oct"`},
		"bad pem":       {"issuers: [{issuer: x, audience: y, pem: [" + write("bad.pem", "nothing") + "]}]\n", "no PEM block"},
		"short api key": {"apiKeys: " + write("keys.yaml", "keys: [{key: short, subject: m, roles: [admin]}]\n") + "\n", "too easy to guess"},
		"unknown role":  {"apiKeys: " + write("keys2.yaml", "keys: [{key: 0123456789abcdef0123, subject: m, roles: [root]}]\n") + "\n", `role "root": not a role`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadConfig(write(name+".yaml", tc.file))
			if err == nil {
				_, err = NewGuard(cfg, nil, nil)
			}
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// API keys, plain or by their SHA-256, stand for their machine.
func TestGuardAPIKeys(t *testing.T) {
	dir := t.TempDir()
	sum := sha256.Sum256([]byte("partner-key-0123456789"))
	keys := "keys:\n  - key: ops-key-0123456789abcdef\n    subject: billing-sync\n    roles: [operations]\n" +
		"  - key: sha256:" + hex.EncodeToString(sum[:]) + "\n    subject: acme\n    roles: [partner]\n    tenant: CUST-ACME\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.yaml"), []byte(keys), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "auth.yaml"), []byte("apiKeys: keys.yaml\n"), 0o600))
	cfg, err := LoadConfig(filepath.Join(dir, "auth.yaml"))
	require.NoError(t, err)
	g, err := NewGuard(cfg, nil, nil)
	require.NoError(t, err)
	id, err := g.Authenticate(bearer("ops-key-0123456789abcdef"))
	require.NoError(t, err)
	assert.Equal(t, Identity{Subject: "billing-sync", Roles: []Role{Operations}, Method: APIKey}, id)
	id, err = g.Authenticate(bearer("partner-key-0123456789"))
	require.NoError(t, err)
	assert.Equal(t, Identity{Subject: "acme", Roles: []Role{Partner}, Tenant: "CUST-ACME", Method: APIKey}, id)
	_, err = g.Authenticate(bearer("ops-key-0123456789abcdeX"))
	assert.ErrorContains(t, err, "neither a JWT of a trusted issuer nor a known API key")
}

// The development issuer's key is made once, kept for its owner only, and
// the tokens minted with it are taken by a guard with devIssuer.
func TestDevIssuer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db.issuer.pem")
	key, created, err := LoadOrCreateDevKey(path)
	require.NoError(t, err)
	assert.True(t, created)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	again, created, err := LoadOrCreateDevKey(path)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, key, again)

	g, err := NewGuard(&Config{DevIssuer: true}, key, nil)
	require.NoError(t, err)
	g.Now = func() time.Time { return now.Add(59 * time.Minute) }
	tok, err := Mint(key, Grant{Subject: "ana", Roles: []Role{ApproverTechnical}, TTL: time.Hour}, now)
	require.NoError(t, err)
	id, err := g.Authenticate(bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, Identity{Subject: "ana", Roles: []Role{ApproverTechnical}, Method: BearerJWT, Issuer: DevIssuerName,
		Expires: time.Unix(now.Add(time.Hour).Unix(), 0).Add(Leeway)}, id)
	seen, err := g.Authenticate(bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, id, seen, "verified once, kept until it expires")
	g.Now = func() time.Time { return now.Add(time.Hour + 2*Leeway) }
	_, err = g.Authenticate(bearer(tok))
	assert.ErrorContains(t, err, "expired")

	_, err = Mint(key, Grant{Subject: "ana", Roles: []Role{Partner}, TTL: time.Hour}, now)
	assert.ErrorContains(t, err, "acts for one party")
	other, _, err := LoadOrCreateDevKey(filepath.Join(t.TempDir(), "other.pem"))
	require.NoError(t, err)
	tok, err = Mint(other, Grant{Subject: "mallory", Roles: []Role{Admin}, TTL: time.Hour}, now)
	require.NoError(t, err)
	g.Now = func() time.Time { return now }
	_, err = g.Authenticate(bearer(tok))
	assert.ErrorContains(t, err, "signature", "another server's development key")
}

// A peer's message is taken when signed with the deployment's secret,
// over its method, path, stream, number and body; a change to any of
// them, or no signature, is refused.
func TestPeerSignature(t *testing.T) {
	secret := []byte("a secret the three processes share, 32 bytes or more")
	g, err := NewGuard(&Config{DevIssuer: true}, ed25519.NewKeyFromSeed(make([]byte, 32)), secret)
	require.NoError(t, err)
	body := `{"eventType":"ServiceOrderStateChangeEvent"}`
	const path = "/tmf-api/serviceOrdering/v4/listener/serviceOrderStateChangeEvent"
	signed := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		SignPeer(secret, r, "som→com", 7, []byte(body))
		return r
	}
	r := signed()
	id, err := g.Authenticate(r)
	require.NoError(t, err)
	assert.Equal(t, Identity{Subject: "peer som", Roles: []Role{Peer}, Method: PeerHMAC}, id)
	again, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, body, string(again), "the body is left to be read again")

	for name, change := range map[string]func(*http.Request){
		"body":         func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"eventType":"x"}`)) },
		"seq":          func(r *http.Request) { r.Header.Set(PeerSeq, "8") },
		"stream":       func(r *http.Request) { r.Header.Set(PeerStream, "rom→som") },
		"no signature": func(r *http.Request) { r.Header.Del(PeerSignature) },
		"path":         func(r *http.Request) { r.URL.Path = "/tmf-api/resourceOrderingManagement/v4/listener/x" },
	} {
		r := signed()
		change(r)
		_, err := g.Authenticate(r)
		assert.Error(t, err, name)
	}
	other := []byte("another deployment's secret, 32 bytes or more")
	r = httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	SignPeer(other, r, "som→com", 7, []byte(body))
	_, err = g.Authenticate(r)
	assert.ErrorContains(t, err, "not signed with the deployment's peer secret")
	noPeers, err := NewGuard(&Config{DevIssuer: true}, ed25519.NewKeyFromSeed(make([]byte, 32)), nil)
	require.NoError(t, err)
	_, err = noPeers.Authenticate(signed())
	assert.ErrorContains(t, err, "takes no peer messages")
}

// The documented example files parse.
func TestDocumentedExamples(t *testing.T) {
	cfg, err := LoadConfig("../../docs/examples/auth.yaml")
	require.NoError(t, err)
	assert.Len(t, cfg.Issuers, 2)
	assert.Equal(t, filepath.Join("../../docs/examples", "apikeys.yaml"), cfg.APIKeys)
	keys, err := LoadAPIKeys(cfg.APIKeys)
	require.NoError(t, err)
	assert.Len(t, keys, 2)
}

// The cost of authenticating a request by each kind of credential: a
// token seen before (its verification kept until it expires), and one
// verified afresh.
func BenchmarkAuthenticate(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	dir := b.TempDir()
	keys := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(keys, []byte("keys: [{key: machine-key-0123456789, subject: m, roles: [operations]}]\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(rsaKey.Public())
	pemFile := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		b.Fatal(err)
	}
	g, err := NewGuard(&Config{DevIssuer: true, APIKeys: keys, Issuers: []IssuerConfig{{Issuer: idp, Audience: "ordertwin", PEM: []string{pemFile}}}}, key, nil)
	if err != nil {
		b.Fatal(err)
	}
	dev, err := Mint(key, Grant{Subject: "s", Roles: []Role{Sales}, Tenant: "CUST-1", TTL: time.Hour}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	rs, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": idp, "aud": "ordertwin", "sub": "s", "roles": []string{"operations"},
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(rsaKey)
	if err != nil {
		b.Fatal(err)
	}
	for name, tok := range map[string]string{"EdDSA": dev, "RS256": rs, "APIKey": "machine-key-0123456789"} {
		for _, fresh := range []bool{false, true} {
			if fresh && name == "APIKey" {
				continue
			}
			b.Run(fmt.Sprintf("%s/fresh=%t", name, fresh), func(b *testing.B) {
				r := bearer(tok)
				for b.Loop() {
					if fresh {
						g.mu.Lock()
						g.verified = nil
						g.mu.Unlock()
					}
					if _, err := g.Authenticate(r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// A WebSocket handshake may carry its token as the subprotocol
// bearer.TOKEN (a browser cannot set Authorization on a WebSocket); an
// ordinary request may not, and Authorization wins when both are there.
func TestWebSocketBearer(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	g, err := NewGuard(&Config{DevIssuer: true}, key, nil)
	require.NoError(t, err)
	g.Now = func() time.Time { return now }
	ops, err := Mint(key, Grant{Subject: "olga", Roles: []Role{Operations}, TTL: time.Hour}, now)
	require.NoError(t, err)
	admin, err := Mint(key, Grant{Subject: "root", Roles: []Role{Admin}, TTL: time.Hour}, now)
	require.NoError(t, err)
	handshake := func(protocols string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/ordertwin/v1/stream", nil)
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Protocol", protocols)
		return r
	}
	id, err := g.Authenticate(handshake("ordertwin.stream.v1, " + BearerProtocolPrefix + ops))
	require.NoError(t, err)
	assert.Equal(t, "olga", id.Subject)

	_, err = g.Authenticate(handshake("ordertwin.stream.v1"))
	assert.ErrorIs(t, err, ErrNoCredentials, "no token offered")
	_, err = g.Authenticate(handshake(BearerProtocolPrefix + "x.y.z"))
	assert.ErrorContains(t, err, "the token")

	plain := handshake(BearerProtocolPrefix + ops)
	plain.Header.Del("Upgrade")
	_, err = g.Authenticate(plain)
	assert.ErrorIs(t, err, ErrNoCredentials, "not a WebSocket handshake")

	both := handshake(BearerProtocolPrefix + ops)
	both.Header.Set("Authorization", "Bearer "+admin)
	id, err = g.Authenticate(both)
	require.NoError(t, err)
	assert.Equal(t, "root", id.Subject)
}
