// The operations console: reads the TMF APIs and the stream of committed
// records with the token it signs in with, and keeps the views live. DOM
// updates are batched once per animation frame; long lists are capped or
// virtualised, so that a national rollout does not freeze the page.

import * as worklist from "./worklist.js";
import * as access from "./access.js";
import { badge, offset } from "./draw.js";
import { startViews, takeRecord, drawViews, selectOrder } from "./views.js";

const body = document.body;
const cfg = {
  stream: body.dataset.stream,
  protocol: body.dataset.protocol,
  bearer: body.dataset.bearer,
};
const tokenKey = "ordertwin.token";
const $ = (sel) => document.querySelector(sel);

const api = {
  productOrder: "/tmf-api/productOrderingManagement/v4/productOrder",
  serviceOrder: "/tmf-api/serviceOrdering/v4/serviceOrder",
  resourceOrder: "/tmf-api/resourceOrderingManagement/v4/resourceOrder",
};

// What the page knows, fed by the APIs and the stream.
const state = {
  at: "PT0S",
  entity: new Map(),  // entity id -> its latest state (To of its last transition)
  orders: new Map(),  // product order id -> {id, description, state, items: [{id, site}]}
  itemOrder: new Map(), // product order item id -> order id
  jeopardies: new Map(), // order id -> count
  unplaced: new Map(),   // entity id -> jeopardies of an entity whose order the page does not know yet
  waves: new Map(),   // product order id -> its waves' entity ids
  selected: "",
  duplicates: 0,
  reconnects: 0,
};

// --- DOM updates, once per frame --------------------------------------------

const pending = [];   // records received since the last frame
let frameAsked = false;
let ordersDirty = false;
const changed = new Set(); // entities whose state changed since the last frame
let refetchTree = false;
const newOrders = new Set(); // orders created since the page read them

function schedule() {
  if (!frameAsked) {
    frameAsked = true;
    requestAnimationFrame(flush);
  }
}

// flush applies what arrived, within a budget of time per frame: the
// rest waits for the next frame, so that the page keeps drawing however
// fast records come.
const frameBudget = 10; // ms
const slowest = {}; // what took longest, by name (ms)
function timed(name, began) {
  slowest[name] = Math.max(slowest[name] || 0, performance.now() - began);
}
let flushLongest = 0;
let ordersRendered = 0;

// How long the frames' updates took: a histogram in whole milliseconds
// (the last bucket holds everything from a second up), so that a page
// open for days keeps a constant size. One slow frame is often the
// machine's (another process took the CPU); many slow frames are the
// page's.
const updateTimes = new Uint32Array(1001);
let updates = 0;
function noteUpdate(ms) {
  flushLongest = Math.max(flushLongest, ms);
  updateTimes[Math.min(updateTimes.length - 1, Math.floor(ms))]++;
  updates++;
}

// updatePercentile is the update time (ms, rounded up) that the given
// share of frames stayed within.
function updatePercentile(p) {
  let seen = 0;
  for (let ms = 0; ms < updateTimes.length; ms++) {
    seen += updateTimes[ms];
    if (seen >= p * updates) return ms + 1;
  }
  return 0;
}

function flush() {
  frameAsked = false;
  const began = performance.now();
  let n = 0;
  while (n < pending.length && (n % 500 !== 0 || performance.now() - began < frameBudget)) apply(pending[n++]);
  const records = pending.splice(0, n);
  if (pending.length) schedule();
  timed("apply", began);
  if (records.length) {
    // Every layout read first, then the writes: no forced layout.
    const logView = log.view(), stick = timeline.atEnd();
    $("#clock").textContent = offset(state.at);
    let b = performance.now();
    log.append(records, logView);
    timed("log", b);
    b = performance.now();
    timeline.append(records, stick);
    timed("timeline", b);
  }
  if (ordersDirty && began - ordersRendered > 250) { ordersDirty = false; ordersRendered = began; const b = performance.now(); renderOrders(); timed("orders", b); }
  else if (ordersDirty) schedule();
  for (const id of changed) tree.setState(id, state.entity.get(id));
  changed.clear();
  if (newOrders.size) throttle("orders", () => loadOrders([...newOrders]), 300);
  if (refetchTree) { refetchTree = false; throttle("tree", () => tree.load(state.selected), 500); }
  const v = performance.now();
  drawViews();
  timed("views", v);
  noteUpdate(performance.now() - began);
}

