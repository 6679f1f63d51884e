// A site's orchestration plan as it runs: the items of the site's resource
// order (TMF652) as nodes in layers — an item one layer after the last of
// those it depends on — with its dependencies as arrows and each item's
// state kept live by the stream.

import { svg, titled, element } from "./draw.js";

const api = {
  serviceOrder: "/tmf-api/serviceOrdering/v4/serviceOrder",
  resourceOrder: "/tmf-api/resourceOrderingManagement/v4/resourceOrder",
};
const box = { width: 190, height: 46, gapX: 60, gapY: 16, margin: 10 };

// sitePlan reads the plan of a site of an order: the latest resource order
// placed for it ({ro, items: [{id, rfs, type, value, state, after: [ids]}]}),
// or null while it has none.
export async function sitePlan(order, site, all, get) {
  const sos = await all(api.serviceOrder + "?fields=id,description,serviceOrderItem&externalReference.name=" + encodeURIComponent(order));
  let found = null;
  for (const so of sos) {
    if (!(so.serviceOrderItem || []).some((it) => it.productOrderItem && it.productOrderItem.id === site.item)) continue;
    const ros = await get(api.resourceOrder + "?fields=id,name,state,orderItem&externalId=" + encodeURIComponent(so.id + "/" + site.code));
    for (const ro of ros) if ((ro.orderItem || []).length) found = { ro, so };
  }
  if (!found) return null;
  const items = found.ro.orderItem.map((it) => ({
    id: it.id,
    rfs: (it.resourceSpecification && it.resourceSpecification.name) || "",
    type: (it.resourceSpecification && it.resourceSpecification.id) || "",
    value: (it.resource && it.resource.value) || "",
    state: it.state,
    after: (it.orderItemRelationship || []).filter((r) => r.relationshipType === "dependsOn").map((r) => r.orderItem.itemId),
  }));
  return { ro: found.ro, serviceOrder: found.so, items };
}

// layers puts each item one layer after the deepest item it depends on,
// and orders each layer by where its items' dependencies sit, so that
// arrows cross little.
export function layers(items) {
  const byId = new Map(items.map((it) => [it.id, it]));
  const depth = new Map();
  const depthOf = (it, seen = new Set()) => {
    if (depth.has(it.id)) return depth.get(it.id);
    if (seen.has(it.id)) throw new Error("the plan has a cycle through " + it.id);
    seen.add(it.id);
    const d = Math.max(-1, ...it.after.filter((a) => byId.has(a)).map((a) => depthOf(byId.get(a), seen))) + 1;
    depth.set(it.id, d);
    return d;
  };
  const out = [];
  for (const it of items) (out[depthOf(it)] ||= []).push(it);
  const row = new Map();
  for (const layer of out) {
    const weight = (it) => it.after.length ? it.after.reduce((sum, a) => sum + (row.get(a) ?? 0), 0) / it.after.length : -1;
    layer.sort((a, b) => weight(a) - weight(b));
    layer.forEach((it, i) => row.set(it.id, i));
  }
  return out;
}

// drawPlan draws the plan into el; it answers the SVG group of each item
// by id, whose data-state the stream keeps.
export function drawPlan(el, site, plan, stateOf) {
  const nodes = new Map();
  if (!plan) {
    el.replaceChildren(element("p", "hint", `Site ${site.code} has no resource order yet: SOM plans a site when its wave starts.`));
    return nodes;
  }
  const cols = layers(plan.items);
  const rows = Math.max(...cols.map((c) => c.length));
  const width = box.margin * 2 + cols.length * box.width + (cols.length - 1) * box.gapX;
  const height = box.margin * 2 + rows * box.height + (rows - 1) * box.gapY;
  const graph = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: Math.min(width, 960), role: "img", "aria-labelledby": "plan-caption", class: "plan" });
  graph.append(svg("title", { id: "plan-caption" }, `Plan of site ${site.code}: resource order ${plan.ro.id}, ${plan.items.length} items`));
  graph.append(arrowhead());
  const at = new Map();
  cols.forEach((col, c) => col.forEach((it, r) => at.set(it.id, { x: box.margin + c * (box.width + box.gapX), y: box.margin + r * (box.height + box.gapY) })));
  for (const it of plan.items) for (const a of it.after) if (at.has(a)) graph.append(edge(at.get(a), at.get(it.id), a, it.id));
  for (const it of plan.items) {
    const g = node(it, at.get(it.id), stateOf(it.id) || it.state);
    nodes.set(it.id, g);
    graph.append(g);
  }
  const caption = element("p", "muted", `${plan.serviceOrder.description || plan.serviceOrder.id} · resource order ${plan.ro.id} (${plan.ro.name || ""})`);
  el.replaceChildren(caption, graph);
  return nodes;
}

function node(it, p, state) {
  const g = svg("g", { class: "node", "data-entity": it.id, "data-state": state, transform: `translate(${p.x} ${p.y})` });
  g.append(svg("rect", { width: box.width, height: box.height, rx: 5 }));
  g.append(svg("text", { x: 8, y: 18, class: "rfs" }, it.rfs.replace(/^RFS:/, "")));
  const detail = svg("text", { x: 8, y: 36, class: "detail" }, it.id + (it.value ? " · " + it.value : ""));
  g.append(detail);
  return titled(g, `${it.id} ${it.rfs}: ${state}${it.value ? ", " + it.value : ""}${it.after.length ? ", after " + it.after.join(", ") : ""}`);
}

// setNodeState shows an item's new state.
export function setNodeState(g, state) {
  g.dataset.state = state;
  const title = g.querySelector("title");
  if (title) title.textContent = title.textContent.replace(/: [a-zA-Z]+/, ": " + state);
}

function edge(from, to, a, b) {
  const x1 = from.x + box.width, y1 = from.y + box.height / 2, x2 = to.x - 2, y2 = to.y + box.height / 2;
  const mid = (x1 + x2) / 2;
  return svg("path", { d: `M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}`, class: "edge", "marker-end": "url(#arrow)", "data-from": a, "data-to": b });
}

function arrowhead() {
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0 0L10 5L0 10z", class: "arrowhead" }));
  defs.append(marker);
  return defs;
}
