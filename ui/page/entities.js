// The entity map: every entity the orders made, by kind, with the system
// that keeps its record, the one that asked for it, the component of the
// running system that holds it (COM, SOM, ROM, or the network twin), and
// its state, kept live by the stream.

import { element, badge } from "./draw.js";

// The kinds of the map, in the order of the worked example's entity map.
const kinds = [
  { kind: "quote", label: "Quote", record: "CPQ", engaged: "Sales Console", holder: "COM" },
  { kind: "productOrder", label: "Product Order", record: "COM", engaged: "Sales Console", holder: "COM" },
  { kind: "productOrderItem", label: "Product Order Item", record: "COM", engaged: "Sales Console", holder: "COM" },
  { kind: "serviceOrder", label: "Service Order", record: "SOM", engaged: "COM", holder: "SOM" },
  { kind: "serviceOrderItem", label: "Service Order Item", record: "SOM", engaged: "COM", holder: "SOM" },
  { kind: "resourceOrder", label: "Resource Order", record: "ROM", engaged: "SOM", holder: "ROM" },
  { kind: "resourceOrderItem", label: "Resource Order Item", record: "ROM", engaged: "SOM", holder: "ROM" },
  { kind: "product", label: "Product Instance", record: "Product Inventory", engaged: "COM", holder: "COM" },
  { kind: "service", label: "Service Instance", record: "Service Inventory", engaged: "SOM", holder: "SOM" },
  { kind: "resource", label: "Resource", record: "Resource Inventory", engaged: "ROM", holder: "twin" },
  { kind: "shipment", label: "Shipment", record: "Logistics", engaged: "ROM", holder: "twin" },
];
const listed = 60; // entities listed per row; the rest are counted

// entities: kind -> entity id -> {name, state}.
const entities = new Map(kinds.map((k) => [k.kind, new Map()]));
// counts: kind -> state -> how many of its entities are in it, kept as
// records come, so that drawing a national rollout's map counts nothing.
const counts = new Map(kinds.map((k) => [k.kind, new Map()]));
const typedUpTo = 5000; // resources grouped by type up to this many
// resourceTypes: resource id -> its type (TMF639 @type), read in pages.
export const resourceTypes = new Map();
let untyped = 0; // resources whose type is not read yet

// take notes an entity's latest state; it answers whether the map changed.
export function take(r) {
  const of = entities.get(r.kind);
  if (!of || !r.state) return false;
  const count = counts.get(r.kind);
  const e = of.get(r.entity);
  if (e) {
    count.set(e.state, count.get(e.state) - 1);
    e.state = r.state;
    if (r.name) e.name = r.name;
  } else {
    of.set(r.entity, { name: r.name || "", state: r.state });
    if (r.kind === "resource" && !resourceTypes.has(r.entity)) untyped++;
  }
  count.set(r.state, (count.get(r.state) || 0) + 1);
  return true;
}

// typesWanted tells whether resources arrived whose type the map does not
// know, few enough to read (a national rollout's are shown untyped).
export function typesWanted() { return untyped > 0 && entities.get("resource").size <= typedUpTo; }

// readTypes reads the type of every resource (TMF639).
export async function readTypes(all) {
  untyped = 0;
  for (const r of await all("/tmf-api/resourceInventoryManagement/v4/resource?fields=id")) resourceTypes.set(r.id, r["@type"]);
}

// drawEntities draws the map into the table body.
export function drawEntities(tbody) {
  const open = new Set([...tbody.querySelectorAll("details[open]")].map((d) => d.closest("tr").dataset.label));
  const rows = [];
  for (const k of kinds) {
    const of = entities.get(k.kind);
    if (k.kind === "resource" && of.size <= typedUpTo) {
      for (const [type, list] of byType(of)) rows.push(row(k, "Resource: " + type, list.length, list, tally(list)));
    } else if (of.size) {
      rows.push(row(k, k.label, of.size, first(of, listed), counts.get(k.kind)));
    }
  }
  for (const tr of rows) if (open.has(tr.dataset.label)) tr.querySelector("details").open = true;
  tbody.replaceChildren(...rows);
}

// first is the first n entries of a map, without copying the rest.
function first(of, n) {
  const out = [];
  for (const entry of of) {
    if (out.length >= n) break;
    out.push(entry);
  }
  return out;
}

function byType(of) {
  const groups = new Map();
  for (const entry of of) {
    const type = resourceTypes.get(entry[0]) || "untyped";
    if (!groups.has(type)) groups.set(type, []);
    groups.get(type).push(entry);
  }
  return [...groups].sort((a, b) => a[0].localeCompare(b[0]));
}

function tally(list) {
  const count = new Map();
  for (const [, e] of list) count.set(e.state, (count.get(e.state) || 0) + 1);
  return count;
}

// row is one kind of entity: how many, their states, and the first of
// them listed with their state.
function row(k, label, size, list, count) {
  const tr = element("tr");
  tr.dataset.kind = k.kind;
  tr.dataset.label = label;
  tr.dataset.count = String(size);
  const details = element("details");
  details.append(element("summary", "", `${label} (${size})`));
  const ul = element("ul", "entities");
  for (const [id, e] of list.slice(0, listed)) {
    const li = element("li", "", id + (e.name && e.name !== id ? " " + e.name : "") + " ");
    li.dataset.entity = id;
    li.append(badge(e.state));
    ul.append(li);
  }
  if (size > listed) ul.append(element("li", "muted", `and ${size - listed} more`));
  details.append(ul);
  const name = element("td");
  name.append(details);
  tr.append(name, element("td", "", k.record), element("td", "", k.engaged), element("td", "holder", k.holder), states(count));
  return tr;
}

// states shows how many entities are in each state.
function states(count) {
  const td = element("td", "states");
  for (const [s, n] of [...count].filter((c) => c[1] > 0).sort((a, b) => b[1] - a[1])) {
    const b = badge(s);
    b.textContent = n + " " + s;
    td.append(b, " ");
  }
  return td;
}