const timers = {};
// debounce runs fn ms after the last call (user input).
function debounce(key, fn, ms) {
  clearTimeout(timers[key]);
  timers[key] = setTimeout(fn, ms);
}

// throttle runs fn ms after the first call, then takes calls again (reads
// that the stream asks for, which may come every frame).
function throttle(key, fn, ms) {
  if (timers[key]) return;
  timers[key] = setTimeout(() => { delete timers[key]; fn(); }, ms);
}

// apply takes one record into the page's state.
// The kinds whose records are transitions of the entities the views
// show (a milestone's To, say, is not its item's state).
const lifecycles = new Set(["productOrder", "productOrderItem", "serviceOrder", "serviceOrderItem",
  "resourceOrder", "resourceOrderItem", "wave", "quote"]);

function apply(r) {
  state.at = r.at;
  worklist.saw(r);
  takeRecord(r);
  if (r.state && lifecycles.has(r.kind)) {
    state.entity.set(r.entity, r.state);
    changed.add(r.entity);
  }
  switch (r.kind) {
    case "productOrder":
      if (r.event === "create" && !state.orders.has(r.entity)) newOrders.add(r.entity);
      if (state.orders.has(r.entity)) { state.orders.get(r.entity).state = r.state; ordersDirty = true; }
      break;
    case "productOrderItem":
      if (state.itemOrder.has(r.entity)) ordersDirty = true;
      break;
    case "wave": {
      const order = r.entity.split("/")[0];
      if (!state.waves.has(order)) state.waves.set(order, new Set());
      state.waves.get(order).add(r.entity);
      break;
    }
    case "jeopardy":
      // A jeopardy may come before its order is read (the stream and the
      // orders' read race): it waits, by entity, until the order is known.
      if (!countJeopardies(r.entity, 1)) state.unplaced.set(r.entity, (state.unplaced.get(r.entity) || 0) + 1);
      break;
    case "serviceOrder":
    case "resourceOrder":
      if (r.event === "create" && state.selected) refetchTree = true;
      break;
  }
}

// countJeopardies adds n jeopardies of entity to its order's count, and
// tells whether the page knows that order.
function countJeopardies(entity, n) {
  const order = orderOf(entity);
  if (!order) return false;
  state.jeopardies.set(order, (state.jeopardies.get(order) || 0) + n);
  ordersDirty = true;
  return true;
}

// placeJeopardies counts the jeopardies that waited for orders just read.
function placeJeopardies() {
  for (const [entity, n] of state.unplaced) if (countJeopardies(entity, n)) state.unplaced.delete(entity);
}

// orderOf is the product order an entity belongs to, as far as the page
// knows ("" when it does not).
function orderOf(entity) {
  if (state.orders.has(entity)) return entity;
  if (state.itemOrder.has(entity)) return state.itemOrder.get(entity);
  const prefix = entity.split("/")[0];
  return state.orders.has(prefix) ? prefix : "";
}

// --- the APIs ---------------------------------------------------------------

// get reads path as JSON. A 503 (the server busy, or waiting on its
// store) is tried again after the Retry-After it gives, a few times. What
// it throws names what it read (source: the path without its query), and
// a read that succeeds takes the failures of its source off the banner
// (clearErrors). A read the caller's roles may not make is not made
// (access.js): what it throws is skipped by the banner.
async function get(path) {
  const source = path.split("?")[0];
  if (!access.mayCall("GET", path)) throw access.refused("GET", path);
  let res;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
    } catch (e) {
      throw Object.assign(new Error(path + ": " + e.message), { source }); // out of reach: no status
    }
    if (res.status !== 503 || attempt === getAttempts) break;
    const after = Number(res.headers.get("Retry-After")) || 1;
    await new Promise((done) => setTimeout(done, after * 1000));
  }
  if (res.status === 401) { signOut("the token was refused: sign in again"); throw Object.assign(new Error("401"), { status: 401 }); }
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { const e = await res.json(); msg = e.message || e.reason || msg; } catch { /* not JSON */ }
    throw Object.assign(new Error(path + ": " + msg), { status: res.status, source });
  }
  const body = await res.json();
  clearErrors(source);
  return body;
}

