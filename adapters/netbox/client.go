package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/core/port"
)

// exchange is the conversation of one call with NetBox: every request it
// sends, in order. In a dry run it sends the look-ups (GET) and only
// records the write that would follow.
type exchange struct {
	a    *Adapter
	ctx  context.Context
	dry  bool
	sent []port.Sent
}

// errDry ends a dry run at its write: nothing after it is sent.
var errDry = errors.New("dry run: not sent")

// get reads path with query into out.
func (x *exchange) get(path string, query url.Values, out any) error {
	return x.send(http.MethodGet, path, query, nil, out)
}

// send sends one request, or in a dry run records a write and returns
// errDry; a 2xx answer's body goes into out (if any), any other answer is
// an *httpError.
func (x *exchange) send(method, path string, query url.Values, body, out any) error {
	uri := path
	if len(query) > 0 {
		uri += "?" + query.Encode()
	}
	var payload []byte
	if body != nil {
		payload = netbox.Body(body)
	}
	x.sent = append(x.sent, port.Sent{Protocol: "http", To: x.a.base, Op: method + " " + uri, Body: string(payload)})
	if x.dry && method != http.MethodGet {
		return errDry
	}
	req, err := http.NewRequestWithContext(x.ctx, method, x.a.base+uri, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set(netbox.AuthHeader, "Token "+x.a.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := x.a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, stripURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &httpError{Method: method, Path: path, Status: resp.StatusCode, Body: data}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &port.Error{Class: port.Hard, Code: "badAnswer", Message: fmt.Sprintf("%s %s: NetBox's answer does not read: %v", method, path, err)}
	}
	return nil
}

// stripURL drops the URL from a transport error: it is said once by the
// caller, and the error needs no more than the cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// httpError is an answer of NetBox other than 2xx.
type httpError struct {
	Method, Path string
	Status       int
	Body         []byte
}

func (e *httpError) Error() string {
	body := strings.TrimSpace(string(e.Body))
	if len(body) > 512 {
		body = body[:512] + "…"
	}
	return fmt.Sprintf("%s %s: NetBox answered %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), body)
}

// Classify turns what a call to NetBox failed with into the failure
// policy's terms. The code names the kind of failure; the message quotes
// NetBox's error body.
//
//   - 409 to an allocation (available-vlans, available-prefixes): the
//     pool is exhausted (exhausted, capacityExhausted);
//   - any other 409, 429, 502, 503, 504, a deadline that passed, a
//     connection that failed: try again (transient);
//   - 401, 403: the token is refused (hard, refused);
//   - 404: the group, prefix or object does not exist (hard, notFound);
//   - 400, 422: the request is wrong for this NetBox (invalid, badRequest);
//   - 500 and anything else: hard.
func Classify(err error) *port.Error {
	var pe *port.Error
	var he *httpError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &he):
		class, code := classOf(he)
		return &port.Error{Class: class, Code: code, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &port.Error{Class: port.Transient, Code: "timeout", Message: "NetBox timeout: " + err.Error()}
	}
	return &port.Error{Class: port.Transient, Code: "unreachable", Message: "NetBox unreachable: " + err.Error()}
}

func classOf(e *httpError) (port.ErrorClass, string) {
	switch e.Status {
	case http.StatusConflict:
		if e.Method == http.MethodPost && strings.Contains(e.Path, "/available-") {
			return port.Exhausted, "capacityExhausted"
		}
		return port.Transient, "conflict"
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return port.Transient, "unavailable"
	case http.StatusUnauthorized, http.StatusForbidden:
		return port.Hard, "refused"
	case http.StatusNotFound:
		return port.Hard, "notFound"
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return port.Invalid, "badRequest"
	}
	return port.Hard, "serverError"
}
