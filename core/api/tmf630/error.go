package tmf630

import (
	"encoding/json"
	"net/http"
	"strconv"
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

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent: nothing better to do with an error
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