// getAttempts is how many times get asks before it shows a 503.
const getAttempts = 5;

// all reads a whole collection, a page at a time.
async function all(path) {
  const out = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; ; ) {
    const page = await get(path + sep + "offset=" + offset + "&limit=1000");
    out.push(...page);
    if (page.length < 1000) return out;
    offset += page.length;
  }
}

function siteOf(item) {
  const place = (item.product && item.product.place) || [];
  return place.length ? (place[0].id || place[0].name) : item.id;
}

// loadOrders reads the orders (ids: those only, else all) and their
// items' sites.
async function loadOrders(ids) {
  if (!access.may("GET /tmf-api/productOrderingManagement/v4/productOrder")) return;
  // Only what the page shows of each item: its id, state and site.
  const fields = "?fields=id,state,description,productOrderItem.id,productOrderItem.state,productOrderItem.product.place";
  try {
    let orders = [], failed;
    if (!ids) {
      orders = await all(api.productOrder + fields);
    } else {
      for (const id of ids) newOrders.delete(id);
      for (let i = 0; i < ids.length; i += 50) {
        const batch = ids.slice(i, i + 50);
        try {
          orders.push(...await get(api.productOrder + fields + "&id=" + batch.map(encodeURIComponent).join(",")));
        } catch (e) {
          // A server still busy, or out of reach (no status): the rest is
          // asked again at the next frame, so no order is left out. Any
          // other answer would be the same again: it is shown.
          if (e.status === undefined || e.status === 503) {
            for (const id of ids.slice(i)) newOrders.add(id);
            schedule();
          }
          failed = e;
          break;
        }
      }
    }
    const b = performance.now();
    for (const o of orders) {
      const items = (o.productOrderItem || []).map((it) => ({ id: it.id, site: siteOf(it) }));
      state.orders.set(o.id, { id: o.id, description: o.description || "", state: o.state, items });
      if (!state.entity.has(o.id)) state.entity.set(o.id, o.state);
      for (const it of o.productOrderItem || []) {
        state.itemOrder.set(it.id, o.id);
        if (!state.entity.has(it.id)) state.entity.set(it.id, it.state);
      }
    }
    if (orders.length) placeJeopardies();
    renderOrders();
    timed("loadOrders", b);
    if (!state.selected && orders.length) select(orders[0].id);
    if (failed) throw failed;
  } catch (e) { showError(e); }
}

// --- the orders -------------------------------------------------------------

// renderOrders shows the orders that pass the filters, the first 500:
// each order's row is made once and kept; a render changes only the
// cells whose text changed.
const orderRows = new Map(); // order id -> {tr, badge, cells}
function renderOrders() {
  const filter = $("#order-filter").value.trim().toLowerCase();
  const want = $("#order-state").value;
  const rows = [];
  for (const o of state.orders.values()) {
    const s = state.entity.get(o.id) || o.state;
    if (want && s !== want) continue;
    if (filter && !(o.id.toLowerCase().includes(filter) || o.description.toLowerCase().includes(filter))) continue;
    const count = { completed: 0, held: 0, failed: 0 };
    for (const it of o.items) {
      const st = state.entity.get(it.id);
      if (st in count) count[st]++;
    }
    let row = orderRows.get(o.id);
    if (!row) {
      const tr = document.createElement("tr");
      tr.dataset.id = o.id;
      tr.tabIndex = 0; // selected with Enter or Space too (below)
      const name = cell(o.id);
      if (o.description) {
        const d = document.createElement("span");
        d.className = "description";
        d.textContent = o.description;
        name.append(d);
      }
      const b = badge(s);
      const td = document.createElement("td");
      td.append(b);
      const cells = [cell(""), cell(""), cell(""), cell(""), cell("")];
      tr.append(name, td, ...cells);
      row = { tr, badge: b, cells };
      orderRows.set(o.id, row);
    }
    if (row.tr.dataset.state !== s) { row.tr.dataset.state = s; row.badge.dataset.state = s; row.badge.textContent = s; }
    const sel = String(o.id === state.selected);
    if (row.tr.getAttribute("aria-selected") !== sel) row.tr.setAttribute("aria-selected", sel);
    const values = [o.items.length, count.completed, count.held, count.failed, state.jeopardies.get(o.id) || 0];
    values.forEach((v, i) => { if (row.cells[i].textContent !== String(v)) row.cells[i].textContent = String(v); });
    rows.push(row.tr);
    if (rows.length >= 500) break; // the rest by filter
  }
  const tbody = $("#orders tbody");
  if (rows.length !== tbody.childElementCount || rows.some((tr, i) => tbody.children[i] !== tr)) tbody.replaceChildren(...rows);
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  return td;
}

