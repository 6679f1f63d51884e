package ui

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
)

// The page's copy of the server's rules (page/access.js) gives each route
// the roles core/auth's Table gives it: the console offers a control, and
// makes a read, exactly when the server lets the caller.
func TestPageAccessMirrorsPolicy(t *testing.T) {
	b, err := fs.ReadFile(files, "page/access.js")
	require.NoError(t, err)
	src := string(b)
	lists := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?m)^const (\w+) = \[([^\]]*)\];$`).FindAllStringSubmatch(src, -1) {
		lists[m[1]] = quoted(m[2])
	}
	entries := regexp.MustCompile(`(?m)^  "([A-Z]+ [^"]+)": (\w+|\[[^\]]*\]),$`).FindAllStringSubmatch(src, -1)
	require.NotEmpty(t, entries, "the table of routes in access.js")
	policy := auth.NewPolicy(false)
	known := map[string]bool{}
	for _, r := range auth.Table {
		known[r.Route] = true
	}
	for _, e := range entries {
		route, roles := e[1], lists[e[2]]
		if strings.HasPrefix(e[2], "[") {
			roles = quoted(strings.Trim(e[2], "[]"))
		}
		require.NotNil(t, roles, "%s: the list %s", route, e[2])
		assert.True(t, known[route], "%s: not a route of auth.Table", route)
		for _, role := range auth.Roles {
			allowed := policy.Allows(auth.Identity{Subject: "someone", Roles: []auth.Role{role}}, route)
			assert.Equal(t, allowed, slices.Contains(roles, string(role)), "%s for %s", route, role)
		}
	}

	// Each route the page names in a call of may() is in the table.
	pages, err := fs.Glob(files, "page/*.js")
	require.NoError(t, err)
	for _, p := range pages {
		b, err := fs.ReadFile(files, p)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`may\("([A-Z]+ [^"]+)"\)`).FindAllStringSubmatch(string(b), -1) {
			assert.True(t, slices.ContainsFunc(entries, func(e []string) bool { return e[1] == m[1] }), "%s: may(%q) has no rule in access.js", p, m[1])
		}
	}
}

// quoted reads the strings of a JavaScript list's items ("a", "b").
func quoted(list string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	return out
}
