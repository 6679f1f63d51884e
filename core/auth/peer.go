package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// The headers of a peer's message: its stream ("com→som"), its number
// in the stream, and its signature.
const (
	PeerStream    = "X-Ordertwin-Stream"
	PeerSeq       = "X-Ordertwin-Seq"
	PeerSignature = "X-Ordertwin-Signature"
)

// MaxPeerBody is the largest body of a peer's message that is verified.
const MaxPeerBody = 1 << 20

// LoadPeerSecret reads the secret the processes of a deployment share to
// sign their messages to each other: at least 32 bytes (surrounding
// white space is not part of it).
func LoadPeerSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the peer secret: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < 32 {
		return nil, fmt.Errorf("the peer secret %s: %d bytes, want at least 32", path, len(b))
	}
	return b, nil
}

// peerMAC is the signature of a peer's request: HMAC-SHA256 with the
// shared secret over its method, path, stream, number and body.
func peerMAC(secret []byte, method, path, stream, seq string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	sum := sha256.Sum256(body)
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%x", method, path, stream, seq, sum)
	return m.Sum(nil)
}

// SignPeer signs a request of stream to a peer process (its body is
// body; seq is the message's number, 0 for a request that carries no
// message): it sets the stream, number and signature headers.
func SignPeer(secret []byte, req *http.Request, stream string, seq uint64, body []byte) {
	n := ""
	if seq > 0 {
		n = strconv.FormatUint(seq, 10)
		req.Header.Set(PeerSeq, n)
	}
	req.Header.Set(PeerStream, stream)
	req.Header.Set(PeerSignature, hex.EncodeToString(peerMAC(secret, req.Method, req.URL.EscapedPath(), stream, n, body)))
}

// verifyPeer checks the signature of a peer's request, reading its body
// (and leaving it to be read again).
func verifyPeer(secret []byte, r *http.Request) (Identity, error) {
	stream := r.Header.Get(PeerStream)
	if secret == nil {
		return Identity{}, errors.New("this process takes no peer messages (serve --peer-secret)")
	}
	sig, err := hex.DecodeString(r.Header.Get(PeerSignature))
	if err != nil || len(sig) == 0 {
		return Identity{}, errors.New(PeerSignature + ": missing or not hex")
	}
	var body []byte
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxPeerBody+1))
		r.Body.Close()
		if err != nil {
			return Identity{}, fmt.Errorf("reading the peer's message: %w", err)
		}
		if len(body) > MaxPeerBody {
			return Identity{}, fmt.Errorf("the peer's message is larger than %d bytes", MaxPeerBody)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if !hmac.Equal(sig, peerMAC(secret, r.Method, r.URL.EscapedPath(), stream, r.Header.Get(PeerSeq), body)) {
		return Identity{}, errors.New(PeerSignature + ": not signed with the deployment's peer secret")
	}
	from, _, _ := strings.Cut(stream, "→")
	return Identity{Subject: "peer " + from, Roles: []Role{Peer}, Method: PeerHMAC}, nil
}
