package events_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ordertwin/ordertwin/core/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A callback is checked at registration: http or https, a port from 1 to
// 65535, a host in its one plain form, and by default no loopback,
// link-local, metadata, private, unspecified, multicast or broadcast
// address. Each refusal names why.
func TestCheckURLRefuses(t *testing.T) {
	c := events.MustCallbacks() // the default: public addresses
	for _, tc := range []struct{ url, why string }{
		{"ftp://files.example/x", `scheme "ftp"`},
		{"mailto:ops@example.com", "want an absolute http or https URL"},
		{"/relative", "want an absolute http or https URL"},
		{"http://crm.example:99999/x", "port 99999"},
		{"http://crm.example:0/x", "port 0"},
		{"http://crm.example:080/x", "port 080"},
		{"http://crm.example:/x", "an empty port"},
		{"http://127.1/x", "other than dotted decimal"},
		{"http://2130706433/x", "other than dotted decimal"},
		{"http://0x7f.1/x", "other than dotted decimal"},
		{"http://0x7f000001/x", "other than dotted decimal"},
		{"http://0177.0.0.1/x", "other than dotted decimal"},
		{"http://127.000.000.001/x", "other than dotted decimal"},
		{"http://cr_m.example/x", `label "cr_m"`},
		{"http://[fe80::1%25eth0]/x", "zone"},
		{"http://127.0.0.1/x", "loopback"},
		{"http://[::1]:8080/x", "loopback"},
		{"http://localhost:8080/x", "loopback"},
		{"http://api.localhost/x", "loopback"},
		{"http://169.254.169.254/latest/meta-data", "cloud metadata"},
		{"http://[fd00:ec2::254]/x", "cloud metadata"},
		{"http://169.254.10.1/x", "link-local"},
		{"http://[fe80::1]/x", "link-local"},
		{"http://10.1.2.3/x", "private (RFC 1918)"},
		{"http://172.20.0.1/x", "private (RFC 1918)"},
		{"http://192.168.1.1/x", "private (RFC 1918)"},
		{"http://100.64.0.1/x", "carrier-grade NAT"},
		{"http://[fd12::1]/x", "unique local"},
		{"http://0.0.0.0/x", "unspecified"},
		{"http://[::]/x", "unspecified"},
		{"http://224.0.0.1/x", "multicast"},
		{"http://[ff02::1]/x", "multicast"},
		{"http://255.255.255.255/x", "broadcast"},
		{"http://[::ffff:127.0.0.1]/x", "loopback"},
		{"http://[64:ff9b::a00:1]/x", "NAT64"},
	} {
		err := c.CheckURL(tc.url)
		if assert.Error(t, err, tc.url) {
			assert.Contains(t, err.Error(), tc.why, tc.url)
		}
	}
	for _, ok := range []string{"https://crm.example/listener", "HTTPS://CRM.example:8443/x?a=b", "http://93.184.215.14/x",
		"http://[2606:4700::1111]/x", "https://user:pw@crm.example/x?token=t"} {
		assert.NoError(t, c.CheckURL(ok), ok)
	}
}

// The allow-list replaces the default: listed networks, addresses and
// host names are let through even in reserved ranges; without "public",
// nothing else is. The server's own API is refused unless "self" is
// listed, even where its network is allowed.
func TestAllowList(t *testing.T) {
	c := events.MustCallbacks("127.0.0.0/8", "10.20.0.7", "crm.internal")
	c.Self = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}
	assert.NoError(t, c.CheckURL("http://127.0.0.1:9000/x"))
	assert.NoError(t, c.CheckURL("http://localhost:9000/x"), "loopback by name, allowed as by address")
	assert.ErrorContains(t, c.CheckURL("http://localhost:8080/x"), "the server's own API")
	assert.NoError(t, c.CheckURL("http://10.20.0.7/x"))
	assert.NoError(t, c.CheckURL("http://CRM.internal./x"))
	assert.ErrorContains(t, c.CheckURL("http://10.20.0.8/x"), "private")
	assert.ErrorContains(t, c.CheckURL("http://93.184.215.14/x"), "not on the hub allow-list")
	assert.NoError(t, c.CheckURL("http://crm.example/x"), "a name may resolve into an allowed network: checked when dialled")
	assert.ErrorContains(t, events.MustCallbacks("crm.internal").CheckURL("http://crm.example/x"), "not on the hub allow-list",
		"no network allowed: only the names listed")
	err := c.CheckURL("http://127.0.0.1:8080/tmf-api/productOrderingManagement/v4/productOrder")
	assert.ErrorContains(t, err, "the server's own API")
	assert.True(t, errors.Is(err, events.ErrRefused))
	c = events.MustCallbacks("127.0.0.0/8", "self")
	c.Self = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}
	assert.NoError(t, c.CheckURL("http://127.0.0.1:8080/x"))

	wild := events.MustCallbacks("public", "127.0.0.0/8")
	wild.Self = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:8080")}
	assert.ErrorContains(t, wild.CheckURL("http://127.0.0.1:8080/x"), "own API", "listening on every address")

	for _, bad := range []string{"10.0.0.0/33", "127.1", "crm..example", "fe80::1%eth0"} {
		_, err := events.NewCallbacks([]string{bad})
		assert.ErrorContains(t, err, fmt.Sprintf("hub allow-list entry %q", bad))
	}
}

