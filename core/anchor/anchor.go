// Package anchor publishes the head of a store's hash chain as a signed
// NIP-01 event to relays: copies of the head outside the store, which
// make a journal whose last links were cut off (something the chain
// cannot show by itself) detectable.
//
// The event has kind Kind, the tags ["head", hex hash] ["commits", n]
// ["records", n] ["inputs", n], and the store's name as its content.
package anchor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nbd-wtf/go-nostr"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// Kind is the event kind of a chain head: a regular event, next to the
// approval decisions' 4648.
const Kind = 4649

// Event signs the head a verification found (a) with secret.
func Event(secret string, a *sqlite.Audit, store string, at time.Time) (nostr.Event, error) {
	pk, err := nostr.GetPublicKey(secret)
	if err != nil {
		return nostr.Event{}, fmt.Errorf("anchor: secret key: %w", err)
	}
	ev := nostr.Event{PubKey: pk, CreatedAt: nostr.Timestamp(at.Unix()), Kind: Kind, Content: store,
		Tags: nostr.Tags{{"head", a.Head.String()}, {"commits", strconv.FormatInt(a.Commits, 10)},
			{"records", strconv.FormatInt(a.Records, 10)}, {"inputs", strconv.FormatInt(a.Inputs, 10)}}}
	if err := ev.Sign(secret); err != nil {
		return nostr.Event{}, fmt.Errorf("anchor: sign: %w", err)
	}
	return ev, nil
}

// Publish sends ev to each relay (a ws:// or wss:// URL) as a NIP-01
// ["EVENT", ev] message and waits for the relay's ["OK", id, accepted,
// reason], at most timeout each. It returns one error per relay (nil
// where it was accepted). (go-nostr's own relay client is not used: its
// Close races with its reader in v0.38.2.)
func Publish(ctx context.Context, relays []string, ev nostr.Event, timeout time.Duration) []error {
	errs := make([]error, len(relays))
	for i, url := range relays {
		if err := publish(ctx, url, ev, timeout); err != nil {
			errs[i] = fmt.Errorf("relay %s: %w", url, err)
		}
	}
	return errs
}

func publish(ctx context.Context, url string, ev nostr.Event, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, _, _, err := ws.Dial(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	msg, err := json.Marshal([]any{"EVENT", ev})
	if err != nil {
		return err
	}
	if err := wsutil.WriteClientText(conn, msg); err != nil {
		return err
	}
	for {
		b, err := wsutil.ReadServerText(conn)
		if err != nil {
			return fmt.Errorf("no OK for event %s: %w", ev.ID, err)
		}
		var env []json.RawMessage
		var typ, id string
		if json.Unmarshal(b, &env) != nil || len(env) < 3 || json.Unmarshal(env[0], &typ) != nil || typ != "OK" ||
			json.Unmarshal(env[1], &id) != nil || id != ev.ID {
			continue // a NOTICE, or another event's answer
		}
		var ok bool
		var reason string
		if err := json.Unmarshal(env[2], &ok); err != nil {
			return fmt.Errorf("OK for event %s: %w", ev.ID, err)
		}
		if len(env) > 3 {
			json.Unmarshal(env[3], &reason)
		}
		if !ok {
			return fmt.Errorf("refused event %s: %s", ev.ID, reason)
		}
		return nil
	}
}

// ErrNoRelay is the error of a publication no relay accepted.
var ErrNoRelay = errors.New("no relay accepted the chain head")
