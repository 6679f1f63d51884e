package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway is how far a token's exp and nbf may be off the server's clock.
const Leeway = 30 * time.Second

// minRSABits is the smallest RSA key taken.
const minRSABits = 2048

// Algorithms are the JWS algorithms a token may be signed with.
var Algorithms = []string{"RS256", "ES256", "EdDSA"}

// Issuer verifies the tokens of one issuer: signed by one of its keys,
// with its iss, the audience, and not expired.
type Issuer struct {
	// Name is the iss of its tokens.
	Name string
	// Audience is the aud a token must carry.
	Audience string
	// Keys are its public keys by key id (kid); Unnamed those without
	// one (PEM keys), tried in turn on a token whose kid is not in Keys.
	Keys    map[string]crypto.PublicKey
	Unnamed []crypto.PublicKey
	// RolesClaim and TenantClaim name the claims that carry the roles
	// (an array of names, or names separated by spaces) and the tenant;
	// "" means "roles" and "tenant".
	RolesClaim  string
	TenantClaim string
}

// verify checks a token of this issuer and reads its identity and
// expiry.
func (is *Issuer) verify(token string, now func() time.Time) (Identity, time.Time, error) {
	parser := jwt.NewParser(jwt.WithValidMethods(Algorithms), jwt.WithLeeway(Leeway), jwt.WithIssuer(is.Name),
		jwt.WithAudience(is.Audience), jwt.WithExpirationRequired(), jwt.WithTimeFunc(now))
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := is.Keys[kid]; ok {
			return k, nil
		}
		if len(is.Unnamed) == 0 {
			return nil, fmt.Errorf("issuer %s has no key %q", is.Name, kid)
		}
		set := jwt.VerificationKeySet{}
		for _, k := range is.Unnamed {
			set.Keys = append(set.Keys, k)
		}
		return set, nil
	})
	if err == nil || errors.Is(err, jwt.ErrTokenInvalidClaims) { // signed by the issuer: its times are read
		if e := checkTimes(claims); e != nil {
			return Identity{}, time.Time{}, e
		}
	}
	if err != nil {
		return Identity{}, time.Time{}, err
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return Identity{}, time.Time{}, errors.New("the token has no expiry (exp)")
	}
	id := Identity{Method: BearerJWT, Issuer: is.Name, Expires: exp.Add(Leeway)}
	id.Subject, _ = claims["sub"].(string)
	id.Tenant, _ = claims[or(is.TenantClaim, "tenant")].(string)
	var names []string
	switch v := claims[or(is.RolesClaim, "roles")].(type) {
	case string:
		names = strings.Fields(v)
	case []any:
		for _, n := range v {
			if s, ok := n.(string); ok {
				names = append(names, s)
			}
		}
	}
	for _, n := range names {
		if r, err := ParseRole(n); err == nil { // roles of other services are not ours
			id.Roles = append(id.Roles, r)
		}
	}
	if err := id.check(); err != nil {
		return Identity{}, time.Time{}, err
	}
	return id, exp.Time, nil
}

// maxTime is the latest time a token's exp, nbf or iat may give: the end
// of year 9999 (seconds since 1970).
const maxTime = 253402300799

// checkTimes refuses a token whose exp, nbf or iat is a number no time
// is (1e300, -1, NaN as a string is no number at all): the parser would
// read it as some other time (1e300 as long expired).
func checkTimes(claims jwt.MapClaims) error {
	for _, name := range []string{"exp", "nbf", "iat"} {
		v, ok := claims[name]
		if !ok {
			continue
		}
		var secs float64
		switch n := v.(type) {
		case float64:
			secs = n
		case json.Number:
			f, err := n.Float64()
			if err != nil {
				return fmt.Errorf("%s %s is not a time: want seconds since 1970 up to year 9999", name, n)
			}
			secs = f
		default:
			continue // the parser says what is wrong with it
		}
		if !(secs >= 0 && secs <= maxTime) {
			return fmt.Errorf("%s %g is not a time: want seconds since 1970 up to year 9999", name, secs)
		}
	}
	return nil
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// issuerOf reads a token's iss without verifying it, to pick the issuer
// that verifies it.
func issuerOf(token string) (string, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return "", err
	}
	iss, err := claims.GetIssuer()
	if err != nil || iss == "" {
		return "", errors.New("the token has no issuer (iss)")
	}
	return iss, nil
}

