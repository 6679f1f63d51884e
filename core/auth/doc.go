// Package auth knows who is asking and what they may do: it
// authenticates a request (an OAuth2 bearer JWT of a configured issuer,
// an API key of a machine, or a peer process's signed message) into an
// Identity carried in the request's context, and authorizes it against
// one table of routes and roles (Policy), with the tenant rule: an
// identity bound to a party sees and changes that party's quotes,
// orders, inventory and events only.
//
// The local development issuer (DevIssuer) signs tokens with an Ed25519
// key kept in a file beside the store, so that `ordertwin token` mints a
// token the server accepts without any outside service.
package auth
