// The worklist view: what waits on a person (GET /ordertwin/v1/worklist)
// with the actions each item allows now as buttons, each a POST of an
// operatorAction with its own Idempotency-Key — the same API a program
// uses. It reads the worklist again when the stream says something that
// may change it.

import * as access from "./access.js";
import { offset } from "./draw.js";

const paths = { items: "/ordertwin/v1/worklist", actions: "/ordertwin/v1/operatorAction" };
const $ = (sel) => document.querySelector(sel);

// The kinds of record after which the worklist may have changed: a task,
// a jeopardy, an operator's action, and any record of a wave (a wave a
// person releases is on the list from its creation, scheduled, to its
// release; a gate blocked or held is its wave's). Besides those, anything
// held, leaving held or failed, and any record of an entity on the list
// (a jeopardy leaves it when its entity ends). A national rollout's other
// records do not make the page read it again.
const kinds = new Set(["task", "jeopardy", "operatorAction", "wave"]);
const changes = (r) => kinds.has(r.kind) || r.state === "held" || r.from === "held" || r.state === "failed" || listed.has(r.entity);

// Labels of the actions on their buttons.
const labels = {
  confirmCapacity: "Confirm capacity", reopenGate: "Reopen gate", retry: "Retry", completeManually: "Complete manually",
  compensate: "Compensate", hold: "Hold", release: "Release", assign: "Assign", note: "Note", cancelWaves: "Cancel waves",
};

let token = () => "";
let get = null; // the page's read: a busy server is asked again after its Retry-After
let timer = 0;
let items = [];
let listed = new Set(); // the entities of the items listed

// start reads the worklist with the token the page signed in with, by
// the page's read (read).
// A role that may not read the worklist does not see the view.
export function start(tokenOf, read) {
  token = tokenOf;
  get = read;
  if (!access.may("GET " + paths.items)) { $("#worklist-view").hidden = true; return; }
  load();
}

// saw takes a committed record: one that may change the worklist reads
// it again, at most every half second.
export function saw(r) {
  if (!changes(r) || timer) return;
  timer = setTimeout(() => { timer = 0; load(); }, 500);
}

async function load() {
  if (!token() || !access.may("GET " + paths.items)) return;
  try {
    items = await get(paths.items);
    render();
  } catch (e) {
    if (e.status === 403) { $("#worklist-view").hidden = true; return; } // a role that does not act
    problem(e);
  }
}

async function reason(res) {
  try { const e = await res.json(); return e.message || e.reason || res.statusText; } catch { return res.status + " " + res.statusText; }
}

function problem(e) {
  const el = $("#worklist-error");
  el.textContent = e ? String(e.message || e) : "";
  el.hidden = !e;
}

function text(tag, s, cls) {
  const el = document.createElement(tag);
  el.textContent = s || "";
  if (cls) el.className = cls;
  return el;
}

function render() {
  listed = new Set(items.map((it) => it.entity.id));
  $("#worklist-view").hidden = false;
  $("#worklist-count").textContent = items.length;
  const tbody = $("#worklist tbody");
  const rows = items.map((it) => {
    const tr = document.createElement("tr");
    tr.dataset.id = it.id;
    tr.dataset.kind = it.kind;
    tr.dataset.entity = it.entity.id;
    const what = text("td", it.id);
    what.append(text("span", it.kind, "muted block"));
    const where = text("td", [it.order && it.order.id, it.site, it.wave].filter(Boolean).join(" · "));
    where.append(text("span", it.entity.id + " " + it.state, "muted block"));
    const why = text("td", it.reason);
    for (const n of it.note || []) why.append(text("span", n.author + ": " + n.text, "muted block"));
    const when = text("td", offset(it.sinceOffset));
    if (it.deadlineOffset) when.append(text("span", "due " + offset(it.deadlineOffset), "muted block"));
    const who = text("td", it.assignee);
    const acts = document.createElement("td");
    for (const a of access.may("POST " + paths.actions) ? it.allowedAction : []) {
      const b = text("button", labels[a] || a);
      b.type = "button";
      b.dataset.action = a;
      b.setAttribute("aria-label", `${labels[a] || a} ${it.id}`); // one of many alike: which item
      acts.append(b);
    }
    tr.append(what, where, why, when, who, acts);
    return tr;
  });
  tbody.replaceChildren(...rows);
  $("#worklist-empty").hidden = items.length > 0;
}

// act posts an action on an item; a note, evidence or assignee comes
// from the view's fields.
async function act(item, action) {
  const body = { action, worklistItem: { id: item } };
  const note = $("#worklist-note").value.trim(), assignee = $("#worklist-assignee").value.trim();
  if (note) body.note = note;
  if (action === "assign") body.assignee = assignee;
  const key = "console-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
  try {
    const res = await fetch(paths.actions, {
      method: "POST", body: JSON.stringify(body),
      headers: { Authorization: "Bearer " + token(), "Content-Type": "application/json", "Idempotency-Key": key },
    });
    if (res.status === 401) document.dispatchEvent(new Event("ordertwin:refused"));
    if (!res.ok) throw new Error(action + " on " + item + ": " + await reason(res));
    const done = await res.json();
    problem(null);
    $("#worklist-done").textContent = done.id + ": " + done.result;
    $("#worklist-note").value = "";
    load();
  } catch (e) {
    problem(e);
  }
}

$("#worklist tbody").addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-action]");
  if (b) act(b.closest("tr").dataset.id, b.dataset.action);
});
