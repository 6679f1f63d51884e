// Resource use: the network's ports per OLT and per exchange, VLANs and
// subnets per pool, routers in stock — used and free — as the network
// twin has them (GET /ordertwin/v1/resourceUse), read again as the stream
// tells of resources taken and given back.

import { element } from "./draw.js";

export const resourceUsePath = "/ordertwin/v1/resourceUse";

// drawResources draws the use into el: one table per kind of resource.
export function drawResources(el, use) {
  el.replaceChildren(
    table("OLT ports", ["OLT", "exchange", "line cards"], (use.olt || []).map((o) =>
      ({ id: o.id, cells: [o.exchange, o.lineCard.map((c) => `LC${c.slot} ${c.used}/${c.ports}`).join(", ")], used: o.used, size: o.ports }))),
    table("Exchanges: P2P handoff ports", ["exchange", "region", "OLT ports used", "held"], (use.exchange || []).map((x) =>
      ({ id: x.id, cells: [x.region, `${x.oltUsed}/${x.oltPorts}`, x.held], used: x.p2pUsed, size: x.p2pPorts }))),
    table("VLAN pools", ["pool", "kind"], (use.vlanPool || []).map((p) => ({ id: p.id, cells: [p.kind || ""], used: p.used, size: p.size }))),
    table("IP pools (subnets)", ["pool"], (use.ipPool || []).map((p) => ({ id: p.id, cells: [], used: p.used, size: p.size }))),
    table("CPE stock (model@region)", ["stock"], (use.cpe || []).map((p) => ({ id: p.id, cells: [], used: p.used, size: p.size }))),
  );
}

// table lists rows of a kind of resource, each with a meter of its use.
function table(caption, heads, rows) {
  const t = element("table", "use");
  t.append(element("caption", "", caption));
  const head = element("tr");
  for (const h of [...heads, "used", "free", ""]) head.append(element("th", "", h));
  t.append(element("thead"));
  t.tHead.append(head);
  const body = element("tbody");
  for (const r of rows) body.append(useRow(r));
  t.append(body);
  return t;
}

function useRow(r) {
  const tr = element("tr");
  tr.dataset.id = r.id;
  tr.dataset.used = String(r.used);
  tr.dataset.free = String(r.size - r.used);
  tr.append(element("td", "", r.id));
  for (const c of r.cells) tr.append(element("td", "", c));
  tr.append(element("td", "num", `${r.used}/${r.size}`), element("td", "num", r.size - r.used));
  const meter = element("meter");
  meter.min = 0;
  meter.max = Math.max(1, r.size);
  meter.value = r.used;
  meter.high = meter.max * 0.85;
  meter.optimum = 0;
  meter.setAttribute("aria-label", `${r.id}: ${r.used} of ${r.size} used`);
  const td = element("td");
  td.append(meter);
  tr.append(td);
  return tr;
}