function select(id) {
  if (state.selected !== id) tree.serviceOrders = "";
  state.selected = id;
  renderOrders();
  tree.load(id);
  selectOrder(id);
}

// --- an order's tree --------------------------------------------------------

// tree: product order → sites → service orders by wave → items → resource
// orders → items. Each node carries its entity's id; a state change
// updates the nodes of that entity only.
const tree = {
  nodes: new Map(), // entity id -> [badge elements]
  sites: [],
  shown: 100,
  order: "",          // the order shown
  serviceOrders: "",  // and its service orders' ids, as last read

  async load(id) {
    const o = state.orders.get(id);
    if (!o) return;
    $("#order-title").textContent = "Order " + id;
    document.querySelector("#order-view .hint").hidden = true;
    try {
      // The sites alone for a role that may not read service orders.
      const sos = access.may("GET /tmf-api/serviceOrdering/v4/serviceOrder")
        ? await all(api.serviceOrder + "?fields=id,state,description,serviceOrderItem&externalReference.name=" + encodeURIComponent(id))
        : [];
      const ids = sos.map((so) => so.id).join(",");
      if (this.order === id && this.serviceOrders === ids) return; // nothing new: the states come from the stream
      this.order = id;
      this.serviceOrders = ids;
      // sites: each product order item, and the service order items for it, by wave
      const bySite = new Map(o.items.map((it) => [it.id, { item: it, waves: [] }]));
      for (const so of sos) {
        if (!state.entity.has(so.id)) state.entity.set(so.id, so.state);
        const perItem = new Map();
        for (const soi of so.serviceOrderItem || []) {
          if (!state.entity.has(soi.id)) state.entity.set(soi.id, soi.state);
          const poi = soi.productOrderItem && soi.productOrderItem.id;
          if (!bySite.has(poi)) continue;
          if (!perItem.has(poi)) perItem.set(poi, []);
          perItem.get(poi).push(soi);
        }
        for (const [poi, items] of perItem) bySite.get(poi).waves.push({ so, items });
      }
      this.sites = [...bySite.values()];
      const b = performance.now();
      this.render(id);
      timed("tree", b);
      renderWaves(id);
    } catch (e) { showError(e); }
  },

  render(id) {
    const open = new Set([...document.querySelectorAll("#tree details[open]")].map((d) => d.dataset.entity));
    this.nodes.clear();
    const root = $("#tree");
    const filterInput = $("#site-filter");
    filterInput.hidden = this.sites.length < 20;
    const filter = filterInput.value.trim().toLowerCase();
    const po = this.node(id, "product order " + id, true);
    let n = 0;
    for (const s of this.sites) {
      if (filter && !s.item.site.toLowerCase().includes(filter) && !s.item.id.toLowerCase().includes(filter)) continue;
      if (n++ >= this.shown) {
        const more = document.createElement("button");
        more.className = "more";
        more.textContent = "show more sites";
        more.onclick = () => { this.shown += 200; this.render(id); };
        po.append(more);
        break;
      }
      const site = this.node(s.item.id, "site " + s.item.site + " (" + s.item.id + ")");
      site.addEventListener("toggle", () => { if (site.open && !site.dataset.filled) this.fillSite(site, s); });
      po.append(site);
      if (open.has(s.item.id)) site.open = true;
    }
    root.replaceChildren(po);
  },

  // fillSite renders a site's service orders by wave, their items and
  // resource orders, when it is first opened.
  async fillSite(el, s) {
    el.dataset.filled = "1";
    for (const w of s.waves) {
      const so = this.node(w.so.id, "service order " + w.so.id + " " + (w.so.description || ""), true);
      for (const soi of w.items) {
        const name = (soi.service && soi.service.serviceSpecification && soi.service.serviceSpecification.id) || "";
        so.append(this.leaf(soi.id, "item " + soi.id + " " + name));
      }
      el.append(so);
      if (!access.may("GET /tmf-api/resourceOrderingManagement/v4/resourceOrder")) continue;
      try {
        const ros = await get(api.resourceOrder + "?externalId=" + encodeURIComponent(w.so.id + "/" + s.item.site) + "&fields=id,name,state,orderItem");
        for (const ro of ros) {
          if (!state.entity.has(ro.id)) state.entity.set(ro.id, ro.state);
          const rn = this.node(ro.id, "resource order " + ro.id + " " + (ro.name || ""));
          for (const roi of ro.orderItem || []) {
            if (!state.entity.has(roi.id)) state.entity.set(roi.id, roi.state);
            const spec = (roi.resourceSpecification && roi.resourceSpecification.name) || "";
            const value = (roi.resource && roi.resource.value) || "";
            rn.append(this.leaf(roi.id, "item " + roi.id + " " + spec + (value ? " — " + value : "")));
          }
          so.append(rn);
        }
      } catch (e) { showError(e); }
    }
  },

  node(id, label, open) {
    const d = document.createElement("details");
    d.dataset.entity = id;
    if (open) d.open = true;
    const sum = document.createElement("summary");
    sum.append(label + " ", this.badge(id));
    d.append(sum);
    return d;
  },

  leaf(id, label) {
    const div = document.createElement("div");
    div.className = "leaf";
    div.dataset.entity = id;
    div.append(label + " ", this.badge(id));
    return div;
  },

  badge(id) {
    const b = badge(state.entity.get(id));
    if (!this.nodes.has(id)) this.nodes.set(id, []);
    this.nodes.get(id).push(b);
    return b;
  },

  setState(id, s) {
    for (const b of this.nodes.get(id) || []) { b.dataset.state = s; b.textContent = s; }
    const w = waveBadges.get(id);
    if (w) { w.dataset.state = s; w.textContent = s; }
  },
};

