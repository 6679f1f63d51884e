// Package approval signs and checks approval decisions. A decision on a
// quote's approval stage is a NIP-01 event (a JSON object with the
// signer's public key, the time, a kind, tags and content, whose id is
// the SHA-256 of its canonical serialisation, signed with BIP-340 Schnorr
// over secp256k1): the approver's identity is the key that signed it.
//
// The event of a decision has kind Kind, the reason as its content, and
// the tags
//
//	["quote", quote id] ["stage", technical|commercial|customer]
//	["decision", approved|rejected] ["digest", hex SHA-256 of the quote's content]
//
// where the digest is that of the quote the approver saw (com.Digest):
// a decision signed for other content does not apply to the quote.
package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/nbd-wtf/go-nostr"
)

// Record kinds of the journal: the digest of a quote's content when it
// was submitted (Entity the quote, Reason the hex digest), and each
// signed decision (Entity quote/stage, Event approved or rejected, To
// the signer's public key, Reason the event).
const (
	DigestKind = "quoteDigest"
	RecordKind = "authorization"
)

// Kind is the event kind of an approval decision: a regular event
// (1000–9999), after the quote API's TMF648.
const Kind = 4648

// Decision is one stage's decision on a quote.
type Decision struct {
	Quote    string
	Stage    string
	Approved bool
	Digest   string // hex SHA-256 of the quote's content
	Reason   string
	At       time.Time // when it was signed, to the second
}

// State is the decision as an authorization state: approved or rejected.
func (d Decision) State() string {
	if d.Approved {
		return "approved"
	}
	return "rejected"
}

// ErrSignature is the error of an event that is not a decision signed by
// the key it names.
var ErrSignature = errors.New("not a validly signed approval decision")

// NewKey returns a new secret key, in hex.
func NewKey() string { return nostr.GeneratePrivateKey() }

// PublicKey returns the public key of secret (both in hex).
func PublicKey(secret string) (string, error) {
	k, err := ParseKey(secret)
	if err != nil {
		return "", err
	}
	return k.Public(), nil
}

// Sign signs d with secret and returns the event as JSON. The same
// decision and key always give the same event (the signature's nonce is
// derived from them), so a replay reproduces it. A signer of many
// decisions parses its key once (ParseKey) and signs with Key.Sign.
func Sign(secret string, d Decision) (string, error) {
	k, err := ParseKey(secret)
	if err != nil {
		return "", err
	}
	return k.Sign(d)
}

// Key is a secret key parsed once, with its public key: deriving the
// public key is a scalar multiplication on the curve, as costly as a
// signature, and a stage's reviewer signs every quote's decision with the
// same key.
type Key struct {
	secret *btcec.PrivateKey
	public string
	// d is the secret as BIP-340 signs with it (negated when the public
	// point's y is odd), dBytes its bytes, px the public key's x.
	d      btcec.ModNScalar
	dBytes [32]byte
	px     []byte
}

// ParseKey parses a secret key (64 hex digits).
func ParseKey(secret string) (*Key, error) {
	b, err := hex.DecodeString(secret)
	if err != nil || len(b) != 32 {
		return nil, errors.New("a secret key is 64 hex digits")
	}
	sk, pk := btcec.PrivKeyFromBytes(b)
	if sk.Key.IsZero() {
		return nil, errors.New("secret key: zero is not a key")
	}
	k := &Key{secret: sk, px: schnorr.SerializePubKey(pk)}
	k.public = hex.EncodeToString(k.px)
	k.d.Set(&sk.Key)
	if pk.SerializeCompressed()[0] == 0x03 { // an odd y
		k.d.Negate()
	}
	k.d.PutBytes(&k.dBytes)
	return k, nil
}

// Public is the key's public key, in hex: the signer an event names.
func (k *Key) Public() string { return k.public }

