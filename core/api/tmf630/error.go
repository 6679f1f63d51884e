package tmf630

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
)

// Error is the TMF Error body (TMF630): code and reason are mandatory.
type Error struct {
	Code    string `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
	Status  string `json:"status,omitempty"`
	Type    string `json:"@type"`
	// RetryAfter, when positive, is sent as the Retry-After header: in
	// how many seconds the client may try again.
	RetryAfter int `json:"-"`
}

// NewError is the error of an HTTP status: code is the status, reason its
// text, message says what is wrong (naming the field).
func NewError(status int, message string) *Error {
	return &Error{Code: strconv.Itoa(status), Reason: http.StatusText(status), Message: message,
		Status: strconv.Itoa(status), Type: "Error"}
}

func (e *Error) Error() string { return e.Status + " " + e.Reason + ": " + e.Message }

// WriteError writes e as the response.
func WriteError(w http.ResponseWriter, e *Error) {
	status, err := strconv.Atoi(e.Status)
	if err != nil {
		status = http.StatusInternalServerError
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	WriteJSON(w, status, e)
}

// WriteJSON writes v with status, and its length (Content-Length): a
// client reads the body whole in one go, not in chunks.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := answers.Get().(*bytes.Buffer)
	defer putAnswer(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Nothing is sent yet: say so, rather than a body cut short.
		buf.Reset()
		e := NewError(http.StatusInternalServerError, "encoding the answer: "+err.Error())
		status = http.StatusInternalServerError
		_ = enc.Encode(e)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the status is sent: nothing better to do with an error
}

// answers are the buffers answers are encoded in; maxKeptAnswer is the
// largest kept (a long list's is dropped, not held for the next answer).
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxKeptAnswer = 64 << 10

func putAnswer(b *bytes.Buffer) {
	if b.Cap() <= maxKeptAnswer {
		answers.Put(b)
	}
}

// Created writes a new resource with 201 and its Location.
func Created(w http.ResponseWriter, href string, v any) {
	w.Header().Set("Location", href)
	WriteJSON(w, http.StatusCreated, v)
}

// Replayed answers a repeated create request with what the first made.
func Replayed(w http.ResponseWriter, href string, v any) {
	w.Header().Set("Idempotent-Replayed", "true")
	Created(w, href, v)
}

// Quote is client input as an error message quotes it: quoted, and cut
// to jsonerr.MaxQuoted runes (…), however long the input.
func Quote(s string) string { return jsonerr.Quote(s) }