const waveBadges = new Map();
function renderWaves(id) {
  waveBadges.clear();
  const chips = [];
  for (const entity of state.waves.get(id) || []) {
    const s = state.entity.get(entity);
    const chip = document.createElement("span");
    chip.className = "wave";
    chip.dataset.entity = entity;
    const b = badge(s);
    waveBadges.set(entity, b);
    chip.append(entity.slice(id.length + 1) + " ", b);
    chips.push(chip);
  }
  $("#waves").replaceChildren(...chips);
}

// --- the timeline -----------------------------------------------------------

// The milestones of the rollout: orders, waves, service orders,
// jeopardies; the latest 2,000.
const timelineCap = 1000;
const timeline = {
  kinds: new Set(["productOrder", "wave", "serviceOrder", "jeopardy", "quote"]),
  // append adds the records' milestones; stick (read before the frame's
  // first DOM write) says whether the list was scrolled to its end.
  append(records, stick) {
    const ol = $("#timeline");
    const shown = [];
    let waves = false;
    for (const r of records) {
      if (!this.kinds.has(r.kind)) continue;
      shown.push(r);
      if (r.kind === "wave") waves = true;
    }
    const frag = document.createDocumentFragment();
    for (const r of shown.slice(-timelineCap)) {
      const li = document.createElement("li");
      li.dataset.entity = r.entity;
      li.dataset.state = r.state || "";
      li.textContent = offset(r.at) + "  " + r.kind + " " + (r.name || r.entity) + "  " +
        (r.from ? r.from + " → " : "") + (r.state || "") + (r.reason ? " — " + r.reason : "");
      frag.append(li);
    }
    ol.append(frag);
    for (let extra = ol.childElementCount - timelineCap; extra > 0; extra--) ol.firstElementChild.remove();
    if (stick && shown.length) ol.scrollTop = 1e9;
    if (waves && state.selected) renderWaves(state.selected);
  },
  atEnd() {
    const ol = $("#timeline");
    return ol.scrollTop + ol.clientHeight >= ol.scrollHeight - 4;
  },
};

