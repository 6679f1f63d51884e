// The console's controls: the clock (pause, resume, step, scale), a
// library scenario started, a fault injected into the twin, a change to a
// running order, an order placed from a form. Each goes through the API
// a program calls (docs/api.md, "Controls"); the page shows its answer,
// or its error as the server words it. Each control is shown to the roles
// that may call the routes behind it (access.js), once the stream has said
// the caller's roles.

import * as access from "./access.js";
import { offset } from "./draw.js";

const tokenKey = "ordertwin.token";
const clockPath = "/ordertwin/v1/clock";
const ordering = "/tmf-api/productOrderingManagement/v4";
const quotes = "/tmf-api/quoteManagement/v4/quote";

export function signedIn() { return Boolean(sessionStorage.getItem(tokenKey)); }

// request calls the API with the page's token; a TMF Error answer throws
// with its message. A call the caller's roles may not make is not made.
export async function request(method, url, body) {
  if (!access.mayCall(method, url)) throw access.refused(method, url);
  const init = { method, headers: { Authorization: "Bearer " + (sessionStorage.getItem(tokenKey) || "") } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let v = null;
  try { v = text ? JSON.parse(text) : null; } catch { v = null; }
  if (res.status === 401) refused();
  if (!res.ok) {
    const e = new Error(`${method} ${url}: ${res.status} ${v && v.message ? v.message : text}`);
    e.status = res.status;
    throw e;
  }
  return v;
}

// refused tells the page that the server refused its token (401): it
// signs out (console.js).
export function refused() {
  document.dispatchEvent(new Event("ordertwin:refused"));
}

export function el(name, attrs = {}) {
  const e = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// days is seconds from T+0 as days, to a tenth.
export function days(s) { return `T+${(s / 86400).toFixed(1)}d`; }

const faultKinds = ["transient", "hard", "exhausted", "down", "latency", "slaBreach", "approvalReject", "creditRefuse",
  "lostCPE", "damagedCPE", "ztpBootFailure", "tokenExpiry"];
const systems = ["access", "vlan", "bng", "ipam", "ztp", "logistics", "nms", "qualification", "credit", "workflow", "billing"];
const options = (xs) => xs.map((x) => `<option>${x}</option>`).join("");

const view = el("section", { id: "controls-view", "aria-labelledby": "controls-title" });
view.innerHTML = `
  <h2 id="controls-title">Controls</h2>
  <div class="controls-row" id="clock-controls">
    <strong>Clock</strong>
    <span id="clock-state" class="state" data-state="">—</span>
    <span id="clock-time">—</span>
    <span id="clock-next" class="muted"></span>
    <button type="button" id="clock-pause">Pause</button>
    <button type="button" id="clock-resume">Resume</button>
    <button type="button" id="clock-step" title="advance to the next timer due">Step</button>
    <form id="clock-scale-form"><label>scale <input id="clock-scale" type="number" min="0.001" step="any" aria-label="virtual seconds per second"></label>
      <button type="submit">Set</button></form>
  </div>
  <form class="controls-row" id="run-form">
    <strong>Start</strong>
    <select id="run-scenario" aria-label="scenario"></select>
    <label id="run-faults-label"><input type="checkbox" id="run-faults"> with its faults</label>
    <button type="submit">Start scenario</button>
  </form>
  <form class="controls-row" id="fault-form">
    <strong>Fault</strong>
    <input id="fault-name" placeholder="name" required aria-label="fault name">
    <select id="fault-kind" aria-label="kind">${options(faultKinds)}</select>
    <select id="fault-system" aria-label="system"><option value="">any system</option>${options(systems)}</select>
    <input id="fault-site" placeholder="site" aria-label="site" size="6">
    <input id="fault-area" placeholder="area / exchange" aria-label="area" size="10">
    <input id="fault-until" placeholder="for (PT6H)" aria-label="for how long" size="8">
    <input id="fault-probability" type="number" min="0" max="1" step="0.05" placeholder="p" aria-label="probability">
    <input id="fault-factor" type="number" min="0" step="0.5" placeholder="factor" aria-label="latency factor">
    <button type="submit">Inject</button>
    <span id="fault-scope" class="muted" aria-live="polite"></span>
  </form>
  <div class="controls-row" id="fault-rules" aria-label="the twin's fault rules"></div>
  <form class="controls-row" id="change-form">
    <strong>Change</strong>
    <input id="change-order" placeholder="order (the selected one)" aria-label="product order" size="14">
    <select id="change-action" aria-label="change"></select>
    <input id="change-site" placeholder="site" aria-label="site" size="6">
    <input id="change-speed" placeholder="speed (1G-sym)" aria-label="speed" size="10">
    <input id="change-address" placeholder="address (add)" aria-label="address">
    <input id="change-wave" placeholder="wave (add)" aria-label="wave" size="8">
    <button type="submit">Apply</button>
  </form>
  <details id="place">
    <summary><strong>Place an order</strong> (TMF648 quote, then TMF622 order)</summary>
    <form id="place-form">
      <div class="controls-row" id="place-prefill"><label>from <select id="place-from" aria-label="prefill from scenario"></select></label>
        <button type="button" id="place-fill">Fill</button></div>
      <textarea id="place-quote" rows="10" aria-label="quote (TMF648 body)" spellcheck="false"></textarea>
      <button type="submit">Place</button>
    </form>
  </details>
  <p id="controls-answer" role="status" class="muted"></p>`;
document.querySelector("main").prepend(view);

const $ = (sel) => view.querySelector(sel);

function said(text, failed) {
  const p = $("#controls-answer");
  p.textContent = text;
  p.dataset.failed = failed ? "true" : "false";
}

async function act(what, fn) {
  try {
    said(what + " …");
    const v = await fn();
    said(what + ": " + (typeof v === "string" ? v : "done"));
    return v;
  } catch (e) {
    said(e.message, true);
    return null;
  }
}

// --- the clock ---------------------------------------------------------------

let clock = null;
function showClock(c) {
  clock = c;
  const s = $("#clock-state");
  s.dataset.state = c.state;
  s.textContent = c.state;
  $("#clock-time").textContent = `${offset(c.virtualTime)} (engine ${offset(c.engineTime)}) at ${c.scale}×`;
  $("#clock-next").textContent = c.nextDue ? `next due ${offset(c.nextDue)}` : "nothing due";
  if (document.activeElement !== $("#clock-scale")) $("#clock-scale").value = c.scale;
}

let clockTimer = 0, clockReads = 0;
async function readClock() {
  clearTimeout(clockTimer);
  if (!signedIn() || !access.may("GET " + clockPath)) return;
  try {
    showClock(await request("GET", clockPath));
    clockReads++;
  } catch (e) {
    // Not read: the state shown last may be wrong now.
    $("#clock-state").dataset.state = "unknown";
    $("#clock-state").textContent = "not read";
    $("#clock-time").textContent = e.message;
  }
  clockTimer = setTimeout(readClock, 1000);
}

const clockChange = (what, body) => act(what, async () => {
  const c = await request("PATCH", clockPath, body);
  showClock(c);
  return `${c.state} at ${c.virtualTime}`;
});
$("#clock-pause").addEventListener("click", () => clockChange("pause", { state: "paused" }));
$("#clock-resume").addEventListener("click", () => clockChange("resume", { state: "running" }));
$("#clock-step").addEventListener("click", () => act("step", async () => {
  const c = await request("POST", clockPath + "/step");
  showClock(c);
  return `at ${c.virtualTime}`;
}));
$("#clock-scale-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  clockChange("scale", { scale: Number($("#clock-scale").value) });
});

// --- scenarios, faults -------------------------------------------------------

let library = [];
async function loadLibrary() {
  if (library.length || !signedIn() || !access.may("GET /ordertwin/v1/scenario")) return;
  try { library = await request("GET", "/ordertwin/v1/scenario"); } catch { return; }
  // A scenario of another network than the twin's cannot be started here
  // (409); its quote may still prefill the form.
  const network = document.body.dataset.network;
  const here = library.filter((s) => !network || !s.network || s.network === network);
  for (const [sel, list] of [[$("#run-scenario"), here], [$("#place-from"), library]]) {
    for (const s of list) {
      const o = el("option", { value: s.id });
      o.textContent = s.id;
      sel.append(o);
    }
  }
}

$("#run-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act("start " + $("#run-scenario").value, async () => {
    const faults = $("#run-faults").checked && !$("#run-faults-label").hidden;
    const run = await request("POST", "/ordertwin/v1/scenarioRun", { scenario: $("#run-scenario").value, faults });
    return run.orders.map((o) => `${o.productOrder} (${o.state})`).join(", ") + (run.faults.length ? `; faults ${run.faults.join(", ")}` : "");
  });
});

// The twin's rules are read again every few seconds while shown: their
// hits move as calls meet them, and a scenario run injects more.
let faultTimer = null;
async function readFaults() {
  clearTimeout(faultTimer);
  if (!signedIn() || !access.may("GET /ordertwin/v1/fault")) return;
  try {
    showFaults(await request("GET", "/ordertwin/v1/fault"));
  } catch (e) {
    $("#fault-rules").textContent = e.message;
  }
  faultTimer = setTimeout(readFaults, 3000);
}

// showFaults lists the rules, each with its hits and, unless it was
// lifted, a button that lifts it (DELETE: it fires no more).
function showFaults(rules) {
  const box = $("#fault-rules");
  if (!rules.length) {
    box.textContent = "the twin has no fault rule";
    return;
  }
  const items = rules.map((f) => {
    const span = el("span", { class: "fault-rule" });
    span.textContent = `${f.name} (${f.kind}): ${f.hits} ${f.hits === 1 ? "hit" : "hits"}${f.lifted ? ", lifted" : ""} `;
    const path = "/ordertwin/v1/fault/" + encodeURIComponent(f.name);
    if (!f.lifted && access.mayCall("DELETE", path)) {
      const b = el("button", { type: "button", "aria-label": `lift fault ${f.name}` });
      b.textContent = "Lift";
      b.addEventListener("click", () => act("lift " + f.name, async () => {
        await request("DELETE", path);
        readFaults();
        return `${f.name} lifted: it fires no more`;
      }));
      span.append(b);
    }
    return span;
  });
  box.replaceChildren(el("strong"), ...items);
  box.firstChild.textContent = "Fault rules ";
}

// faultRule is the rule the form describes.
function faultRule() {
  const rule = { name: $("#fault-name").value.trim(), kind: $("#fault-kind").value, target: {} };
  for (const [k, sel] of [["system", "#fault-system"], ["site", "#fault-site"], ["area", "#fault-area"]]) {
    if ($(sel).value.trim()) rule.target[k] = $(sel).value.trim();
  }
  if ($("#fault-until").value.trim()) rule.until = $("#fault-until").value.trim();
  if ($("#fault-probability").value) rule.probability = Number($("#fault-probability").value);
  // A factor is a latency fault's only: one left in the form is not sent with another kind.
  if (rule.kind === "latency" && $("#fault-factor").value) rule.factor = Number($("#fault-factor").value);
  return rule;
}

// The form says what the rule would hit before it is injected: a field
// left empty matches every call (scenarios/README.md, "Faults").
function showScope() {
  const r = faultRule();
  const where = [r.target.system ? `calls to ${r.target.system}` : "calls to every system",
    r.target.site && `at site ${r.target.site}`, r.target.area && `in ${r.target.area}`].filter(Boolean).join(" ");
  const how = r.probability !== undefined ? `${Math.round(r.probability * 100)}% of the` : "every one of the";
  $("#fault-scope").textContent = `hits ${how} ${where}, ${r.until ? "for " + r.until : "until lifted"}`;
}
$("#fault-form").addEventListener("input", showScope);
showScope();

$("#fault-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const rule = faultRule();
  act("inject " + rule.name, async () => {
    await request("POST", "/ordertwin/v1/fault", rule);
    readFaults();
    return `${rule.kind} injected`;
  });
});

// --- changes to a running order -----------------------------------------------

function selectedOrder() {
  return $("#change-order").value.trim() || document.querySelector('#orders tr[aria-selected="true"]')?.dataset.id || "";
}

// productOf is the TMF637 product of a site of an order.
async function productOf(order, site) {
  const po = await request("GET", `${ordering}/productOrder/${encodeURIComponent(order)}`);
  const item = po.productOrderItem.find((it) => (it.product?.place || []).some((p) => p.id === site));
  if (!item || !item.product?.id) throw new Error(`site ${site} of ${order} has no product yet`);
  return item.product.id;
}

$("#change-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const order = selectedOrder(), action = $("#change-action").value, site = $("#change-site").value.trim();
  act(`${action} on ${order}`, async () => {
    if (!order) throw new Error("select an order, or give its id");
    if (action !== "cancel" && !site) throw new Error("site: give the site's code");
    let v;
    switch (action) {
      case "speed":
        v = await request("POST", `${ordering}/productOrder`, { description: "speed change from the console",
          productOrderItem: [{ id: "1", action: "modify", product: { id: await productOf(order, site),
            productCharacteristic: [{ name: "speed", value: $("#change-speed").value.trim() }] } }] });
        return `${v.id} (${v.state})`;
      case "remove":
        v = await request("POST", `${ordering}/productOrder`, { description: "site removed from the console",
          productOrderItem: [{ id: "1", action: "delete", product: { id: await productOf(order, site) } }] });
        return `${v.id} (${v.state})`;
      case "add":
        v = await request("POST", "/ordertwin/v1/siteAddition", { productOrder: order, code: site,
          address: $("#change-address").value.trim(), wave: $("#change-wave").value.trim() });
        return `site ${v.site} added to ${v.productOrder}`;
      default:
        v = await request("POST", `${ordering}/cancelProductOrder`, { productOrder: { id: order }, cancellationReason: "cancelled from the console" });
        return `cancellation ${v.id} (${v.state})`;
    }
  });
});

// --- placing an order -----------------------------------------------------------

$("#place-fill").addEventListener("click", () => act("fill", async () => {
  const s = await request("GET", `/ordertwin/v1/scenario/${encodeURIComponent($("#place-from").value)}`);
  $("#place-quote").value = JSON.stringify(s.quote[0], null, 2);
  return `the quote of ${s.id}: edit it, then place it`;
}));

$("#place-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act("place", async () => {
    let body;
    try { body = JSON.parse($("#place-quote").value); } catch (e) { throw new Error("the quote is not JSON: " + e.message); }
    const q = await request("POST", quotes, body);
    const po = await request("POST", `${ordering}/productOrder`, {
      category: body.category, description: `${q.id} rollout`, quote: [{ id: q.id }], relatedParty: body.relatedParty,
      // TMF648 lists a quote's billing accounts; TMF622 names one.
      billingAccount: Array.isArray(body.billingAccount) ? body.billingAccount[0] : body.billingAccount,
      productOrderItem: q.quoteItem.map((qi, i) => ({ id: String(i + 1), action: "add", productOffering: qi.productOffering,
        quoteItem: { id: qi.id, quoteId: q.id } })),
    });
    return `quote ${q.id} (${q.state}), order ${po.id} (${po.state})`;
  });
});

// The changes to a running order, each with the routes it calls.
const changes = [
  { value: "speed", label: "speed of a site", routes: ["GET /tmf-api/productOrderingManagement/v4/productOrder/{id}", "POST /tmf-api/productOrderingManagement/v4/productOrder"] },
  { value: "remove", label: "remove a site", routes: ["GET /tmf-api/productOrderingManagement/v4/productOrder/{id}", "POST /tmf-api/productOrderingManagement/v4/productOrder"] },
  { value: "add", label: "add a site", routes: ["POST /ordertwin/v1/siteAddition"] },
  { value: "cancel", label: "cancel the order", routes: ["POST /tmf-api/productOrderingManagement/v4/cancelProductOrder"] },
];
const mayAll = (routes) => routes.every((r) => access.may(r));

// allow shows the controls the caller's roles may use, and hides the rest
// (all of them while the roles are not known).
function allow() {
  const shown = {
    "#clock-controls": mayAll(["GET " + clockPath, "PATCH " + clockPath, "POST " + clockPath + "/step"]),
    "#run-form": mayAll(["GET /ordertwin/v1/scenario", "POST /ordertwin/v1/scenarioRun"]),
    // A run's faults go into the twin as POST fault does (sales: 403).
    "#run-faults-label": mayAll(["POST /ordertwin/v1/fault"]),
    "#fault-form": mayAll(["POST /ordertwin/v1/fault"]),
    "#fault-rules": mayAll(["GET /ordertwin/v1/fault"]),
    "#place": mayAll(["POST " + quotes, "POST " + ordering + "/productOrder"]),
    "#place-prefill": mayAll(["GET /ordertwin/v1/scenario", "GET /ordertwin/v1/scenario/{id}"]),
  };
  const allowed = changes.filter((c) => mayAll(c.routes));
  const select = $("#change-action");
  if (select.options.length !== allowed.length || allowed.some((c, i) => select.options[i].value !== c.value)) {
    select.replaceChildren(...allowed.map((c) => new Option(c.label, c.value)));
  }
  shown["#change-form"] = allowed.length > 0;
  for (const [sel, show] of Object.entries(shown)) $(sel).hidden = !show;
  view.hidden = !Object.entries(shown).some(([sel, show]) => show && sel !== "#place-prefill" && sel !== "#run-faults-label");
}

function start() {
  allow();
  if (!signedIn() || !access.known()) return;
  loadLibrary();
  readClock();
  readFaults();
}

// console.js tells the caller's roles once the stream has said them.
document.addEventListener("ordertwin:access", start);
start();

window.ordertwinControls = { clock: () => clock, reads: () => clockReads };
