package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/auth"
)

// RequestIDHeader carries a request's id: the client's when it sends a
// sensible one, else one the server makes; the answer echoes it.
const RequestIDHeader = "X-Request-Id"

// front wraps the routes with what every request goes through: its id,
// its authentication and authorization (when the server has a Guard),
// the limits of every request (checkRequest), and a line in the access
// log (when it has an AccessLog).
func (s *Server) front(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rid := requestID(r.Header.Get(RequestIDHeader))
		w.Header().Set(RequestIDHeader, rid)
		ctx := context.WithValue(r.Context(), requestIDKey{}, rid)
		sw := &statusWriter{ResponseWriter: w}
		var actor string
		if s.AccessLog != nil {
			defer func() {
				s.AccessLog.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", r.Method),
					slog.String("path", redactedPath(r.URL)), slog.Int("status", sw.code()),
					slog.Float64("ms", float64(time.Since(began).Microseconds())/1000), slog.String("actor", actor),
					slog.String("requestId", rid), slog.String("source", r.RemoteAddr))
			}()
		}
		if s.Guard != nil {
			_, route := mux.Handler(r)
			if !s.Guard.Policy.Public(route) {
				id, err := s.Guard.Authenticate(r)
				if err != nil {
					challenge := `Bearer realm="ordertwin"`
					if err != auth.ErrNoCredentials {
						challenge += `, error="invalid_token"`
					}
					sw.Header().Set("WWW-Authenticate", challenge)
					WriteError(sw, NewError(http.StatusUnauthorized, err.Error()))
					return
				}
				actor = id.Subject
				if !s.Guard.Policy.Allows(id, route) {
					WriteError(sw, NewError(http.StatusForbidden, "roles "+roleNames(id.Roles)+" of "+id.Subject+" may not "+r.Method+" "+r.URL.Path))
					return
				}
				ctx = auth.WithIdentity(ctx, id)
			}
		}
		if e := checkRequest(r); e != nil {
			WriteError(sw, e)
			return
		}
		mux.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func roleNames(roles []auth.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

type requestIDKey struct{}

// RequestID is the id of the request whose context is ctx ("" outside
// one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID is the client's id when it is at most 128 printable ASCII
// characters, else a new random one.
func requestID(given string) string {
	if given != "" && len(given) <= 128 && !strings.ContainsFunc(given, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return given
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// secretParams are the words that make a query parameter a secret: its
// value is not logged.
var secretParams = []string{"token", "key", "secret", "password", "passwd", "signature", "sig", "auth", "code", "credential", "session"}

// redactedPath is the path and query of u with the values of secret
// query parameters replaced.
func redactedPath(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		lower := strings.ToLower(name)
		if unescaped, err := url.QueryUnescape(name); err == nil {
			lower = strings.ToLower(unescaped)
		}
		if hasValue {
			for _, w := range secretParams {
				if strings.Contains(lower, w) {
					parts[i] = name + "=REDACTED"
					break
				}
			}
		}
	}
	return u.Path + "?" + strings.Join(parts, "&")
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// caller is the identity of r, and whether it is bound to a tenant.
func caller(r *http.Request) (auth.Identity, bool) {
	id, ok := auth.From(r.Context())
	return id, ok && id.Scoped()
}

// sees tells whether the caller of r may see what belongs to party: any
// caller not bound to a tenant, a scoped one its tenant's only.
func sees(r *http.Request, party string) bool {
	id, scoped := caller(r)
	return !scoped || id.Sees(party)
}

// visible tells whether the caller of r may see the wire entity v: its
// customer (relatedParty with role customer) is the caller's tenant, or
// the caller is not bound to one.
func visible(r *http.Request, v any) bool {
	if _, scoped := caller(r); !scoped {
		return true
	}
	m, err := asMap(v)
	if err != nil {
		return false
	}
	return sees(r, customerOf(m))
}

// customerOf is the id of the customer party of a wire entity as a map.
func customerOf(m map[string]any) string {
	parties, _ := m["relatedParty"].([]any)
	for _, p := range parties {
		if p, ok := p.(map[string]any); ok {
			if role, _ := p["role"].(string); strings.EqualFold(role, "customer") {
				id, _ := p["id"].(string)
				return id
			}
		}
	}
	return ""
}

// actsFor refuses (403) a scoped caller acting for a party other than
// its tenant; what names the field that gives the party.
func actsFor(r *http.Request, what, party string) *Error {
	id, scoped := caller(r)
	if !scoped || id.Sees(party) {
		return nil
	}
	if party == "" {
		return NewError(http.StatusForbidden, what+": "+id.Subject+" acts for party "+id.Tenant+": name it as the customer")
	}
	return NewError(http.StatusForbidden, what+": "+id.Subject+" acts for party "+id.Tenant+" only, not "+party)
}

// Party implements events.Parties: the customer of the entity an event
// is about, for the listeners of callers bound to a party.
func (d directory) Party(ctx context.Context, field, id string) (party string, err error) {
	s := d.s
	err = s.read(ctx, func() {
		var v any
		switch {
		case field == "productOrder" && s.COM != nil:
			v = s.readProductOrder(id)
		case field == "quote" && s.COM != nil:
			v = s.readQuote(id)
		case field == "product" && s.COM != nil:
			if p := s.COM.Products.Get(id); p != nil {
				v = s.product(p)
			}
		case field == "service" && s.SOM != nil:
			if svc := s.SOM.Services.Get(id); svc != nil {
				v = s.service(svc)
			}
		}
		if v == nil {
			return
		}
		if m, err := asMap(v); err == nil {
			party = customerOf(m)
		}
	})
	return party, err
}