// --- the event log: every record, searchable, virtualised -------------------

const rowHeight = 20;
const logCap = 100000;
const log = {
  records: [],   // the latest logCap
  shown: [],     // indexes into records that match the search
  search: "",
  // view is where the log is scrolled: read before the frame's first DOM
  // write, so that rendering forces no layout.
  view() {
    const box = $("#log");
    return { top: box.scrollTop, height: box.clientHeight, atEnd: box.scrollTop + box.clientHeight >= this.shown.length * rowHeight - rowHeight * 2 };
  },
  append(records, view) {
    for (const r of records) {
      this.records.push(r);
      if (this.matches(r)) this.shown.push(this.records.length - 1);
    }
    if (this.records.length > logCap * 1.1) {
      const cut = this.records.length - logCap;
      this.records.splice(0, cut);
      this.shown = this.shown.filter((i) => i >= cut).map((i) => i - cut);
    }
    this.count();
    if (view.atEnd) view.top = Math.max(0, this.shown.length * rowHeight - view.height);
    this.render(view);
  },
  text(r) {
    return (r.shard === undefined ? "" : r.shard + ":") + r.seq + " " + offset(r.at) + " " + r.kind + " " + r.entity + " " + (r.name || "") + " " +
      (r.from || "") + " → " + (r.state || "") + " " + (r.event || "") + " " + (r.system || "") + " " + (r.reason || "");
  },
  matches(r) { return !this.search || this.text(r).toLowerCase().includes(this.search); },
  count() {
    $("#log-count").textContent = this.shown.length === this.records.length ? String(this.records.length) : this.shown.length + " of " + this.records.length;
  },
  filter(text) {
    this.search = text.trim().toLowerCase();
    this.shown = [];
    this.records.forEach((r, i) => { if (this.matches(r)) this.shown.push(i); });
    this.count();
    const view = this.view();
    view.top = Math.min(view.top, Math.max(0, this.shown.length * rowHeight - view.height));
    this.render(view);
  },
  render(view) {
    const box = $("#log");
    $("#log-spacer").style.height = this.shown.length * rowHeight + "px";
    if (box.scrollTop !== view.top) box.scrollTop = view.top;
    const first = Math.max(0, Math.floor(view.top / rowHeight) - 5);
    const last = Math.min(this.shown.length, first + Math.ceil(view.height / rowHeight) + 10);
    const rows = [];
    for (let i = first; i < last; i++) {
      const r = this.records[this.shown[i]];
      const div = document.createElement("div");
      div.textContent = this.text(r);
      div.title = r.time;
      rows.push(div);
    }
    $("#log-rows").style.top = first * rowHeight + "px";
    $("#log-rows").replaceChildren(...rows);
  },
};

// --- the stream -------------------------------------------------------------

// One stream of committed records a shard: a server of one store has one
// (its shard null); an instance of a deployment of several shards (serve
// --shards) has one per shard, each numbered from 1 on its own, read side
// by side, each resuming from its own last seq.
const shards = Number(body.dataset.shards) || 0;
const streams = Array.from({ length: Math.max(1, shards) }, (_, k) => ({
  shard: shards ? k : null,
  socket: null,
  backoff: 250,
  last: 0,   // the stream's cursor: the last seq covered
  head: 0,
  seqs: [],  // every seq received, in order (the page's own check)
}));

