package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key signs as schnorr.Sign does, byte for byte (BIP-340, the nonce by
// RFC 6979), without deriving its public key for each signature: keys
// of both parities of y, many messages; each signature verifies.
func TestSignaturesAsTheLibrarySigns(t *testing.T) {
	odd, even := 0, 0
	for i := range 64 {
		secret := sha256.Sum256(fmt.Appendf(nil, "key %d", i))
		k, err := ParseKey(hex.EncodeToString(secret[:]))
		require.NoError(t, err)
		if k.secret.PubKey().SerializeCompressed()[0] == 0x03 {
			odd++
		} else {
			even++
		}
		for j := range 8 {
			hash := sha256.Sum256(fmt.Appendf(nil, "message %d of %d", j, i))
			want, err := schnorr.Sign(k.secret, hash[:], schnorr.FastSign())
			require.NoError(t, err)
			got, err := k.schnorr(hash[:])
			require.NoError(t, err)
			require.Equal(t, want.Serialize(), got.Serialize(), "key %d, message %d", i, j)
			pub, err := schnorr.ParsePubKey(k.px)
			require.NoError(t, err)
			assert.True(t, got.Verify(hash[:], pub))
		}
	}
	assert.NotZero(t, odd, "keys whose public point has an odd y")
	assert.NotZero(t, even)
	k, err := ParseKey(hex.EncodeToString(make([]byte, 31)) + "01")
	require.NoError(t, err)
	_, err = k.schnorr([]byte("short"))
	assert.ErrorContains(t, err, "32 bytes")
}

// BenchmarkSchnorr: a signature by the library, and by a key that keeps its
// public key.
func BenchmarkSchnorr(b *testing.B) {
	k, err := ParseKey("7f7ff03d123792d6ac594bfa67bf6d0c0ab55b6b1fdb6249303fe861f1ccba9a")
	require.NoError(b, err)
	hash := sha256.Sum256([]byte("a decision"))
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			schnorr.Sign(k.secret, hash[:], schnorr.FastSign())
		}
	})
	b.Run("key", func(b *testing.B) {
		for b.Loop() {
			k.schnorr(hash[:])
		}
	})
}
