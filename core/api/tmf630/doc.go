// Package tmf630 is what every TMF Open API of ordertwin shares (TMF630,
// the REST design guidelines): the Error body, list queries with attribute
// filters, `fields` and paging, the limits a request is held to, the
// party a caller may see, the v4 wire shapes several APIs use, and Node,
// through which a handler reads the components' state on the engine's
// goroutine and changes it with commands (docs/api.md).
package tmf630