function streamURL(s, after) {
  const q = [];
  if (s.shard !== null) q.push("shard=" + s.shard);
  if (after !== undefined) q.push("after=" + after);
  return cfg.stream + (q.length ? "?" + q.join("&") : "");
}

function connect() {
  for (const s of streams) openStream(s);
}

function openStream(s) {
  if (!token()) return;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + streamURL(s, s.last),
    [cfg.protocol, cfg.bearer + token()]);
  s.socket = ws;
  ws.onopen = () => {
    s.backoff = 250;
    if (streams.every((o) => o.socket && o.socket.readyState === WebSocket.OPEN)) status("live");
  };
  let heard = false; // this socket's first message came
  ws.onmessage = (ev) => {
    heard = true;
    const b = performance.now();
    const m = JSON.parse(ev.data);
    timed("parse", b);
    if (!begun) begin(m.roles);
    for (const r of m.records) {
      if (r.seq <= s.last) { state.duplicates++; continue; }
      s.seqs.push(r.seq);
      if (s.shard !== null) r.shard = s.shard;
      pending.push(r);
    }
    s.last = Math.max(s.last, m.last);
    s.head = m.head;
    schedule();
  };
  ws.onclose = (ev) => {
    if (s.socket !== ws) return;
    s.socket = null;
    if (!token()) return;
    // The server ends a stream when its token expires (1008): signed out.
    if (ev.code === 1008) { signOut(ev.reason || "the token was refused: sign in again"); return; }
    // A socket refused at its handshake (a token expired or unknown to
    // a restarted server) says nothing: ask why, and reconnect meanwhile.
    if (!heard) whyRefused(s);
    status("reconnecting");
    state.reconnects++;
    setTimeout(() => openStream(s), s.backoff);
    s.backoff = Math.min(s.backoff * 2, 10000);
  };
}

// closeStreams closes every stream, to open none again (signed out).
function closeStreams() {
  for (const s of streams) {
    if (s.socket) { const ws = s.socket; s.socket = null; ws.close(); }
  }
}

// whyRefused asks the stream's route over HTTP why a socket closed before
// its first message (at the first connection or any reconnection): a token refused (401) signs out, a refusal of the
// stream (403) is shown; otherwise (a plain GET is a 400, the stream being a
// WebSocket) the page reconnects as after any drop.
async function whyRefused(s) {
  let res;
  try {
    res = await fetch(streamURL(s), { headers: { Authorization: "Bearer " + token() } });
  } catch { return; } // out of reach: reconnecting says so
  if (res.status === 401) { signOut("the token was refused: sign in again"); return; }
  if (res.status === 403) {
    let msg = "403 " + res.statusText;
    try { const e = await res.json(); msg = e.message || msg; } catch { /* not JSON */ }
    showError({ source: cfg.stream, message: cfg.stream + ": " + msg });
  }
}

function status(s) {
  const el = $("#status");
  el.dataset.state = s;
  el.textContent = { live: "live", reconnecting: "reconnecting…", signedOut: "signed out" }[s] || s;
}

// --- signing in -------------------------------------------------------------

function token() { return sessionStorage.getItem(tokenKey) || ""; }

// signIn keeps the token and opens the stream, whose first message says
// the caller's roles: the reads begin then (begin), with those the roles
// may make.
let begun = false;
function signIn(t) {
  sessionStorage.setItem(tokenKey, t);
  $("#signin").hidden = true;
  $("#signout").hidden = false;
  hideError();
  begun = false;
  connect();
}

function begin(roles) {
  begun = true;
  access.learn(roles);
  // The stream sends jeopardies to those who read service orders
  // (ui/access.go, Sees): to others the column would say 0 for ever.
  $("#orders").dataset.jeopardies = access.may("GET /tmf-api/serviceOrdering/v4/serviceOrder") ? "shown" : "hidden";
  startViews({ get, all, showError, stateOf: (id) => state.entity.get(id), authorization: () => ({ Authorization: "Bearer " + token() }) });
  loadOrders();
  worklist.start(token, get);
}