// ParseJWKS reads a JSON Web Key Set: RSA keys, EC keys on P-256 and
// OKP Ed25519 keys, by kid. A key meant for encryption (use "enc") is
// left out; a key of another type is an error naming it.
func ParseJWKS(b []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Crv string `json:"crv"`
			N   string `json:"n"`
			E   string `json:"e"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for i, k := range set.Keys {
		if k.Use == "enc" {
			continue
		}
		at := fmt.Sprintf("keys[%d] (kid %q)", i, k.Kid)
		num := func(name, v string) (*big.Int, error) {
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("%s.%s: want base64url", at, name)
			}
			return new(big.Int).SetBytes(b), nil
		}
		var pub crypto.PublicKey
		switch {
		case k.Kty == "RSA":
			n, err := num("n", k.N)
			if err != nil {
				return nil, err
			}
			e, err := num("e", k.E)
			if err != nil {
				return nil, err
			}
			if !e.IsInt64() || e.Int64() > 1<<31 {
				return nil, fmt.Errorf("%s.e: too large", at)
			}
			if n.BitLen() < minRSABits {
				return nil, fmt.Errorf("%s: an RSA key of %d bits: want at least %d", at, n.BitLen(), minRSABits)
			}
			pub = &rsa.PublicKey{N: n, E: int(e.Int64())}
		case k.Kty == "EC" && k.Crv == "P-256":
			x, err := num("x", k.X)
			if err != nil {
				return nil, err
			}
			y, err := num("y", k.Y)
			if err != nil {
				return nil, err
			}
			if x.BitLen() > 256 || y.BitLen() > 256 {
				return nil, fmt.Errorf("%s: x and y: want P-256 coordinates of 32 bytes", at)
			}
			point := make([]byte, 65)
			point[0] = 4
			x.FillBytes(point[1:33])
			y.FillBytes(point[33:])
			ec, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			pub = ec
		case k.Kty == "OKP" && k.Crv == "Ed25519":
			x, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.X, "="))
			if err != nil || len(x) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%s.x: want a base64url Ed25519 public key", at)
			}
			pub = ed25519.PublicKey(x)
		default:
			return nil, fmt.Errorf("%s: kty %q crv %q: want RSA, EC P-256 or OKP Ed25519", at, k.Kty, k.Crv)
		}
		if _, dup := keys[k.Kid]; dup {
			return nil, fmt.Errorf("%s: a second key with this kid", at)
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("no signing key in the JWK set")
	}
	return keys, nil
}

// ParsePEM reads public keys from PEM blocks: PUBLIC KEY (PKIX: RSA,
// ECDSA P-256, Ed25519), RSA PUBLIC KEY (PKCS #1) or CERTIFICATE (its
// key).
func ParsePEM(b []byte) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = c.PublicKey
			}
		default:
			err = fmt.Errorf("type %q: want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		switch k := pub.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < minRSABits {
				return nil, fmt.Errorf("PEM block %d: an RSA key of %d bits: want at least %d", n, k.N.BitLen(), minRSABits)
			}
		case ed25519.PublicKey:
		case *ecdsa.PublicKey:
			if k.Curve != elliptic.P256() {
				return nil, fmt.Errorf("PEM block %d: ECDSA on %s: want P-256 (ES256)", n, k.Curve.Params().Name)
			}
		default:
			return nil, fmt.Errorf("PEM block %d: a %T key: want RSA, ECDSA P-256 or Ed25519", n, pub)
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM block")
	}
	return keys, nil
}
