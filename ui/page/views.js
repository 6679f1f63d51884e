// The views of a rollout beyond the orders, the tree, the timeline and the
// log: the Gantt of the selected order, the plan of one of its sites, the
// entity map and the network's resource use. console.js hands each record
// to takeRecord and calls drawViews once per frame; each view redraws at
// most a few times a second, only when a record it shows has changed.

import * as rollout from "./rollout.js";
import { drawGantt } from "./gantt.js";
import { sitePlan, drawPlan, setNodeState } from "./plan.js";
import * as entities from "./entities.js";
import { drawResources, resourceUsePath } from "./resources.js";
import { every } from "./draw.js";
import { may } from "./access.js";

const $ = (sel) => document.querySelector(sel);

let page = null;     // what console.js lends: get, all, stateOf, showError
let order = "";      // the order shown
let plan = null;     // its rollout plan
let site = null;     // the site whose plan is shown
let nodes = new Map(); // its plan's items: id -> SVG group
const nodeStates = new Map(); // plan items whose state changed since the last frame
const dirty = { gantt: false, entities: false, resources: false, plan: false };

// startViews begins: the page has signed in.
// A role that may not read product orders sees none of the views of an
// order; one that may not read service and resource orders, no plan.
export function startViews(lent) {
  const orders = may("GET /tmf-api/productOrderingManagement/v4/productOrder");
  for (const v of ["#orders-view", "#order-view", "#gantt-view"]) $(v).hidden = !orders;
  $("#plan-view").hidden = !orders || !plansReadable();
  if (page) return;
  page = lent;
  $("#plan-site").addEventListener("change", (ev) => showPlan(plan && plan.sites.find((s) => s.item === ev.target.value)));
  $("#gantt").addEventListener("click", (ev) => {
    const row = ev.target.closest(".site-row");
    if (row && plan) showPlan(plan.sites.find((s) => s.item === row.dataset.entity));
  });
  readResources();
}

// takeRecord takes one record into the views' state: cheap, every record
// of a national rollout passes here.
export function takeRecord(r) {
  if (rollout.take(r) && order) dirty.gantt = true; // the clock moved, or a wave or a site
  if (entities.take(r)) dirty.entities = true;
  switch (r.kind) {
    case "resourceOrderItem":
      if (nodes.has(r.entity)) nodeStates.set(r.entity, r.state);
      break;
    case "resourceOrder":
      if (site && !nodes.size && r.event === "create") dirty.plan = true;
      break;
    case "resource":
      dirty.resources = true;
      break;
  }
}

// drawViews is called once per frame: it shows the plan's new states at
// once, and asks the other views to redraw when they must.
export function drawViews() {
  for (const [id, s] of nodeStates) setNodeState(nodes.get(id), s);
  nodeStates.clear();
  if (dirty.gantt) { dirty.gantt = false; redrawGantt(); }
  if (dirty.entities) { dirty.entities = false; redrawEntities(); }
  if (dirty.resources) { dirty.resources = false; rereadResources(); }
  if (dirty.plan) { dirty.plan = false; replan(); }
}

// selectOrder shows the rollout of an order and the plan of its first
// site.
export async function selectOrder(id) {
  if (!page || id === order) return;
  order = id;
  try {
    const p = await rollout.rolloutOf(id, page.get);
    if (order !== id) return;
    plan = p;
    $("#gantt-title").textContent = "Rollout of " + id;
    drawGantt($("#gantt"), plan);
    fillSites(plan.sites);
    await showPlan(plan.sites[0]);
  } catch (e) { page.showError(e); }
}

function fillSites(sites) {
  const select = $("#plan-site");
  select.replaceChildren(...sites.map((s) => new Option(`${s.name} (${s.code}, ${s.wave || "no wave"})`, s.item)));
  select.hidden = !sites.length;
}

// plansReadable tells whether the caller may read what a plan is read from.
const plansReadable = () => may("GET /tmf-api/serviceOrdering/v4/serviceOrder") && may("GET /tmf-api/resourceOrderingManagement/v4/resourceOrder");

// showPlan shows the plan of a site of the order shown, to a role that may
// read it.
async function showPlan(s) {
  if (!s || !plansReadable()) return;
  site = s;
  $("#plan-site").value = s.item;
  $("#plan-title").textContent = "Plan of site " + s.code;
  try {
    const p = await sitePlan(order, s, page.all, page.get);
    if (site !== s) return;
    nodes = drawPlan($("#plan"), s, p, page.stateOf);
  } catch (e) { page.showError(e); }
}

const redrawGantt = every(500, () => { if (plan) drawGantt($("#gantt"), plan); });
const redrawEntities = every(1000, () => {
  entities.drawEntities($("#entity-map tbody"));
  if (entities.typesWanted() && may("GET /tmf-api/resourceInventoryManagement/v4/resource")) readTypes();
});
const readTypes = every(2000, () => entities.readTypes(page.all).then(redrawEntities, page.showError));
const replan = every(1000, () => showPlan(site));

// readResources reads the network's resource use and draws it; a server
// that runs no network (a COM or SOM process) has none to show, nor has a
// role that may not read it. A busy server (503) is asked again after its Retry-After, as every read is
// (page.get).
async function readResources() {
  if (!may("GET " + resourceUsePath)) { $("#resources-view").hidden = true; return; }
  try {
    drawResources($("#resources"), await page.get(resourceUsePath));
  } catch (e) {
    if (e.status === 404) { $("#resources-view").hidden = true; return; }
    page.showError(e);
  }
}
const rereadResources = every(2000, readResources);