// A control or the worklist had its token refused (401).
document.addEventListener("ordertwin:refused", () => {
  if (token()) signOut("the token was refused: sign in again");
});

function signOut(why) {
  sessionStorage.removeItem(tokenKey);
  access.forget();
  closeStreams();
  $("#signin").hidden = false;
  $("#signout").hidden = true;
  status("signedOut");
  if (why) showError(why);
}

// The banner shows what went wrong and is still wrong: a failed read until
// a read of the same source (the same path, or one above or below it)
// succeeds, anything else until the next sign-in.
const failures = new Map(); // source ("" for no read) -> message

function showError(e) {
  if (e && e.skipped) return;
  failures.set((e && e.source) || "", String(e && e.message ? e.message : e));
  drawErrors();
}

function clearErrors(source) {
  let cleared = false;
  for (const s of failures.keys()) {
    if (s && (s === source || s.startsWith(source + "/") || source.startsWith(s + "/"))) {
      failures.delete(s);
      cleared = true;
    }
  }
  if (cleared) drawErrors();
}

function hideError() {
  failures.clear();
  drawErrors();
}

function drawErrors() {
  const el = $("#error");
  el.textContent = [...failures.values()].join(" · ");
  el.hidden = failures.size === 0;
}

$("#signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const t = $("#token").value.trim();
  $("#token").value = "";
  if (t) signIn(t);
});
// Signing out forgets the token and what the page read with it.
$("#signout").addEventListener("click", () => { signOut(""); location.reload(); });
$("#order-filter").addEventListener("input", () => renderOrders());
$("#order-state").addEventListener("change", () => renderOrders());
$("#orders tbody").addEventListener("click", (ev) => {
  const tr = ev.target.closest("tr");
  if (tr) select(tr.dataset.id);
});
$("#orders tbody").addEventListener("keydown", (ev) => {
  const tr = ev.target.closest("tr");
  if (!tr || (ev.key !== "Enter" && ev.key !== " ")) return;
  ev.preventDefault();
  select(tr.dataset.id);
});
$("#site-filter").addEventListener("input", () => debounce("sites", () => { tree.shown = 100; tree.render(state.selected); }, 200));
$("#log-search").addEventListener("input", (ev) => debounce("search", () => log.filter(ev.target.value), 150));
let logScroll = false;
$("#log").addEventListener("scroll", () => {
  if (logScroll) return;
  logScroll = true;
  requestAnimationFrame(() => { logScroll = false; log.render(log.view()); });
});

// For tests and the curious: what the page received, and a way to drop
// its socket as a network would.
// The longest task the page ran (a frame it could not draw), from the
// browser's long-task timing where it has it.
let longest = 0, longTasks = 0;
if (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes.includes("longtask")) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { longTasks++; longest = Math.max(longest, e.duration); }
  }).observe({ entryTypes: ["longtask"] });
}

window.ordertwin = {
  frames: () => ({
    longest, longTasks, flushLongest, pending: pending.length, slowest,
    updates, updateMedian: updatePercentile(0.5), update90: updatePercentile(0.9), update99: updatePercentile(0.99),
  }),
  // stats sums over the streams: one a shard.
  stats: () => ({
    streams: streams.length,
    last: streams.reduce((n, s) => n + s.last, 0),
    head: streams.reduce((n, s) => n + s.head, 0),
    received: streams.reduce((n, s) => n + s.seqs.length, 0),
    duplicates: state.duplicates, reconnects: state.reconnects,
  }),
  // streams are each stream's own figures.
  streams: () => streams.map((s) => ({ shard: s.shard, last: s.last, head: s.head, received: s.seqs.length,
    live: s.socket !== null && s.socket.readyState === WebSocket.OPEN })),
  // seqs are the seqs received on shard k's stream (the only one's).
  seqs: (k = 0) => streams[k].seqs.slice(),
  // dropSocket drops shard k's stream, or every one.
  dropSocket: (k) => { for (const s of k === undefined ? streams : [streams[k]]) if (s.socket) s.socket.close(); },
};

if (token()) signIn(token());
