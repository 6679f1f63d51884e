package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/auth"
)

// tokenEnv is the environment variable the clients read a token from.
const tokenEnv = "ORDERTWIN_TOKEN"

// devKeyFile is where serve keeps the development issuer's key: beside
// its store.
func devKeyFile(db string) string { return besideStore(db, ".issuer.pem") }

// tokenCmd mints a token of a server's development issuer, signed with
// the key serve keeps beside its store, and prints it.
func tokenCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	var roles []auth.Role
	fs.Func("role", "the holder's role (repeat, or separate with commas): "+roleList(), func(v string) error {
		for name := range strings.SplitSeq(v, ",") {
			r, err := auth.ParseRole(name)
			if err != nil {
				return err
			}
			roles = append(roles, r)
		}
		return nil
	})
	tenant := fs.String("tenant", "", "the party the holder acts for (its customer party id); required for sales, partner and approver-customer")
	subject := fs.String("subject", "", "who holds the token (default: dev-ROLE)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	key := fs.String("key", devKeyFile("ordertwin.db"), "the development issuer's key, beside the server's store (STORE"+devKeyFile("")+")")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("token: unexpected argument %q", pos[0])
	}
	if len(roles) == 0 {
		return errors.New("token: give --role (" + roleList() + ")")
	}
	if *subject == "" {
		*subject = "dev-" + string(roles[0])
	}
	if (auth.Identity{Roles: roles}).Scoped() && *tenant == "" {
		return fmt.Errorf("token: --role %s acts for one party: give it with --tenant PARTY", roles[0])
	}
	k, err := auth.LoadDevKey(*key)
	if err != nil {
		return fmt.Errorf("token: %w (serve makes it beside its store when it starts)", err)
	}
	tok, err := auth.Mint(k, auth.Grant{Subject: *subject, Roles: roles, Tenant: *tenant, TTL: *ttl}, time.Now())
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func roleList() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
