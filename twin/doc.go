// Package twin is the simulated network: serving areas and exchanges, OLTs
// with line cards and ports, P2P handoff capacity, BNG QoS templates, VLAN
// and IP pools, CPE stock with serial numbers, the ZTP server and the
// logistics that ship CPE, the NMS with TWAMP probes, address qualification,
// the credit system, the approval workflow and billing.
//
// A Network is loaded from a YAML network file (scenarios/README.md,
// "Network files"); its pre-existing occupancy — other customers' ports,
// VLANs and prefixes — decides what the core is allocated. A Twin built
// from it implements port.Adapter for every system, in process, answering on
// the engine's clock with durations from the network's duration model.
package twin
