package api

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf637"
	"github.com/ordertwin/ordertwin/core/api/tmf638"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
)

// RequestIDHeader carries a request's id: the client's when it sends a
// sensible one, else one the server makes; the answer echoes it.
const RequestIDHeader = "X-Request-Id"

// front wraps the routes with what every request goes through: its id,
// its authentication and authorization (when the server has a Guard), who
// gives the commands it makes (engine.WithOrigin: kept in the input log),
// the limits of every request (tmf630.CheckRequest), and a line in the access
// log (when it has an AccessLog).
func (s *Server) front(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rid := requestID(r.Header.Get(RequestIDHeader))
		w.Header().Set(RequestIDHeader, rid)
		ctx := context.WithValue(r.Context(), requestIDKey{}, rid)
		sw := &statusWriter{ResponseWriter: w}
		var actor string
		origin := store.Origin{Request: rid, Source: r.RemoteAddr, Taken: began}
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
					tmf630.WriteError(sw, tmf630.NewError(http.StatusUnauthorized, err.Error()))
					return
				}
				actor = id.Subject
				if !s.Guard.Policy.Allows(id, route) {
					tmf630.WriteError(sw, tmf630.NewError(http.StatusForbidden, "roles "+tmf630.RoleNames(id.Roles)+" of "+id.Subject+" may not "+r.Method+" "+r.URL.Path))
					return
				}
				ctx = auth.WithIdentity(ctx, id)
				origin.Actor = id.Subject
				for _, role := range id.Roles {
					origin.Roles = append(origin.Roles, string(role))
				}
			}
		}
		ctx = engine.WithOrigin(ctx, origin)
		if e := tmf630.CheckRequest(r); e != nil {
			tmf630.WriteError(sw, e)
			return
		}
		mux.ServeHTTP(sw, r.WithContext(ctx))
	})
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

// Hijack hands over the connection, for a WebSocket (the console's
// stream): its status is 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// comShelfKinds are the shelf's kinds of COM's entities, by the field
// a party is asked of.
var comShelfKinds = map[string]string{"productOrder": com.ShelfKind, "quote": com.QuoteShelfKind, "product": com.ProductShelfKind}

// Party implements events.Parties: the customer of the entity an event
// is about, for the listeners of callers bound to a party.
func (d directory) Party(ctx context.Context, field, id string) (party string, err error) {
	s := d.s
	err = s.Node().Read(ctx, func() {
		var v any
		switch {
		case field == "productOrder" && s.COM != nil:
			v = tmf622.ReadProductOrder(s.Node(), id)
		case field == "quote" && s.COM != nil:
			v = tmf648.ReadQuote(s.Node(), id)
		case field == "product" && s.COM != nil:
			if p := s.COM.Products.Get(id); p != nil {
				v = tmf637.ProductOf(s.Node(), p)
			}
		case field == "service" && s.SOM != nil:
			if svc := s.SOM.Services.Get(id); svc != nil {
				v = tmf638.ServiceOf(s.Node(), svc)
			}
		}
		if v == nil {
			return
		}
		if m, err := tmf630.AsMap(v); err == nil {
			party = tmf630.CustomerOf(m)
		}
	})
	// Left memory: the shelf keeps each of COM's docs by its party.
	if kind := comShelfKinds[field]; err == nil && party == "" && kind != "" && s.COM != nil && s.Node().Shelf != nil {
		d, ok, e := s.Node().Shelf.Shelved(kind, id)
		if e != nil {
			return "", e
		}
		if ok {
			party = d.Party
		}
	}
	if err == nil && party == "" && field == "service" && s.SOM != nil { // left memory with its orders
		svc, ok, e := tmf630.Unshelved(s.Node(), som.ServiceShelfKind, id, som.ShelvedService)
		if e != nil {
			return "", e
		}
		if ok {
			party = tmf630.CustomerOfRefs(tmf630.Refs(svc.RelatedParty, "Organization"))
		}
	}
	return party, err
}
