// Package catalog loads the product and service catalog (YAML) and turns it
// into what the core needs at run time: offerings with their prices, rate
// cards and SLA tiers; the decomposition product → CFS → RFS per access
// technology; and, for every (CFS set, technology), an orchestration plan
// template whose steps are in a stable topological order of the RFS
// dependency graph.
//
// Everything is checked at load: unknown fields, dangling references and
// dependency cycles are errors that name what is wrong. Plans are built once
// at load; decomposition on the hot path only instantiates them.
package catalog
