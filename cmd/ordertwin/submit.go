package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/com"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
)

// submitCmd places a scenario's orders on a running server over the TMF
// APIs, as a CPQ would: the quote (POST quote), then the product order that
// carries it out (POST productOrder, naming the quote's items). With
// --watch it follows each order to its end on the server's stream of
// committed records, printing every change of the order, its items and its
// waves with its virtual and wall-clock times and its wave (polling the
// order where the server does not stream to the token).
func submitCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	to := fs.String("to", "http://127.0.0.1:8080", "the server's base URL")
	watch := fs.Bool("watch", false, "follow each order until it ends; exit 1 unless all complete")
	poll := fs.Duration("poll", 500*time.Millisecond, "with --watch: how often to look")
	token := fs.String("token", os.Getenv(tokenEnv), "the bearer token sent with each request (default $"+tokenEnv+"; ordertwin token mints one)")
	sc, err := scenarioArg(fs, args)
	if err != nil {
		return err
	}
	base, err := serverURL("submit", *to)
	if err != nil {
		return err
	}
	c := &client{base: base, http: &http.Client{Timeout: 30 * time.Second}, token: *token}
	var placed []string
	var placedFrom []com.QuoteRequest // the quote of each order placed
	for i, p := range sc.Spec.Orders {
		currency := ""
		if o, err := sc.Spec.Catalog.Offering(p.Quote.Offering); err == nil {
			currency = o.Currency
		}
		// The keys make a repeated submit (a retry after a timeout) place
		// nothing twice.
		// A file that shares another's name (a copy, edited) is another
		// order when its order id differs.
		key := fmt.Sprintf("%s#%d", printableASCII(sc.Name), i+1)
		if p.OrderID != "" {
			key += "/" + printableASCII(p.OrderID)
		}
		var q tmf648.Quote
		if err := c.postAgain(ctx, tmf630.QuoteManagement+"/quote", key, tmf648.NewQuoteBody(p.Quote, currency), &q); err != nil {
			return refused("submit", fmt.Errorf("quote for %s: %w", p.Quote.Customer.ID, err))
		}
		fmt.Fprintf(stdout, "quote %s for %s: %s (%d sites)\n", q.ID, p.Quote.Customer.ID, q.State, len(q.QuoteItem))
		external := p.OrderID
		if external == "" {
			external = key
		}
		var po tmf622.ProductOrder
		if err := c.postAgain(ctx, tmf630.ProductOrdering+"/productOrder", key, tmf622.NewOrderBody(q.ID, p.Quote, external), &po); err != nil {
			return refused("submit", fmt.Errorf("order for quote %s: %w", q.ID, err))
		}
		fmt.Fprintf(stdout, "order %s (externalId %s): %s, %s%s/productOrder/%s\n", po.ID, cmp.Or(po.ExternalID, external), po.State, c.base, tmf630.ProductOrdering, po.ID)
		placed = append(placed, po.ID)
		placedFrom = append(placedFrom, p.Quote)
	}
	if !*watch {
		return nil
	}
	// Each order on the server's stream; polled where the server does not
	// stream to this token.
	var orders []*watched
	for i, id := range placed {
		waves := map[string]string{}
		for _, site := range placedFrom[i].Sites {
			waves[site.Code] = site.Wave
		}
		o, err := c.watchedOrder(ctx, id, waves)
		if err != nil {
			return refused("submit", fmt.Errorf("watch %s: %w", id, err))
		}
		orders = append(orders, o)
	}
	final, err := c.watchStream(ctx, orders, stdout)
	if errors.Is(err, errNoStream) {
		fmt.Fprintf(stdout, "(%v: polling every %s)\n", err, *poll)
		final, err = map[string]string{}, nil
		for _, id := range placed {
			if final[id], err = c.follow(ctx, id, *poll, stdout); err != nil {
				break
			}
		}
	}
	if err != nil {
		return refused("submit", fmt.Errorf("watch: %w", err))
	}
	failed := 0
	for _, id := range placed {
		if final[id] != lc.Completed {
			failed++
		}
	}
	if failed > 0 {
		return &exitError{1, fmt.Errorf("%d of %d orders did not complete", failed, len(placed))}
	}
	return nil
}

// refused is a command's error from the server it talks to (an error
// status, no answer): exit 1, as a failure of the work, not 2, which is
// bad input to the command.
func refused(cmd string, err error) error {
	return &exitError{1, fmt.Errorf("%s: %w", cmd, err)}
}