// resolver is the tests' DNS: names to addresses, in process, so that no
// query leaves the machine.
func resolver(names map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		a, ok := names[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
}

// The delivery client checks the address it is about to connect to, after
// resolution: a name that passed registration but resolves to the
// metadata address, a private or a loopback one (DNS rebinding) is
// refused before any packet is sent; so is an address literal that the
// allow-list does not take. What the allow-list takes is reached (on
// loopback here).
func TestClientRefusesAtDial(t *testing.T) {
	var hits atomic.Int64
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer listener.Close()
	_, port, err := net.SplitHostPort(listener.Listener.Addr().String())
	require.NoError(t, err)
	c := events.MustCallbacks("public", "127.0.0.1")
	c.Resolve = resolver(map[string]string{"listener.test": "127.0.0.1", "rebind.test": "169.254.169.254",
		"inside.test": "10.0.0.5", "loop6.test": "::1"})
	client := c.Client(0)
	for host, why := range map[string]string{
		"rebind.test":     "cloud metadata",
		"inside.test":     "private",
		"loop6.test":      "loopback",
		"169.254.169.254": "cloud metadata",
		"127.0.0.2":       "loopback",
	} {
		if strings.HasSuffix(host, ".test") {
			require.NoError(t, c.CheckURL("http://"+host+":"+port+"/x"), "%s passes registration: a name", host)
		}
		before := c.DialsRefused()
		_, err := client.Post("http://"+host+":"+port+"/x", "application/json", strings.NewReader("{}"))
		if assert.Error(t, err, host) {
			assert.Contains(t, err.Error(), why, host)
			assert.True(t, errors.Is(err, events.ErrRefused), host)
		}
		assert.Equal(t, before+1, c.DialsRefused(), "%s: refused by the dialer's check", host)
	}
	assert.Zero(t, hits.Load())
	res, err := client.Post("http://listener.test:"+port+"/x", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.Equal(t, int64(1), hits.Load())
}

// A listed host name is trusted whatever it resolves to; another name
// resolving to the same address is not.
func TestClientTrustsListedHost(t *testing.T) {
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer listener.Close()
	_, port, err := net.SplitHostPort(listener.Listener.Addr().String())
	require.NoError(t, err)
	c := events.MustCallbacks("crm.internal")
	c.Resolve = resolver(map[string]string{"crm.internal": "127.0.0.1", "other.internal": "127.0.0.1"})
	res, err := c.Client(0).Get("http://crm.internal:" + port + "/")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	_, err = c.Client(0).Get("http://other.internal:" + port + "/")
	assert.ErrorContains(t, err, "loopback")
}

// A redirect is not followed: the 3xx is the answer (a failed delivery
// for the notifier), and its target sees nothing.
func TestClientFollowsNoRedirect(t *testing.T) {
	var reached atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/steal", http.StatusTemporaryRedirect))
	defer redirect.Close()
	c := events.MustCallbacks("127.0.0.0/8")
	res, err := c.Client(0).Post(redirect.URL+"/x", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusTemporaryRedirect, res.StatusCode)
	assert.Zero(t, reached.Load())
}

// Secrets in a callback are redacted wherever it is shown: user and
// password, and query parameters that look like secrets.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://crm.example/x":                                    "https://crm.example/x",
		"https://bob:hunter2@crm.example/x":                        "https://REDACTED@crm.example/x",
		"https://crm.example/x?token=abc&site=7":                   "https://crm.example/x?token=REDACTED&site=7",
		"https://crm.example/x?api_key=1&Signature=2&X-Auth=3&a=4": "https://crm.example/x?api_key=REDACTED&Signature=REDACTED&X-Auth=REDACTED&a=4",
		"https://crm.example/x?password=p&client_secret=s&sig=q":   "https://crm.example/x?password=REDACTED&client_secret=REDACTED&sig=REDACTED",
		"http://a b/%zz": "REDACTED",
	} {
		assert.Equal(t, want, events.Redact(in), in)
	}
}

// Whatever a client gives as a callback, the check never panics, and what
// the default policy accepts is an http(s) URL with a port in range and a
// host that is a DNS name or a public address in its plain form.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://crm.example/x", "http://127.1/", "http://[::ffff:10.0.0.1]:80/", "http://a:99999/",
		"http://2130706433/", "http://0x7f.1/", "HTTP://93.184.215.14:8080/x?token=1", "http://user:pw@[2606:4700::1]/"} {
		f.Add(s)
	}
	c := events.MustCallbacks()
	f.Fuzz(func(t *testing.T, raw string) {
		if c.CheckURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Contains(t, []string{"http", "https"}, strings.ToLower(u.Scheme))
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			require.NoError(t, err)
			assert.True(t, n >= 1 && n <= 65535, p)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			ip = ip.Unmap()
			assert.False(t, ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
				ip.IsMulticast(), "%s is not public", ip)
		} else {
			last := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
			last = last[strings.LastIndex(last, ".")+1:]
			_, decimal := strconv.ParseUint(last, 10, 64)
			_, hex := strconv.ParseUint(strings.TrimPrefix(last, "0x"), 16, 64)
			assert.False(t, decimal == nil || strings.HasPrefix(last, "0x") && (hex == nil || last == "0x"),
				"%q ends in a number: an odd IPv4 form", u.Hostname())
		}
	})
}
