// Package tmf620 is TMF620 Product Catalog Management v4: its routes
// (the catalog file's entries read-only, and the designs clients create
// and change, kept as documents), its wire format (product offerings,
// product specifications, product offering prices and catalogs as JSON),
// and the decoders of the designs (POST and merge-patch PATCH bodies).
//
// The types describe every attribute of the v4 schema (TMF620 v4.0.0
// swagger). The decoders are strict: an attribute not in the schema, a
// value of the wrong JSON kind, a server-managed attribute (id, href,
// lastUpdate) or a design that breaks a rule of Check is refused with a
// FieldError that names the attribute, by its dotted path.
package tmf620