// Sign signs d and returns the event as JSON: the NIP-01 event whose id
// is the SHA-256 of its serialisation, signed with BIP-340 Schnorr (the
// nonce derived from the key and the id, RFC 6979). The signature is not
// verified again after signing (schnorr.FastSign): that check doubles the
// cost, and whoever relies on the event checks it (Open).
func (k *Key) Sign(d Decision) (string, error) {
	ev := nostr.Event{PubKey: k.public, CreatedAt: nostr.Timestamp(d.At.Unix()), Kind: Kind, Content: d.Reason,
		Tags: nostr.Tags{{"quote", d.Quote}, {"stage", d.Stage}, {"decision", d.State()}, {"digest", d.Digest}}}
	id := sha256.Sum256(ev.Serialize())
	sig, err := k.schnorr(id[:])
	if err != nil {
		return "", fmt.Errorf("sign the %s decision on %s: %w", d.Stage, d.Quote, err)
	}
	ev.ID, ev.Sig = hex.EncodeToString(id[:]), hex.EncodeToString(sig.Serialize())
	// The event's own encoder, not json.Marshal, which would check and
	// copy what it writes: the same bytes, once.
	b, err := ev.MarshalJSON()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Signer is the public key an event names as its signer, unchecked
// (Open checks it).
func Signer(event string) string {
	var ev struct {
		PubKey string `json:"pubkey"`
	}
	if json.Unmarshal([]byte(event), &ev) != nil {
		return ""
	}
	return ev.PubKey
}

// Open checks a signed decision: the event's id is the hash of its
// content, its signature is the key's, its kind and tags are those of a
// decision. It returns the decision and the signer's public key. Every
// error wraps ErrSignature and says what is wrong.
func Open(event string) (Decision, string, error) {
	bad := func(format string, args ...any) (Decision, string, error) {
		return Decision{}, "", fmt.Errorf("%w: %s", ErrSignature, fmt.Sprintf(format, args...))
	}
	var ev nostr.Event
	if err := json.Unmarshal([]byte(event), &ev); err != nil {
		return bad("not a NIP-01 event: %v", err)
	}
	if ev.Kind != Kind {
		return bad("kind %d, want %d", ev.Kind, Kind)
	}
	if len(ev.ID) != 64 || !ev.CheckID() {
		return bad("its id is not the hash of its content")
	}
	if ok, err := ev.CheckSignature(); err != nil {
		return bad("%v", err)
	} else if !ok {
		return bad("the signature is not %s's", ev.PubKey)
	}
	d := Decision{Reason: ev.Content, At: ev.CreatedAt.Time().UTC()}
	var decision string
	for _, tag := range []struct {
		name string
		to   *string
	}{{"quote", &d.Quote}, {"stage", &d.Stage}, {"decision", &decision}, {"digest", &d.Digest}} {
		t := ev.Tags.GetFirst([]string{tag.name, ""})
		if t == nil || len(*t) < 2 || (*t)[1] == "" {
			return bad("no %q tag", tag.name)
		}
		*tag.to = (*t)[1]
	}
	switch decision {
	case "approved":
		d.Approved = true
	case "rejected":
	default:
		return bad("decision %q, want approved or rejected", decision)
	}
	return d, ev.PubKey, nil
}

// bip340NonceData is the extra data RFC 6979 takes to draw a BIP-340
// nonce (SHA-256 of "BIP-340"), and challengeTag the tag of the
// challenge's hash, as the schnorr package signs.
var (
	bip340NonceData = sha256.Sum256([]byte("BIP-340"))
	challengeTag    = sha256.Sum256([]byte("BIP0340/challenge"))
)

// schnorr signs hash (32 bytes) with BIP-340 exactly as schnorr.Sign with
// schnorr.FastSign does (the nonce drawn by RFC 6979, the same bytes),
// without deriving the public key again for each signature: that scalar
// multiplication is half of what schnorr.Sign costs.
func (k *Key) schnorr(hash []byte) (*schnorr.Signature, error) {
	if len(hash) != 32 {
		return nil, fmt.Errorf("a BIP-340 signature is over 32 bytes, not %d", len(hash))
	}
	for iteration := uint32(0); ; iteration++ {
		nonce := btcec.NonceRFC6979(k.dBytes[:], hash, bip340NonceData[:], nil, iteration)
		var r btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(nonce, &r)
		r.ToAffine()
		if r.Y.IsOdd() {
			nonce.Negate()
		}
		h := sha256.New()
		h.Write(challengeTag[:])
		h.Write(challengeTag[:])
		h.Write(r.X.Bytes()[:])
		h.Write(k.px)
		h.Write(hash)
		var e btcec.ModNScalar
		if overflow := e.SetByteSlice(h.Sum(nil)); overflow {
			nonce.Zero()
			continue // as schnorr.Sign: another nonce
		}
		s := new(btcec.ModNScalar).Mul2(&e, &k.d).Add(nonce)
		nonce.Zero()
		return schnorr.NewSignature(&r.X, s), nil
	}
}
