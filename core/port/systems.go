package port

// Systems lists every system of the worked example, in the order the docs
// name them.
var Systems = []System{Qualification, Credit, Workflow, Access, VLAN, BNG, IPAM, ZTP, Logistics, NMS, Billing, Planning}
