// Package api is the HTTP front of ordertwin: the TMF Open APIs (TMF622,
// quotes, TMF679, TMF620/633, TMF637/638/639, TMF641/652, hubs) at their
// v4 base paths, health, readiness and metrics, and the links that carry
// COM's, SOM's and ROM's messages between processes (docs/api.md). What
// every API has in common (TMF630: the Error body, list queries, limits,
// the party a caller sees) is in package tmf630. Handlers read the
// components' state on the engine's goroutine (tmf630.Node.Query) and
// change it with commands answered once durable (tmf630.Node.Command).
package api
