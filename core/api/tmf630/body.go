package tmf630

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
)

// ReadBody reads a JSON request body of at most MaxBody bytes, checks its
// media type and holds it to the limits (CheckJSON). The error names what
// is wrong.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	if e := MediaType(r); e != nil {
		return nil, e
	}
	b, err := readAll(http.MaxBytesReader(w, r.Body, MaxBody), r.ContentLength)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case err != nil:
		return nil, NewError(http.StatusBadRequest, "reading the body: "+err.Error())
	case len(bytes.TrimSpace(b)) == 0:
		return nil, NewError(http.StatusBadRequest, "the body is empty: want a JSON object")
	}
	if e := CheckJSON(b); e != nil {
		return nil, e
	}
	return b, nil
}

// readAll reads r to its end into a buffer of size bytes, as the request
// says, when that is within MaxBody: io.ReadAll grows its buffer from
// 512 bytes, copying it each time.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > MaxBody {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // one more, to see the end without growing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than it said: grow as ReadAll does
		}
	}
}

// DecodeError turns a JSON decoding error into a 400 TMF Error that names
// the field and what was expected. DecodeObject and DecodeStrict say
// more: the field's path as the client spelt it, whatever the error.
func DecodeError(err error) *Error {
	return fieldError(jsonerr.Describe(err))
}

func fieldError(field, msg string) *Error {
	if field == "" || field == "the body" && strings.HasPrefix(msg, "malformed") {
		return NewError(http.StatusBadRequest, msg)
	}
	return NewError(http.StatusBadRequest, field+": "+msg)
}

// DecodeObject decodes a JSON object into v; trailing data is an error,
// and so is a member named in other letter case than v's (ExactNames).
// The error names the member at fault by its path as the client spelt
// it (measure.latencyMs, productOrderItem[2].quantity) and says what is
// wanted. A member v does not have is left out, as TMF630 extensions.
func DecodeObject(body []byte, v any) *Error { return decodeObject(body, v, false) }

// DecodeStrict is DecodeObject refusing a member v does not have, as the
// product's own routes (/ordertwin/v1) do: a 400 naming it and the
// members v has.
func DecodeStrict(body []byte, v any) *Error { return decodeObject(body, v, true) }

func decodeObject(body []byte, v any, strict bool) *Error {
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) { // which decodes into an object as nothing at all
		return NewError(http.StatusBadRequest, "malformed JSON: want an object, not null")
	}
	var err error
	if strict {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err = dec.Decode(v); err == nil && dec.More() {
			return NewError(http.StatusBadRequest, "malformed JSON: data after the object")
		}
	} else {
		// json.Unmarshal reads body in place, where a Decoder copies it
		// into a buffer of its own, grown as it reads. It refuses data
		// after the object, before it sets anything, as any bad syntax:
		// only then is body scanned again, for the error to say so.
		err = json.Unmarshal(body, v)
		if err != nil {
			if end := jsonerr.End(body); len(bytes.TrimSpace(body[end:])) > 0 && json.Valid(body[:end]) {
				return NewError(http.StatusBadRequest, "malformed JSON: data after the object")
			}
		}
	}
	if err != nil {
		return fieldError(jsonerr.Explain(body, reflect.TypeOf(v), strict, err))
	}
	return ExactNames(body, reflect.TypeOf(v))
}

// ExactNames refuses a member of body named in other letter case than the
// member of t it stands for ("Name" for "name", "RelatedParty" for
// "relatedParty"): encoding/json would take it as that member, which the
// client did not name. A 400 naming both; nil when there is none. body is
// JSON that decodes into t.
func ExactNames(body []byte, t reflect.Type) *Error {
	if path, want, found := jsonerr.Misnamed(body, t); found {
		return NewError(http.StatusBadRequest, path+": names are case-sensitive: want "+want)
	}
	return nil
}

// Field names a field of the i-th element of list: productOrderItem[2].id.
func Field(list string, i int, name string) string {
	return list + "[" + strconv.Itoa(i) + "]." + name
}

// ServerManaged are the fields of an entity that the server sets.
type ServerManaged struct {
	ID             json.RawMessage `json:"id"`
	Href           json.RawMessage `json:"href"`
	State          json.RawMessage `json:"state"`
	OrderDate      json.RawMessage `json:"orderDate"`
	CompletionDate json.RawMessage `json:"completionDate"`
}

// Refuse names the first server-managed field sent.
func (m ServerManaged) Refuse(entity string) *Error {
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"id", m.ID}, {"href", m.Href}, {"state", m.State}, {"orderDate", m.OrderDate}, {"completionDate", m.CompletionDate}} {
		if f.v != nil {
			return SetByServer(f.name, entity)
		}
	}
	return nil
}

// SetByServer is the 400 of a server-managed field a client sent with a
// new entity.
func SetByServer(field, entity string) *Error {
	return NewError(http.StatusBadRequest, field+": set by the server; a new "+entity+" must not carry it")
}
