package api

import (
	"bytes"
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

// Base paths of the TMF APIs (docs/architecture.md §7: the exact v4 base paths).
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
// a 503 TMF Error with Retry-After.
func (s *Server) Query(ctx context.Context, fn func()) *Error {
	if err := s.read(ctx, fn); err != nil {
		return unavailable(err)
	}
	return nil
}

// Command hands msg to a component and waits for its reply, given once the
// change is durable (engine.Command). A command the component refused
// (engine.ErrRefused: it cannot be applied, and changed nothing but the
// journal's record of the refusal) is a 409 TMF Error with the reason. An
// engine that is behind or a store that cannot write refuse it at once,
// and a command not confirmed within the timeout is not waited for: each
// is a 503 TMF Error with Retry-After (unavailable), and the client may
// retry with the same Idempotency-Key.
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
		return nil, unavailable(err)
	}
	return v, nil
}

// Seconds a client is told to wait (Retry-After) before it tries again:
// after a refusal for a store that cannot write, and after any other 503.
const (
	retryStore  = 5
	retryEngine = 1
)

// unavailable is the 503 TMF Error of a command or read the engine did not
// take or confirm, saying why, with Retry-After.
func unavailable(err error) *Error {
	var e *Error
	switch {
	case errors.Is(err, engine.ErrUnconfirmed):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; it may still be applied: retry with the same Idempotency-Key to learn its outcome")
	case errors.Is(err, engine.ErrStoreCannotWrite):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; nothing was changed")
		e.retryAfter = retryStore
		return e
	case errors.Is(err, engine.ErrOverloaded):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; nothing was changed")
	default:
		e = NewError(http.StatusServiceUnavailable, "the engine does not answer in time: "+err.Error())
	}
	e.retryAfter = retryEngine
	return e
}

// ReadBody reads a JSON request body of at most MaxBody bytes, checks its
// media type and holds it to the limits (checkJSON). The error names what
// is wrong.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	if e := mediaType(r); e != nil {
		return nil, e
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case err != nil:
		return nil, NewError(http.StatusBadRequest, "reading the body: "+err.Error())
	case len(bytes.TrimSpace(b)) == 0:
		return nil, NewError(http.StatusBadRequest, "the body is empty: want a JSON object")
	}
	if e := checkJSON(b); e != nil {
		return nil, e
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
// scope (a collection, a hub): its Idempotency-Key header, in the space of
// the caller's party when it is bound to one (one party's key never
// answers with another's entity); "" for none.
func keyOf(r *http.Request, scope string) string {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return ""
	}
	if id, scoped := caller(r); scoped {
		k = "party " + id.Tenant + " " + k
	}
	if scope == "" {
		return "Idempotency-Key " + k
	}
	return scope + " " + k
}

// Created writes a new resource with 201 and its Location.
func Created(w http.ResponseWriter, href string, v any) {
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusCreated, v)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }
