// The operations console: reads the TMF APIs and the stream of committed
// records with the token it signs in with, and keeps the views live. DOM
// updates are batched once per animation frame; long lists are capped or
// virtualised, so that a national rollout does not freeze the page.

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
  last: 0,            // the stream's cursor: the last seq covered
  head: 0,
  at: "PT0S",
  entity: new Map(),  // entity id -> its latest state (To of its last transition)
  orders: new Map(),  // product order id -> {id, description, state, items: [{id, site}]}
  itemOrder: new Map(), // product order item id -> order id
  jeopardies: new Map(), // order id -> count
  selected: "",
  seqs: [],           // every seq received, in order (the page's own check)
  duplicates: 0,
  reconnects: 0,
};

// --- DOM updates, once per frame --------------------------------------------

const pending = [];   // records received since the last frame
let frameAsked = false;
let ordersDirty = false;
const changed = new Set(); // entities whose state changed since the last frame
let refetchOrders = false, refetchTree = false;

function schedule() {
  if (!frameAsked) {
    frameAsked = true;
    requestAnimationFrame(flush);
  }
}

function flush() {
  frameAsked = false;
  const records = pending.splice(0);
  for (const r of records) apply(r);
  if (records.length) {
    $("#clock").textContent = "T+" + state.at.replace(/^P/, "");
    log.append(records);
    timeline.append(records);
  }
  if (ordersDirty) { ordersDirty = false; renderOrders(); }
  for (const id of changed) tree.setState(id, state.entity.get(id));
  changed.clear();
  if (refetchOrders) { refetchOrders = false; debounce("orders", loadOrders, 500); }
  if (refetchTree) { refetchTree = false; debounce("tree", () => tree.load(state.selected), 500); }
}

const timers = {};
function debounce(key, fn, ms) {
  clearTimeout(timers[key]);
  timers[key] = setTimeout(fn, ms);
}

// apply takes one record into the page's state.
function apply(r) {
  state.at = r.at;
  if (r.to) {
    state.entity.set(r.entity, r.to);
    changed.add(r.entity);
  }
  switch (r.kind) {
    case "productOrder":
      if (r.event === "create" && !state.orders.has(r.entity)) refetchOrders = true;
      if (state.orders.has(r.entity)) { state.orders.get(r.entity).state = r.to; ordersDirty = true; }
      break;
    case "productOrderItem":
      if (state.itemOrder.has(r.entity)) ordersDirty = true;
      break;
    case "jeopardy": {
      const order = orderOf(r.entity);
      if (order) { state.jeopardies.set(order, (state.jeopardies.get(order) || 0) + 1); ordersDirty = true; }
      break;
    }
    case "serviceOrder":
    case "resourceOrder":
      if (r.event === "create" && state.selected) refetchTree = true;
      break;
  }
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

async function get(path) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (res.status === 401) { signOut("the token was refused: sign in again"); throw new Error("401"); }
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { const e = await res.json(); msg = e.message || e.reason || msg; } catch { /* not JSON */ }
    throw new Error(path + ": " + msg);
  }
  return res.json();
}

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

async function loadOrders() {
  try {
    const orders = await all(api.productOrder + "?fields=id,state,description,productOrderItem");
    for (const o of orders) {
      const items = (o.productOrderItem || []).map((it) => ({ id: it.id, site: siteOf(it) }));
      state.orders.set(o.id, { id: o.id, description: o.description || "", state: o.state, items });
      if (!state.entity.has(o.id)) state.entity.set(o.id, o.state);
      for (const it of o.productOrderItem || []) {
        state.itemOrder.set(it.id, o.id);
        if (!state.entity.has(it.id)) state.entity.set(it.id, it.state);
      }
    }
    renderOrders();
    if (!state.selected && orders.length) select(orders[0].id);
  } catch (e) { showError(e); }
}

// --- the orders -------------------------------------------------------------

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
    const tr = document.createElement("tr");
    tr.dataset.id = o.id;
    tr.dataset.state = s;
    tr.setAttribute("aria-selected", String(o.id === state.selected));
    const name = cell(o.id);
    if (o.description) {
      const d = document.createElement("span");
      d.className = "description";
      d.textContent = o.description;
      name.append(d);
    }
    tr.append(name, stateCell(s), cell(o.items.length),
      cell(count.completed), cell(count.held), cell(count.failed), cell(state.jeopardies.get(o.id) || 0));
    rows.push(tr);
    if (rows.length >= 500) break; // the rest by filter
  }
  $("#orders tbody").replaceChildren(...rows);
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  return td;
}

function stateCell(s) {
  const td = document.createElement("td");
  td.append(badge(s));
  return td;
}

function badge(s) {
  const span = document.createElement("span");
  span.className = "state";
  span.dataset.state = s || "";
  span.textContent = s || "…";
  return span;
}

function select(id) {
  state.selected = id;
  renderOrders();
  tree.load(id);
}

// --- an order's tree --------------------------------------------------------

// tree: product order → sites → service orders by wave → items → resource
// orders → items. Each node carries its entity's id; a state change
// updates the nodes of that entity only.
const tree = {
  nodes: new Map(), // entity id -> [badge elements]
  sites: [],
  shown: 100,

  async load(id) {
    const o = state.orders.get(id);
    if (!o) return;
    $("#order-title").textContent = "Order " + id;
    document.querySelector("#order-view .hint").hidden = true;
    try {
      const sos = (await all(api.serviceOrder + "?fields=id,state,description,externalReference,serviceOrderItem"))
        .filter((so) => (so.externalReference || []).some((r) => r.name === id));
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
      this.render(id);
      renderWaves(id);
    } catch (e) { showError(e); }
  },

  render(id) {
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
      site.addEventListener("toggle", () => { if (site.open && !site.dataset.filled) this.fillSite(site, s); }, { once: false });
      po.append(site);
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
  for (const [entity, s] of state.entity) {
    if (!entity.startsWith(id + "/")) continue;
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
const timeline = {
  kinds: new Set(["productOrder", "wave", "serviceOrder", "jeopardy", "quote"]),
  append(records) {
    const ol = $("#timeline");
    const frag = document.createDocumentFragment();
    let waves = false;
    for (const r of records) {
      if (!this.kinds.has(r.kind)) continue;
      const li = document.createElement("li");
      li.dataset.entity = r.entity;
      li.dataset.state = r.to || "";
      li.textContent = "T+" + r.at.replace(/^P/, "") + "  " + r.kind + " " + (r.name || r.entity) + "  " +
        (r.from ? r.from + " → " : "") + (r.to || "") + (r.reason ? " — " + r.reason : "");
      frag.append(li);
      if (r.kind === "wave") waves = true;
    }
    const stick = ol.scrollTop + ol.clientHeight >= ol.scrollHeight - 4;
    ol.append(frag);
    while (ol.childElementCount > 2000) ol.firstElementChild.remove();
    if (stick) ol.scrollTop = ol.scrollHeight;
    if (waves && state.selected) renderWaves(state.selected);
  },
};

// --- the event log: every record, searchable, virtualised -------------------

const rowHeight = 20;
const log = {
  records: [],   // the latest 100,000
  shown: [],     // indexes into records that match the search
  search: "",
  append(records) {
    for (const r of records) {
      r.text = (r.seq + " T+" + r.at.replace(/^P/, "") + " " + r.kind + " " + r.entity + " " + (r.name || "") + " " +
        (r.from || "") + " → " + (r.to || "") + " " + (r.event || "") + " " + (r.system || "") + " " + (r.reason || ""));
      this.records.push(r);
      if (this.matches(r)) this.shown.push(this.records.length - 1);
    }
    if (this.records.length > 110000) {
      const cut = this.records.length - 100000;
      this.records.splice(0, cut);
      this.shown = this.shown.filter((i) => i >= cut).map((i) => i - cut);
    }
    $("#log-count").textContent = this.shown.length === this.records.length ? String(this.records.length) : this.shown.length + " of " + this.records.length;
    this.render(true);
  },
  matches(r) { return !this.search || r.text.toLowerCase().includes(this.search); },
  filter(text) {
    this.search = text.trim().toLowerCase();
    this.shown = [];
    this.records.forEach((r, i) => { if (this.matches(r)) this.shown.push(i); });
    $("#log-count").textContent = this.shown.length + " of " + this.records.length;
    this.render(false);
  },
  render(follow) {
    const box = $("#log");
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - rowHeight * 2;
    $("#log-spacer").style.height = this.shown.length * rowHeight + "px";
    if (follow && atEnd) box.scrollTop = box.scrollHeight;
    const first = Math.max(0, Math.floor(box.scrollTop / rowHeight) - 5);
    const last = Math.min(this.shown.length, first + Math.ceil(box.clientHeight / rowHeight) + 10);
    const rows = [];
    for (let i = first; i < last; i++) {
      const r = this.records[this.shown[i]];
      const div = document.createElement("div");
      div.textContent = r.text;
      div.title = r.time;
      rows.push(div);
    }
    $("#log-rows").style.top = first * rowHeight + "px";
    $("#log-rows").replaceChildren(...rows);
  },
};

// --- the stream -------------------------------------------------------------

let socket = null;
let backoff = 250;

function connect() {
  if (!token()) return;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + cfg.stream + "?after=" + state.last;
  const ws = new WebSocket(url, [cfg.protocol, cfg.bearer + token()]);
  socket = ws;
  ws.onopen = () => { backoff = 250; status("live"); };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    for (const r of m.records) {
      if (r.seq <= state.last) { state.duplicates++; continue; }
      state.seqs.push(r.seq);
      pending.push(r);
    }
    state.last = Math.max(state.last, m.last);
    state.head = m.head;
    schedule();
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    if (!token()) return;
    status("reconnecting");
    state.reconnects++;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

function status(s) {
  const el = $("#status");
  el.dataset.state = s;
  el.textContent = { live: "live", reconnecting: "reconnecting…", signedOut: "signed out" }[s] || s;
}

// --- signing in -------------------------------------------------------------

function token() { return sessionStorage.getItem(tokenKey) || ""; }

function signIn(t) {
  sessionStorage.setItem(tokenKey, t);
  $("#signin").hidden = true;
  $("#signout").hidden = false;
  hideError();
  loadOrders();
  connect();
}

function signOut(why) {
  sessionStorage.removeItem(tokenKey);
  if (socket) { const s = socket; socket = null; s.close(); }
  $("#signin").hidden = false;
  $("#signout").hidden = true;
  status("signedOut");
  if (why) showError(why);
}

function showError(e) {
  const el = $("#error");
  el.textContent = String(e && e.message ? e.message : e);
  el.hidden = false;
}

function hideError() { $("#error").hidden = true; }

$("#signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const t = $("#token").value.trim();
  $("#token").value = "";
  if (t) signIn(t);
});
$("#signout").addEventListener("click", () => signOut(""));
$("#order-filter").addEventListener("input", () => renderOrders());
$("#order-state").addEventListener("change", () => renderOrders());
$("#orders tbody").addEventListener("click", (ev) => {
  const tr = ev.target.closest("tr");
  if (tr) select(tr.dataset.id);
});
$("#site-filter").addEventListener("input", () => debounce("sites", () => { tree.shown = 100; tree.render(state.selected); }, 200));
$("#log-search").addEventListener("input", (ev) => debounce("search", () => log.filter(ev.target.value), 150));
$("#log").addEventListener("scroll", () => { if (!frameAsked) requestAnimationFrame(() => log.render(false)); });

// For tests and the curious: what the page received, and a way to drop
// its socket as a network would.
window.ordertwin = {
  stats: () => ({ last: state.last, head: state.head, received: state.seqs.length, duplicates: state.duplicates, reconnects: state.reconnects }),
  seqs: () => state.seqs.slice(),
  dropSocket: () => { if (socket) socket.close(); },
};

if (token()) signIn(token());
