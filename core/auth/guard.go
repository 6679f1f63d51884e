package auth

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/yamlfile"
)

// Config is an auth file (serve --auth FILE; docs/auth.md): the issuers
// whose tokens are taken, the API keys of machines, whether the local
// development issuer signs tokens too, and whether /metrics is public.
// Paths are relative to the file.
type Config struct {
	Issuers []IssuerConfig `yaml:"issuers"`
	// APIKeys is a KeysFile.
	APIKeys string `yaml:"apiKeys"`
	// DevIssuer takes the tokens of `ordertwin token` (the key beside
	// the store).
	DevIssuer bool `yaml:"devIssuer"`
	// PublicMetrics serves /metrics without authentication.
	PublicMetrics bool `yaml:"publicMetrics"`
}

// IssuerConfig is one issuer of an auth file: its keys in a JWKS file or
// PEM files.
type IssuerConfig struct {
	Issuer      string   `yaml:"issuer"`
	Audience    string   `yaml:"audience"`
	JWKS        string   `yaml:"jwks"`
	PEM         []string `yaml:"pem"`
	RolesClaim  string   `yaml:"rolesClaim"`
	TenantClaim string   `yaml:"tenantClaim"`
}

// LoadConfig reads an auth file; unknown fields are errors.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth file: %w", err)
	}
	var c Config
	if err := yamlfile.Decode(b, &c); err != nil {
		return nil, fmt.Errorf("auth file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.APIKeys = rel(c.APIKeys)
	for i := range c.Issuers {
		c.Issuers[i].JWKS = rel(c.Issuers[i].JWKS)
		for j := range c.Issuers[i].PEM {
			c.Issuers[i].PEM[j] = rel(c.Issuers[i].PEM[j])
		}
	}
	return &c, nil
}

// Guard authenticates requests: bearer JWTs of its issuers, API keys,
// and peers' signed messages.
type Guard struct {
	issuers    map[string]*Issuer
	keys       apiKeys
	peerSecret []byte
	// Policy says who may call what.
	Policy *Policy
	// Now is the clock tokens are checked against (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	verified map[string]verifiedToken // by the token: its signature is checked once
}

// verifiedToken is a token already verified: who it stands for, until
// when.
type verifiedToken struct {
	id  Identity
	exp time.Time
}

// maxVerified bounds the tokens kept verified; when full, it starts
// again empty.
const maxVerified = 4096

// UseDevKey makes key the development issuer's, in place of the one the
// guard was built with (another process saved its key first). Call it
// before the guard serves: the issuers are read unlocked.
func (g *Guard) UseDevKey(key ed25519.PrivateKey) {
	if _, ok := g.issuers[DevIssuerName]; ok {
		g.issuers[DevIssuerName] = DevIssuer(key)
	}
}

// NewGuard builds the guard of c: devKey is the development issuer's key
// (used when c.DevIssuer), peerSecret the deployment's (nil: no peers).
// Every error names the file or issuer at fault.
func NewGuard(c *Config, devKey ed25519.PrivateKey, peerSecret []byte) (*Guard, error) {
	g := &Guard{issuers: map[string]*Issuer{}, peerSecret: peerSecret, Policy: NewPolicy(c.PublicMetrics)}
	add := func(is *Issuer) error {
		if _, dup := g.issuers[is.Name]; dup {
			return fmt.Errorf("issuer %q: given twice", is.Name)
		}
		g.issuers[is.Name] = is
		return nil
	}
	if c.DevIssuer {
		if devKey == nil {
			return nil, errors.New("devIssuer: no key for the development issuer")
		}
		if err := add(DevIssuer(devKey)); err != nil {
			return nil, err
		}
	}
	for i, ic := range c.Issuers {
		at := fmt.Sprintf("issuers[%d] (%s)", i, ic.Issuer)
		if ic.Issuer == "" || ic.Audience == "" {
			return nil, fmt.Errorf("%s: issuer and audience are required", at)
		}
		is := &Issuer{Name: ic.Issuer, Audience: ic.Audience, Keys: map[string]crypto.PublicKey{},
			RolesClaim: ic.RolesClaim, TenantClaim: ic.TenantClaim}
		if ic.JWKS != "" {
			b, err := os.ReadFile(ic.JWKS)
			if err != nil {
				return nil, fmt.Errorf("%s: jwks: %w", at, err)
			}
			if is.Keys, err = ParseJWKS(b); err != nil {
				return nil, fmt.Errorf("%s: jwks %s: %w", at, ic.JWKS, err)
			}
		}
		for _, p := range ic.PEM {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s: pem: %w", at, err)
			}
			keys, err := ParsePEM(b)
			if err != nil {
				return nil, fmt.Errorf("%s: pem %s: %w", at, p, err)
			}
			is.Unnamed = append(is.Unnamed, keys...)
		}
		if len(is.Keys)+len(is.Unnamed) == 0 {
			return nil, fmt.Errorf("%s: no keys: give jwks or pem", at)
		}
		if err := add(is); err != nil {
			return nil, err
		}
	}
	if c.APIKeys != "" {
		keys, err := LoadAPIKeys(c.APIKeys)
		if err != nil {
			return nil, fmt.Errorf("apiKeys: %w", err)
		}
		g.keys = keys
	}
	if len(g.issuers) == 0 && len(g.keys) == 0 {
		return nil, errors.New("no issuer and no API key: nobody could be authenticated (give issuers, apiKeys or devIssuer: true)")
	}
	return g, nil
}

