package events

import (
	"errors"
	"net/url"
	"strings"
)

// redacted replaces a secret wherever a callback is shown.
const redacted = "REDACTED"

// secretParams are the parts of query parameter names that mark a
// secret: a parameter whose name holds one has its value redacted.
var secretParams = []string{"token", "key", "secret", "pass", "pwd", "sig", "auth", "credential", "session", "hmac", "code"}

// Redact returns a callback URL fit to log or to show: user and password
// replaced, and the values of query parameters that look like secrets
// (token, key, secret, password, sig, auth …). The listener keeps its
// callback intact for delivery. What does not parse is redacted whole.
func Redact(callback string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return redacted
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			n, err := url.QueryUnescape(name)
			if err != nil {
				n = name
			}
			if hasValue && isSecret(n) {
				parts[i] = name + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

func isSecret(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// redactErr is err's text with the callback in it redacted: the HTTP
// client's errors quote the URL.
func redactErr(err error, callback string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = Redact(ue.URL)
	}
	s := err.Error()
	if callback != "" {
		s = strings.ReplaceAll(s, callback, Redact(callback))
	}
	return s
}
