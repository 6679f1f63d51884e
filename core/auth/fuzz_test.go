package auth

import (
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Whatever a client sends as credentials, authentication answers without
// panicking, and only the one token the issuer signed is taken (no
// forged peer signature, no changed token).
func FuzzAuthenticate(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	secret := []byte("the deployment's peer secret, 32 bytes or more")
	g, err := NewGuard(&Config{DevIssuer: true}, key, secret)
	if err != nil {
		f.Fatal(err)
	}
	g.Now = func() time.Time { return now }
	good, err := Mint(key, Grant{Subject: "s", Roles: []Role{Admin}, TTL: time.Hour}, now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer "+good, "", "", "")
	f.Add("Bearer "+good[:len(good)-2], "", "", "")
	f.Add("Bearer e30.e30.", "", "", "")
	f.Add("bearer a.b.c", "", "", "")
	f.Add("", "som→com", "1", "00")
	f.Add("Basic x", "x", "", "zz")
	f.Fuzz(func(t *testing.T, authorization, stream, seq, signature string) {
		r := httptest.NewRequest(http.MethodPost, "/tmf-api/serviceOrdering/v4/listener/x", strings.NewReader("{}"))
		r.Header.Set("Authorization", authorization)
		r.Header.Set(PeerStream, stream)
		r.Header.Set(PeerSeq, seq)
		r.Header.Set(PeerSignature, signature)
		id, err := g.Authenticate(r)
		if err != nil {
			return
		}
		if stream != "" {
			t.Fatalf("a peer message with a forged signature %q taken as %+v", signature, id)
		}
		if id.Subject != "s" || id.Issuer != DevIssuerName {
			t.Fatalf("took %q as %+v", authorization, id)
		}
	})
}

// A key file, whatever it holds, is read or refused with an error, never
// a panic.
func FuzzParseKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"},{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseJWKS(b)
		_, _ = ParsePEM(b)
	})
}