// ErrNoCredentials is the error of a request that carries none.
var ErrNoCredentials = errors.New("no credentials: send Authorization: Bearer TOKEN")

// Authenticate tells who sent r: a peer when it carries a peer stream
// (its signature checked, its body read and put back), else the holder
// of its bearer token, a JWT of a known issuer or an API key. The error
// is ErrNoCredentials or says what is wrong with them.
func (g *Guard) Authenticate(r *http.Request) (Identity, error) {
	if r.Header.Get(PeerStream) != "" {
		return verifyPeer(g.peerSecret, r)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		h = webSocketBearer(r)
	}
	if h == "" {
		return Identity{}, ErrNoCredentials
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Identity{}, errors.New("the Authorization header: want the Bearer scheme and a token")
	}
	if strings.Count(token, ".") == 2 {
		now := g.Now
		if now == nil {
			now = time.Now
		}
		g.mu.Lock()
		v, ok := g.verified[token]
		g.mu.Unlock()
		if ok && now().Before(v.exp.Add(Leeway)) {
			return v.id, nil
		}
		iss, err := issuerOf(token)
		if err != nil {
			return Identity{}, fmt.Errorf("the token: %w", err)
		}
		is, ok := g.issuers[iss]
		if !ok {
			return Identity{}, fmt.Errorf("the token's issuer %q is not one this server trusts", iss)
		}
		id, exp, err := is.verify(token, now)
		if err != nil {
			return Identity{}, fmt.Errorf("the token: %w", err)
		}
		g.mu.Lock()
		if g.verified == nil || len(g.verified) >= maxVerified {
			g.verified = map[string]verifiedToken{}
		}
		g.verified[token] = verifiedToken{id, exp}
		g.mu.Unlock()
		return id, nil
	}
	if id, ok := g.keys.lookup(token); ok {
		return id, nil
	}
	return Identity{}, errors.New("the token is neither a JWT of a trusted issuer nor a known API key")
}

// BearerProtocolPrefix marks the token among the subprotocols a
// WebSocket handshake offers (Sec-WebSocket-Protocol: bearer.TOKEN): a
// browser cannot set the Authorization header of a WebSocket.
const BearerProtocolPrefix = "bearer."

// webSocketBearer is the Authorization a WebSocket handshake carries as a
// subprotocol ("" for none).
func webSocketBearer(r *http.Request) string {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return ""
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if tok, ok := strings.CutPrefix(strings.TrimSpace(p), BearerProtocolPrefix); ok && tok != "" {
				return "Bearer " + tok
			}
		}
	}
	return ""
}

// PeerSecret is the secret the deployment's processes sign their
// messages with (nil: none).
func (g *Guard) PeerSecret() []byte { return g.peerSecret }
