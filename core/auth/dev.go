package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The local development issuer: its tokens' iss and aud.
const (
	DevIssuerName = "ordertwin-dev"
	DevAudience   = "ordertwin"
)

// LoadDevKey reads the development issuer's Ed25519 signing key, a PEM
// PRIVATE KEY (PKCS #8) file.
func LoadDevKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the development issuer's key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("the development issuer's key %s: want a PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the development issuer's key %s: %w", path, err)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the development issuer's key %s: a %T key, want Ed25519", path, k)
	}
	return ed, nil
}

// LoadOrCreateDevKey reads the development issuer's key, or makes a new
// one and writes it (readable by its owner only) when there is no file.
// Processes starting together (the instances of a deployment) agree on
// one key: the file appears whole or not at all (written beside, then
// linked into place), and one that finds it made meanwhile reads it.
func LoadOrCreateDevKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = LoadDevKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if key, err = NewDevKey(); err != nil {
		return nil, false, err
	}
	return SaveDevKey(path, key)
}

// NewDevKey makes a new development issuer's key, in memory only: a
// server that must not write before its store is open makes it first and
// saves it after (SaveDevKey).
func NewDevKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	return key, err
}

// SaveDevKey writes key to path (readable by its owner only), whole or not
// at all, unless a file is there already: then key is that file's
// (created is false), made by another process first.
func SaveDevKey(path string, key ed25519.PrivateKey) (_ ed25519.PrivateKey, created bool, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return nil, false, fmt.Errorf("the development issuer's key: %w", err)
	}
	defer os.Remove(f.Name())
	if err := errors.Join(f.Chmod(0o600), pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}), f.Sync(), f.Close()); err != nil {
		return nil, false, fmt.Errorf("the development issuer's key %s: %w", path, err)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		key, err = LoadDevKey(path) // another process made it first
		return key, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("the development issuer's key: %w", err)
	}
	return key, true, nil
}

// DevIssuer is the issuer that verifies the development issuer's tokens.
func DevIssuer(key ed25519.PrivateKey) *Issuer {
	return &Issuer{Name: DevIssuerName, Audience: DevAudience, Unnamed: []crypto.PublicKey{key.Public()}}
}

// Grant is what a minted token says of its holder.
type Grant struct {
	Subject string
	Roles   []Role
	Tenant  string
	// TTL is how long the token is valid from now.
	TTL time.Duration
}

// Mint signs a token of the development issuer (EdDSA) for g, valid from
// now for g.TTL.
func Mint(key ed25519.PrivateKey, g Grant, now time.Time) (string, error) {
	id := Identity{Subject: g.Subject, Roles: g.Roles, Tenant: g.Tenant}
	if err := id.check(); err != nil {
		return "", err
	}
	if g.TTL <= 0 {
		return "", fmt.Errorf("ttl %s: want a positive duration", g.TTL)
	}
	roles := make([]string, len(g.Roles))
	for i, r := range g.Roles {
		roles[i] = string(r)
	}
	claims := jwt.MapClaims{"iss": DevIssuerName, "aud": DevAudience, "sub": g.Subject, "roles": roles,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(g.TTL).Unix()}
	if g.Tenant != "" {
		claims["tenant"] = g.Tenant
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(key)
}
