package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
	"github.com/ordertwin/ordertwin/core/engine"
)

// MaxBody is the largest request body the APIs take (1 MiB): a larger one
// is refused with 413 before it is read whole.
const MaxBody = 1 << 20

// Base paths of the TMF APIs (DESIGN.md §7: the exact v4 base paths).
const (
	ProductOrdering   = "/tmf-api/productOrderingManagement/v4"
	QuoteManagement   = "/tmf-api/quoteManagement/v4"
	ProductCatalog    = "/tmf-api/productCatalogManagement/v4"
	ServiceCatalog    = "/tmf-api/serviceCatalogManagement/v4"
	ProductInventory  = "/tmf-api/productInventory/v4"
	ServiceInventory  = "/tmf-api/serviceInventory/v4"
	ResourceInventory = "/tmf-api/resourceInventoryManagement/v4"
	ServiceOrdering   = "/tmf-api/serviceOrdering/v4"
	ResourceOrdering  = "/tmf-api/resourceOrderingManagement/v4"
)

// OfferingQualification is the base path of TMF679 v4, product offering
// qualification: the per-site feasibility check.
const OfferingQualification = "/tmf-api/productOfferingQualification/v4"

// Date is a virtual time on the wire: Epoch plus d, in UTC, RFC 3339.
func (s *Server) Date(d time.Duration) string {
	return s.Epoch.Add(d).UTC().Format(time.RFC3339)
}

// Query runs fn on the engine's goroutine between two steps, within the
// read timeout (see engine.Query: fn copies what it needs). Its error is
// a 503 TMF Error.
func (s *Server) Query(ctx context.Context, fn func()) *Error {
	if err := s.read(ctx, fn); err != nil {
		return NewError(http.StatusServiceUnavailable, "the engine does not answer: "+err.Error())
	}
	return nil
}

// Command hands msg to a component and waits for its reply, given once the
// change is durable (engine.Command). A command the component refused
// (engine.ErrRefused: it cannot be applied, and changed nothing but the
// journal's record of the refusal) is a 409 TMF Error with the reason. A
// failure to log or a timeout is a 503 TMF Error: the client may retry
// with the same Idempotency-Key.
func (s *Server) Command(ctx context.Context, to engine.Address, msg any) (any, *Error) {
	d := s.Timeout
	if d <= 0 {
		d = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := s.Engine.Command(ctx, to, msg)
	if errors.Is(err, engine.ErrRefused) {
		return nil, NewError(http.StatusConflict, "refused: "+err.Error())
	}
	if err != nil {
		return nil, NewError(http.StatusServiceUnavailable, "the change was not confirmed: "+err.Error())
	}
	return v, nil
}

// ReadBody reads a JSON request body of at most MaxBody bytes and checks
// its media type. The error names what is wrong.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.TrimSpace(strings.ToLower(mt))
		if mt != "application/json" && mt != "application/merge-patch+json" && !strings.HasSuffix(mt, "+json") {
			return nil, NewError(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: want application/json", ct))
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case err != nil:
		return nil, NewError(http.StatusBadRequest, "reading the body: "+err.Error())
	case len(strings.TrimSpace(string(b))) == 0:
		return nil, NewError(http.StatusBadRequest, "the body is empty: want a JSON object")
	}
	return b, nil
}

// DecodeError turns a JSON decoding error into a 400 TMF Error that names
// the field and what was expected.
func DecodeError(err error) *Error {
	field, msg := jsonerr.Describe(err)
	if field == "the body" && strings.HasPrefix(msg, "malformed") {
		return NewError(http.StatusBadRequest, msg)
	}
	return NewError(http.StatusBadRequest, field+": "+msg)
}

// keyOf is the idempotency key of a request that creates something in
// scope (a collection, a hub): its Idempotency-Key header, "" for none.
func keyOf(r *http.Request, scope string) string {
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		return scope + " " + k
	}
	return ""
}

// Created writes a new resource with 201 and its Location.
func Created(w http.ResponseWriter, href string, v any) {
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusCreated, v)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }
