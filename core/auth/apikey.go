package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/ordertwin/ordertwin/core/yamlfile"
)

// KeysFile is the file of machines' API keys: each key, or its SHA-256
// ("sha256:" and 64 hex digits, so the file need not hold the secret),
// with the identity it stands for.
//
//	keys:
//	  - key: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	    subject: billing-sync
//	    roles: [operations]
//	  - key: sha256:…
//	    subject: wholesale-acme
//	    roles: [partner]
//	    tenant: CUST-ACME
type KeysFile struct {
	Keys []struct {
		Key     string   `yaml:"key"`
		Subject string   `yaml:"subject"`
		Roles   []string `yaml:"roles"`
		Tenant  string   `yaml:"tenant"`
	} `yaml:"keys"`
}

// apiKeys are the identities of API keys by the SHA-256 of the key.
type apiKeys map[[sha256.Size]byte]Identity

// LoadAPIKeys reads a KeysFile. Every error names the entry.
func LoadAPIKeys(path string) (apiKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f KeysFile
	if err := yamlfile.Decode(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	keys := apiKeys{}
	for i, k := range f.Keys {
		at := fmt.Sprintf("%s: keys[%d]", path, i)
		var sum [sha256.Size]byte
		if hexSum, ok := strings.CutPrefix(k.Key, "sha256:"); ok {
			b, err := hex.DecodeString(hexSum)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%s.key: want sha256: and 64 hex digits", at)
			}
			copy(sum[:], b)
		} else {
			if len(k.Key) < 16 {
				return nil, fmt.Errorf("%s.key: a key of %d characters is too easy to guess: want at least 16", at, len(k.Key))
			}
			sum = sha256.Sum256([]byte(k.Key))
		}
		if _, dup := keys[sum]; dup {
			return nil, fmt.Errorf("%s.key: given twice", at)
		}
		id := Identity{Subject: k.Subject, Tenant: k.Tenant, Method: APIKey}
		for _, name := range k.Roles {
			r, err := ParseRole(name)
			if err != nil {
				return nil, fmt.Errorf("%s.roles: %w", at, err)
			}
			id.Roles = append(id.Roles, r)
		}
		if err := id.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		keys[sum] = id
	}
	return keys, nil
}

// lookup finds the identity of a presented key: the map is keyed by its
// hash, so the comparison reveals nothing of the stored keys.
func (k apiKeys) lookup(key string) (Identity, bool) {
	id, ok := k[sha256.Sum256([]byte(key))]
	return id, ok
}
