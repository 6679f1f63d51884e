// The rollout plan of an order: its waves with their targets, and its
// sites with their wave, as the order's quote has them (TMF648), and when
// each wave and site started and ended, as the stream tells.

import { seconds } from "./draw.js";
import { may } from "./access.js";

const api = {
  productOrder: "/tmf-api/productOrderingManagement/v4/productOrder/",
  quote: "/tmf-api/quoteManagement/v4/quote/",
};

const finals = new Set(["completed", "failed", "cancelled", "partial"]);

// spans: entity (a wave "PO-…/Pilot" or a product order item) -> when it
// started, was first held and ended (seconds from T+0; NaN while not
// known), and its state.
export const spans = new Map();
let latest = "PT0S"; // the virtual time of the last record taken

// take notes the transitions of waves and sites, and the time of every
// record; it answers whether the record moved the clock or a span.
export function take(r) {
  const moved = r.at !== latest;
  latest = r.at;
  if (r.kind !== "wave" && r.kind !== "productOrderItem") return moved;
  const at = seconds(r.at);
  let s = spans.get(r.entity);
  if (!s) { s = { start: NaN, end: NaN, heldAt: NaN, state: "" }; spans.set(r.entity, s); }
  s.state = r.state;
  const started = r.state === "inProgress" || r.state === "released";
  if (started && Number.isNaN(s.start)) s.start = at;
  if (r.state === "held" && Number.isNaN(s.heldAt)) s.heldAt = at;
  s.end = finals.has(r.state) ? at : NaN;
  return true;
}

// now is the virtual time of the latest record (seconds from T+0).
export function now() { return seconds(latest); }

const plans = new Map(); // order id -> its rollout plan (a promise)

// rolloutOf reads the rollout plan of an order once: {order, waves:
// [{id, name, serviceOrder, target}], sites: [{item, code, name, wave}]}.
export function rolloutOf(order, get) {
  if (!plans.has(order)) {
    const p = readRollout(order, get);
    plans.set(order, p);
    p.catch(() => plans.delete(order)); // asked again next time
  }
  return plans.get(order);
}

async function readRollout(order, get) {
  const po = await get(api.productOrder + encodeURIComponent(order) + "?fields=id,productOrderItem");
  const items = po.productOrderItem || [];
  const quoteId = items.map((it) => it.quoteItem && it.quoteItem.quoteId).find(Boolean);
  // A role that may not read quotes (partner) sees the sites without their waves.
  const quote = quoteId && may("GET /tmf-api/quoteManagement/v4/quote/{id}") ? await get(api.quote + encodeURIComponent(quoteId)) : { wave: [], quoteItem: [] };
  const waveOfSite = new Map();
  for (const qi of quote.quoteItem || []) {
    const wave = ((qi.product && qi.product.productCharacteristic) || []).find((c) => c.name === "wave");
    if (wave) waveOfSite.set(qi.id, wave.value);
  }
  const waves = (quote.wave || []).map((w) => ({ id: order + "/" + w.name, name: w.name, serviceOrder: w.serviceOrder, target: seconds(w.target) }));
  const sites = items.map((it) => {
    const place = ((it.product && it.product.place) || [])[0] || {};
    const code = (it.quoteItem && it.quoteItem.id) || place.id || it.id;
    return { item: it.id, code, name: place.name || code, wave: waveOfSite.get(code) || "" };
  });
  return { order, waves, sites };
}
