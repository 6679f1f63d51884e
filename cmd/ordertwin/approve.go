package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/store"
)

// approveCmd decides an approval stage of a quote as its approver: it
// reads the quote, computes the digest of its content as it sees it,
// signs the decision with the approver's key and sends it (PATCH quote).
// With --new-key FILE it makes an approver's key instead.
func approveCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("approve", flag.ContinueOnError)
	to := fs.String("to", "http://127.0.0.1:8080", "the server's base URL")
	stage := fs.String("stage", "", "the stage decided: "+strings.Join(com.Stages, ", "))
	keyFile := fs.String("key", "", "the approver's secret key file (see --new-key)")
	reject := fs.String("reject", "", "reject the stage, for this reason (default: approve)")
	reason := fs.String("reason", "", "with an approval: a note")
	token := fs.String("token", os.Getenv(tokenEnv), "the approver's bearer token (default $"+tokenEnv+"; its subject is recorded as who decided)")
	newKey := fs.String("new-key", "", "write a new secret key to this file (mode 0600) and print its public key")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *newKey != "" {
		secret := approval.NewKey()
		pk, err := approval.PublicKey(secret)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(*newKey, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		if _, err := fmt.Fprintln(f, secret); err != nil {
			f.Close()
			return fmt.Errorf("approve: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "public key %s\n", pk)
		return err
	}
	switch {
	case len(pos) != 1:
		return errors.New("approve: want exactly one QUOTE id")
	case !slices.Contains(com.Stages, *stage):
		return fmt.Errorf("approve: --stage %q: want one of %s", *stage, strings.Join(com.Stages, ", "))
	case *keyFile == "":
		return errors.New("approve: --key FILE: the approver's secret key (make one with --new-key FILE)")
	case *reject != "" && *reason != "":
		return errors.New("approve: give --reject REASON or --reason, not both")
	}
	b, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	base, err := serverURL("approve", *to)
	if err != nil {
		return err
	}
	c := &client{base: base, http: &http.Client{Timeout: 30 * time.Second}, token: *token}
	var q tmf648.Quote
	if err := c.get(ctx, tmf630.QuoteManagement+"/quote/"+pos[0], &q); err != nil {
		return refused("approve", err)
	}
	digest, err := tmf648.QuoteDigest(q)
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	if digest != q.ContentDigest {
		return &exitError{1, fmt.Errorf("approve: quote %s as shown hashes to %s, but the server says its content is %s: not signed", q.ID, digest, q.ContentDigest)}
	}
	d := approval.Decision{Quote: q.ID, Stage: *stage, Approved: *reject == "", Digest: digest, Reason: *reason + *reject, At: time.Now()}
	signed, err := approval.Sign(secret, d)
	if err != nil {
		return fmt.Errorf("approve: --key %s: %w", *keyFile, err)
	}
	decided := map[string]any{"name": *stage, "state": d.State(), "description": d.Reason, "signatureRepresentation": signed}
	body, err := json.Marshal(map[string]any{"authorization": []any{decided}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.base+tmf630.QuoteManagement+"/quote/"+q.ID, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	if err := c.do(req, http.StatusOK, &q); err != nil {
		return refused("approve", err)
	}
	_, err = fmt.Fprintf(stdout, "quote %s: %s %s (signed by %s over %s); the quote is %s\n", q.ID, *stage, d.State(), approval.Signer(signed), digest, q.State)
	return err
}

// stageKeys are the keys that sign the twin's approval decisions (and the
// core's own refusals), one per stage, kept in the store's meta table. A
// new store gets new ones; a store served before keeps its own, or has
// none if it was first served without them (a replay decides as the run
// did).
func stageKeys(st store.Settings, fresh bool) (map[string]string, error) {
	keys := map[string]string{}
	for _, s := range com.Stages {
		k, ok, err := st.Meta("approval key " + s)
		if err != nil {
			return nil, err
		}
		if !ok {
			if !fresh {
				return nil, nil
			}
			k = approval.NewKey()
			if err := st.SetMeta("approval key "+s, k); err != nil {
				return nil, err
			}
		}
		keys[s] = k
	}
	return keys, nil
}
