// Package tmf is the wire model of the core: TMF622 product orders, TMF641
// service orders, TMF652 resource orders, the TMF637/638/639 inventory
// entities and their events, in TMF Open API v4 shape (v5 fields such as
// stateReason are welcome extras).
//
// The same values travel between COM, SOM and ROM in process and over the
// REST APIs when they are deployed apart. A value sent to another component
// belongs to the receiver from then on; the sender keeps no pointer into it.
package tmf
