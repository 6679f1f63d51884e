// Package system wires a running node of the core: one engine, the
// components it runs (COM, SOM, ROM, the peer inbox, the documents), its
// journal and input log, its clock, the peers a process of one role talks
// to, and an adapter per network system (port.System).
//
// It knows no adapter by name: the caller hands each system's adapter as a
// value (the twin, or a real adapter from adapters/), so a real network can
// be chosen without the scenario runner. A scenario (package scenarios)
// builds the twin, passes it as the adapter of every system it does not
// override, and adds its own events, faults and expectations; `ordertwin
// serve` and `run` choose adapters with an adapters file (LoadAdapters).
package system
