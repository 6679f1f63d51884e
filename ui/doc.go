// Package ui is the operations console: a page embedded in the binary,
// served at /, and the WebSocket stream of committed journal records that
// keeps it live (Stream). The page reads the TMF APIs and the stream with
// the token it signs in with; it holds no data of its own, so the page
// and its files are public routes, and every read behind them is
// authenticated and authorized as any other (core/auth).
//
// The stream reads the store's committed-record feed (store.Feed): one
// reader per connection, each at its own pace, so that the engine never
// waits for a client; nothing rescans the journal.
//
// The console's controls (Control) and what-ifs (WhatIfs) are routes under
// /ordertwin/v1 that a program calls as well: the serving clock
// (engine.Pausable), faults injected into the running twin, a library
// scenario started through the server's own TMF routes, a site added to an
// order; what-ifs of the library run one at a time, off the engine's
// goroutine, and answer their completion distributions.
package ui
