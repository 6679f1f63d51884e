// The Gantt of an order's rollout: each wave and its sites as bars on the
// virtual clock, from the wave's release to the end (or now), against the
// wave's target (a diamond). A bar past its target is late, and red.

import { svg, titled, days, element } from "./draw.js";
import { spans, now } from "./rollout.js";

const layout = { width: 960, label: 190, right: 20, row: 22, axis: 26 };

// drawGantt draws the rollout plan into box.
export function drawGantt(box, plan) {
  const rows = ganttRows(plan);
  const end = Math.max(1, now(), ...rows.map((r) => Math.max(r.target || 0, r.end || 0))) * 1.05;
  const x = (s) => layout.label + (s / end) * (layout.width - layout.label - layout.right);
  const height = layout.axis + rows.length * layout.row + 8;
  const chart = svg("svg", { viewBox: `0 0 ${layout.width} ${height}`, width: "100%", role: "img", "aria-labelledby": "gantt-caption", class: "gantt" });
  chart.append(svg("title", { id: "gantt-caption" }, "Rollout of " + plan.order + ": waves and sites against their targets"));
  chart.append(axis(x, end, height));
  rows.forEach((r, i) => chart.append(ganttRow(r, layout.axis + i * layout.row, x)));
  chart.append(nowLine(x(now()), height));
  box.replaceChildren(chart, legend());
}

// ganttRows are the waves in plan order, each followed by its sites.
function ganttRows(plan) {
  const rows = [];
  for (const w of plan.waves) {
    const ws = spans.get(w.id) || {};
    rows.push({ entity: w.id, label: w.name + " (" + w.serviceOrder + ")", wave: true, target: w.target, ...bar(ws) });
    for (const s of plan.sites.filter((s) => s.wave === w.name)) {
      rows.push({ entity: s.item, label: s.name + " · " + s.code, wave: false, target: w.target, ...bar(spans.get(s.item), ws.start ?? NaN) });
    }
  }
  for (const id of lateWaves(plan)) {
    rows.push({ entity: id, label: id.slice(plan.order.length + 1) + " (added)", wave: true, target: NaN, ...bar(spans.get(id)) });
  }
  const unplanned = plan.sites.filter((s) => !plan.waves.some((w) => w.name === s.wave));
  for (const s of unplanned) rows.push({ entity: s.item, label: s.name + " · " + s.code, wave: false, target: NaN, ...bar(spans.get(s.item)) });
  return rows;
}

// lateWaves are the waves of the order not in its rollout plan: those
// made for sites whose capacity came after the plan (SO-WAVE3).
function lateWaves(plan) {
  const prefix = plan.order + "/", planned = new Set(plan.waves.map((w) => w.id));
  const out = [];
  for (const id of spans.keys()) if (id.startsWith(prefix) && !planned.has(id)) out.push(id);
  return out;
}

// bar is where a row's bar starts and ends: a site starts with its wave
// (a held site when it was held), a wave when it is released.
// Either is NaN when not known: a wave never released (a rejected
// order's) has no bar.
function bar(span, waveStart) {
  const s = span || {};
  let start = s.start ?? NaN;
  if (waveStart !== undefined) start = Number.isNaN(waveStart) ? (s.state === "held" ? s.heldAt ?? NaN : NaN) : Math.max(waveStart, s.start || 0);
  return { start, end: s.end ?? NaN, state: s.state || "" };
}

function ganttRow(r, y, x) {
  const g = svg("g", { class: r.wave ? "row wave-row" : "row site-row", "data-entity": r.entity, "data-state": r.state });
  g.append(svg("text", { x: r.wave ? 4 : 16, y: y + 15, class: "label" }, r.label));
  const finish = Number.isNaN(r.end) ? now() : r.end;
  const late = !Number.isNaN(r.target) && finish > r.target;
  g.dataset.late = String(late);
  if (!Number.isNaN(r.start)) {
    const rect = svg("rect", { x: x(r.start), y: y + 4, width: Math.max(2, x(finish) - x(r.start)), height: layout.row - 8,
      rx: 3, class: "bar" + (late ? " late" : "") + (Number.isNaN(r.end) ? " running" : "") });
    titled(rect, `${r.label}: ${r.state}, ${days(r.start)} → ${Number.isNaN(r.end) ? "now " + days(finish) : days(r.end)}` +
      (Number.isNaN(r.target) ? "" : `, target ${days(r.target)}${late ? " — late" : ""}`));
    g.append(rect);
  }
  if (!Number.isNaN(r.target)) {
    const cx = x(r.target), cy = y + layout.row / 2;
    g.append(titled(svg("path", { d: `M${cx} ${cy - 6}L${cx + 5} ${cy}L${cx} ${cy + 6}L${cx - 5} ${cy}Z`, class: "target" }), "target " + days(r.target)));
  }
  return g;
}

// axis marks days from T+0, a week apart (a day apart for short plans).
function axis(x, end, height) {
  const g = svg("g", { class: "axis" });
  const step = end > 20 * 86400 ? 7 * 86400 : 86400;
  for (let s = 0; s <= end; s += step) {
    g.append(svg("line", { x1: x(s), x2: x(s), y1: layout.axis - 6, y2: height }));
    g.append(svg("text", { x: x(s) + 2, y: layout.axis - 10 }, days(s)));
  }
  return g;
}

function nowLine(at, height) {
  return titled(svg("line", { x1: at, x2: at, y1: layout.axis - 6, y2: height, class: "now" }), "now: " + days(now()));
}

function legend() {
  const p = element("p", "legend");
  for (const [cls, text] of [["bar", "in progress"], ["bar done", "completed"], ["bar held", "held"], ["bar late", "late"], ["target", "target"], ["now", "now"]]) {
    const key = element("span", "key " + cls.replace(" ", "-"));
    p.append(key, " " + text + " ");
  }
  return p;
}
