package approval_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "5c0c523f52a5b6fad39ed2403092df8cebc36318b39383bca6c00808626fab3a"

var decision = approval.Decision{Quote: "QT-001", Stage: "commercial", Approved: true,
	Digest: strings.Repeat("ab", 32), Reason: "within the rate card", At: time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)}

// A signed decision opens to itself and names its signer; the same
// decision and key sign to the same event (a replay reproduces it).
func TestSignOpen(t *testing.T) {
	ev, err := approval.Sign(secret, decision)
	require.NoError(t, err)
	again, err := approval.Sign(secret, decision)
	require.NoError(t, err)
	assert.Equal(t, ev, again)
	d, pk, err := approval.Open(ev)
	require.NoError(t, err)
	assert.Equal(t, decision, d)
	want, err := approval.PublicKey(secret)
	require.NoError(t, err)
	assert.Equal(t, want, pk)
	assert.Contains(t, ev, `"kind":4648`)
	assert.Contains(t, ev, `["digest","`+decision.Digest+`"]`)
}

// Anything changed in a signed event, or another kind, is refused,
// naming what is wrong.
func TestOpenRefuses(t *testing.T) {
	ev, err := approval.Sign(secret, decision)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev), &m))
	edit := func(f func(map[string]any)) string {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		f(c)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		return string(b)
	}
	other, err := approval.PublicKey(strings.Repeat("11", 32))
	require.NoError(t, err)
	otherEv, err := approval.Sign(secret, approval.Decision{Quote: "QT-002", Stage: "technical", Digest: decision.Digest, Reason: "no"})
	require.NoError(t, err)
	var o map[string]any
	require.NoError(t, json.Unmarshal([]byte(otherEv), &o))
	for _, tc := range []struct{ name, event, want string }{
		{"another event's signature", edit(func(c map[string]any) { c["sig"] = o["sig"] }), "the signature is not"},
		{"not json", "{", "not a NIP-01 event"},
		{"reason changed", edit(func(c map[string]any) { c["content"] = "over the rate card" }), "its id is not the hash of its content"},
		{"decision changed, id recomputed", strings.Replace(ev, `"approved"`, `"rejected"`, 1), "its id is not the hash of its content"},
		{"another kind", edit(func(c map[string]any) { c["kind"] = 1 }), "kind 1, want 4648"},
		{"another signer", edit(func(c map[string]any) { c["pubkey"] = other }), "its id is not the hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := approval.Open(tc.event)
			require.ErrorIs(t, err, approval.ErrSignature)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err = approval.Sign("xyz", decision)
	assert.ErrorContains(t, err, "a secret key is 64 hex digits")
}

// The auditor takes a decision signed over the digest its quote was
// journalled with, for the stage and outcome its record says, and refuses
// any other.
func TestAuditor(t *testing.T) {
	ev, err := approval.Sign(secret, decision)
	require.NoError(t, err)
	pk, err := approval.PublicKey(secret)
	require.NoError(t, err)
	digest := store.Record{Kind: approval.DigestKind, Entity: "QT-001", Reason: decision.Digest}
	good := store.Record{Kind: approval.RecordKind, Entity: "QT-001/commercial", Event: "approved", To: pk, Reason: ev}
	var a approval.Auditor
	require.NoError(t, a.Check(1, store.Record{Kind: "quote", Entity: "QT-001"}))
	assert.ErrorContains(t, a.Check(2, good), "the journal holds no digest of quote QT-001")
	require.NoError(t, a.Check(3, digest))
	require.NoError(t, a.Check(4, good))
	assert.Equal(t, 1, a.Checked)
	for _, tc := range []struct {
		name string
		edit func(*store.Record)
		want string
	}{
		{"other stage", func(r *store.Record) { r.Entity = "QT-001/technical" }, "signed for QT-001/commercial, journalled for QT-001/technical"},
		{"other outcome", func(r *store.Record) { r.Event = "rejected" }, "signed approved, journalled rejected"},
		{"other signer", func(r *store.Record) { r.To = strings.Repeat("0", 64) }, "journalled as 0000"},
		{"event changed", func(r *store.Record) { r.Reason = strings.Replace(r.Reason, "within", "outside", 1) }, "its id is not the hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.edit(&r)
			assert.ErrorContains(t, a.Check(5, r), tc.want)
		})
	}
	var b approval.Auditor
	require.NoError(t, b.Check(1, store.Record{Kind: approval.DigestKind, Entity: "QT-001", Reason: strings.Repeat("cd", 32)}))
	assert.ErrorContains(t, b.Check(2, good), "quote QT-001's content was cdcd")
	// A journal's tail (its start compacted away): a decision on a quote
	// whose digest is not in it is counted, not checked against it; its
	// signature still is.
	p := approval.Auditor{Partial: true}
	require.NoError(t, p.Check(1, good))
	assert.Equal(t, [2]int{0, 1}, [2]int{p.Checked, p.Unchecked})
	forged := good
	forged.To = strings.Repeat("0", 64)
	assert.ErrorContains(t, p.Check(2, forged), "journalled as 0000")
}

// A decision signs to the very event it signed to before a key was
// parsed once for many decisions (the journal of a replay holds these
// bytes), and a parsed key signs as its secret does.
func TestSignedBytes(t *testing.T) {
	const want = `{"kind":4648,"id":"58c4eebebe734badf25f7905374568e4791a9ac0e4c15ea87e4162fbbf1cbe67","pubkey":"87d3561f19b74adbe8bf840682992466068830a9d8c36b4a0c99d36f826cb6cb","created_at":1738540800,"tags":[["quote","QT-001"],["stage","commercial"],["decision","approved"],["digest","abababababababababababababababababababababababababababababababab"]],"content":"within the rate card","sig":"b7a6ed770c61c3365c52bea0189173f3add249adbd331f7e39683cd64d10b3029ebd0659e359b9d6b39d631cd3ba2bd80653c841d77d5ee1becc7338e2b7180c"}`
	ev, err := approval.Sign(secret, decision)
	require.NoError(t, err)
	assert.Equal(t, want, ev)
	k, err := approval.ParseKey(secret)
	require.NoError(t, err)
	ev, err = k.Sign(decision)
	require.NoError(t, err)
	assert.Equal(t, want, ev)
	assert.Equal(t, "87d3561f19b74adbe8bf840682992466068830a9d8c36b4a0c99d36f826cb6cb", k.Public())
	for _, bad := range []string{"", "zz", secret[:62], secret + "00", strings.Repeat("0", 64)} {
		_, err := approval.ParseKey(bad)
		assert.Error(t, err, bad)
	}
}

// BenchmarkSign is what one stage's signed decision costs a reviewer
// whose key is parsed once (Key.Sign), as the twin's reviewers sign every
// quote's decisions on the engine's loop.
func BenchmarkSign(b *testing.B) {
	k, err := approval.ParseKey(secret)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(decision); err != nil {
			b.Fatal(err)
		}
	}
}