// client speaks to a server's TMF APIs.
type client struct {
	base string
	http *http.Client
	// token is sent as Authorization: Bearer when set.
	token string
}

// post sends body, with key as its Idempotency-Key unless it is "", and
// decodes the 201 answer into out; another status is an error carrying the
// server's TMF Error.
func (c *client) post(ctx context.Context, path, key string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.postJSON(ctx, path, key, b, out)
}

// postJSON is post with the body encoded already.
func (c *client) postJSON(ctx context.Context, path, key string, b []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return c.do(req, http.StatusCreated, out)
}

// get decodes the 200 answer of path into out.
func (c *client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	return c.do(req, http.StatusOK, out)
}

func (c *client) do(req *http.Request, want int, out any) error {
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer putAnswerBuffer(buf)
	buf.Reset()
	if n := res.ContentLength; n > 0 && n <= maxKeptAnswer {
		buf.Grow(int(n))
	}
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return err
	}
	b := buf.Bytes() // decoded below, and not kept: the buffer is used again
	if res.StatusCode != want {
		why := res.Status
		var e tmf630.Error
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			why = strconv.Itoa(res.StatusCode) + " " + e.Message
		}
		if res.StatusCode == http.StatusUnauthorized && c.token == "" {
			why += " (no token was sent: --token, or $" + tokenEnv + "; ordertwin token mints one)"
		}
		se := &statusError{status: res.StatusCode, msg: fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, why)}
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
			se.retryAfter = time.Duration(secs) * time.Second
		}
		return se
	}
	return json.Unmarshal(b, out)
}

// answerBuffers are the buffers answers are read into (a load run reads
// thousands a second); maxKeptAnswer is the largest kept.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxKeptAnswer = 64 << 10

func putAnswerBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxKeptAnswer {
		answerBuffers.Put(b)
	}
}

// statusError is an answer of a status other than the one wanted.
type statusError struct {
	status int
	msg    string
	// retryAfter is the answer's Retry-After (in seconds), 0 without.
	retryAfter time.Duration
}

// maxRetryFor is how long postAgain sends a request again.
const maxRetryFor = 30 * time.Second

// postAgain is post with an Idempotency-Key, sent again while the server
// answers 503 with Retry-After (a shard moving to another instance of a
// deployment), for at most maxRetryFor: the key makes each send the same
// request, taken once.
func (c *client) postAgain(ctx context.Context, path, key string, body, out any) error {
	deadline := time.Now().Add(maxRetryFor)
	for {
		err := c.post(ctx, path, key, body, out)
		var se *statusError
		if key == "" || !errors.As(err, &se) || se.status != http.StatusServiceUnavailable || se.retryAfter <= 0 ||
			time.Now().Add(se.retryAfter).After(deadline) {
			return err
		}
		wait := time.NewTimer(se.retryAfter)
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-wait.C:
		}
	}
}

func (e *statusError) Error() string { return e.msg }

// follow polls an order until it ends, printing each change of its state
// and its items', and returns its final state.
func (c *client) follow(ctx context.Context, id string, every time.Duration, stdout io.Writer) (string, error) {
	seen := map[string]string{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var po tmf622.ProductOrder
		if err := c.get(ctx, tmf630.ProductOrdering+"/productOrder/"+id, &po); err != nil {
			return "", err
		}
		for _, it := range po.ProductOrderItem {
			if seen[it.ID] != it.State {
				seen[it.ID] = it.State
				site := it.ID
				if it.Product != nil && len(it.Product.Place) > 0 {
					site = it.ID + " (" + it.Product.Place[0].ID + ")"
				}
				line := fmt.Sprintf("  item %-18s %s", site, it.State)
				if it.StateReason != "" {
					line += ": " + it.StateReason
				}
				fmt.Fprintln(stdout, line)
			}
		}
		if seen[""] != po.State {
			seen[""] = po.State
			fmt.Fprintf(stdout, "order %s %s\n", po.ID, po.State)
		}
		if lc.IsFinal(lc.ProductOrder, po.State) {
			return po.State, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-tick.C:
		}
	}
}

// printableASCII is name with every character an Idempotency-Key may not
// hold (anything but printable ASCII, space included) made a '-', cut to 200 bytes.
func printableASCII(name string) string {
	b := []byte(strings.Map(func(r rune) rune {
		if r <= 0x20 || r > 0x7e {
			return '-'
		}
		return r
	}, name))
	return string(b[:min(len(b), 200)])
}
