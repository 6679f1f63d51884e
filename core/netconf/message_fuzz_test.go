package netconf

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/watchdog"
)

// A device's rpc-replies, as netconfd and the twin send them.
var replySeeds = []string{
	`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><ok/></rpc-reply>`,
	string(ReplyError("7", Error{Type: "protocol", Tag: LockDenied, Message: "lock held", Info: &Info{SessionID: 4}},
		Error{Type: "application", Tag: DataExists, Severity: "warning"})),
	string(ReplyError("3", Error{Type: "application", Tag: ResourceDenied, Path: "/interfaces/interface[name=vani-1]", Message: "no ONU-ID"},
		Error{Type: "application", Tag: InUse, Message: "cpair-LC1-P1"})),
	string(ReplyData("8", []byte(`<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>cpair-LC1-P1</name></interface></interfaces>`))),
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rpc-reply message-id=\"2\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n" +
		"  <rpc-error>\n    <error-type>application</error-type>\n    <error-tag>data-exists</error-tag>\n" +
		"    <error-severity>error</error-severity>\n    <error-info><bad-element>vani-1</bad-element></error-info>\n  </rpc-error>\n</rpc-reply>",
	`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="4"><data/></rpc-reply>`,
	// Malformed: cut short, another element, another namespace, a
	// session-id that is no number.
	`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><ok/>`,
	`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>`,
	`<rpc-reply message-id="1"><ok/></rpc-reply>`,
	`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error><error-info><session-id>x</session-id></error-info></rpc-error></rpc-reply>`,
	``,
}

// FuzzParseReply: whatever a device answers, ParseReply returns a reply or
// an error, never panics, and a reply fails exactly when it carries an
// rpc-error that is not a warning, with that error's tag.
func FuzzParseReply(f *testing.F) {
	for _, s := range replySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		defer watchdog.Arm(2 * time.Second)()
		r, err := ParseReply(msg)
		if err != nil {
			require.Nil(t, r)
			require.ErrorContains(t, err, "netconf rpc-reply")
			return
		}
		var failed []Error
		for _, e := range r.Errors {
			if e.Severity != "warning" {
				failed = append(failed, e)
			}
		}
		rerr := r.Err()
		var one *Error
		var many Errors
		switch {
		case len(failed) == 0:
			require.NoError(t, rerr, "warnings alone are no failure")
		case len(failed) == 1:
			require.ErrorAs(t, rerr, &one)
			assert.Equal(t, failed[0].Tag, one.Tag)
		default:
			require.True(t, errors.As(rerr, &many), "several errors: %T", rerr)
			assert.Len(t, many, len(failed))
		}
		if rerr != nil {
			assert.True(t, strings.HasPrefix(rerr.Error(), "rpc-error "), "%q", rerr.Error())
		}
	})
}

// FuzzReplyErrorReadsBack: an rpc-error the twin writes reads back with
// its tag, path and message, and fails the reply unless it is a warning.
func FuzzReplyErrorReadsBack(f *testing.F) {
	f.Add("7", LockDenied, "error", "/interfaces", "lock held by session 4")
	f.Add("1", DataExists, "warning", "", "")
	f.Add("x&<y>", "in-use é", "", "p]]>", "\r\n a\tb ")
	f.Fuzz(func(t *testing.T, id, tag, severity, path, message string) {
		defer watchdog.Arm(2 * time.Second)()
		for _, s := range []string{id, tag, severity, path, message} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, notXMLChar) {
				t.Skip("XML cannot carry it") // xml.EscapeText writes U+FFFD for it
			}
		}
		r, err := ParseReply(ReplyError(id, Error{Type: "application", Tag: tag, Severity: severity, Path: path, Message: message}))
		require.NoError(t, err)
		assert.Equal(t, id, r.MessageID)
		require.Len(t, r.Errors, 1)
		e := r.Errors[0]
		assert.Equal(t, []string{tag, path, message}, []string{e.Tag, e.Path, e.Message})
		if severity == "warning" {
			assert.NoError(t, r.Err())
			return
		}
		var one *Error
		require.ErrorAs(t, r.Err(), &one)
		assert.Equal(t, tag, one.Tag)
	})
}

// notXMLChar is a character XML 1.0 cannot hold (§2.2).
func notXMLChar(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

// FuzzParseHello: a peer's hello parses or fails, never panics; one that
// parses offers a capability, and offers each of its capabilities.
func FuzzParseHello(f *testing.F) {
	f.Add((&Hello{Capabilities: []string{Base10, Base11}}).Marshal())
	f.Add((&Hello{Capabilities: []string{Base11, Candidate + "?module=x", ConfirmedCommit}, SessionID: 42}).Marshal())
	f.Add([]byte("<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n <capabilities>\n  <capability>\n   urn:ietf:params:netconf:base:1.1\n  </capability>\n </capabilities>\n <session-id>7</session-id>\n</hello>"))
	f.Add([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities/></hello>`))
	f.Add([]byte(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>x</capability></capabilities><session-id>-1</session-id></hello>`))
	f.Add([]byte(`<hello><capabilities><capability>` + Base10 + `</capability></capabilities></hello>`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		defer watchdog.Arm(2 * time.Second)()
		h, err := ParseHello(msg)
		if err != nil {
			require.Nil(t, h)
			require.ErrorContains(t, err, "netconf hello")
			return
		}
		require.NotEmpty(t, h.Capabilities)
		for _, c := range h.Capabilities {
			c, _, _ = strings.Cut(strings.TrimSpace(c), "?")
			assert.True(t, h.Has(c), "offers %q", c)
		}
	})
}
