// What-ifs for architects: run a what-if of a library scenario on the
// server (POST /ordertwin/v1/whatIf), follow it, and draw each wave's and
// the order's completion distribution — a histogram with its CDF over it,
// the target and its odds — for one scenario or two side by side. Drawn
// as SVG by hand: a few rectangles and a polyline need no chart library.
// Shown to the roles that may run what-ifs (access.js).

import { request, signedIn, el, days } from "./controls.js";
import { may } from "./access.js";
import { offset } from "./draw.js";

const path = "/ordertwin/v1/whatIf";
const svgNS = "http://www.w3.org/2000/svg";

const view = el("section", { id: "whatif-view", "aria-labelledby": "whatif-title" });
view.innerHTML = `
  <h2 id="whatif-title">What-if</h2>
  <form id="whatif-form" class="controls-row">
    <label>scenario <select id="whatif-a" required></select></label>
    <label>beside <select id="whatif-b"><option value="">—</option></select></label>
    <label>runs <input id="whatif-runs" type="number" min="1" max="2000" value="200"></label>
    <label>variance (cv) <input id="whatif-cv" type="number" min="0" max="2" step="0.05" value="0.25"></label>
    <label>seed <input id="whatif-seed" type="number" min="0" placeholder="the scenario's"></label>
    <button type="submit">Run</button>
    <button type="button" id="whatif-cancel" disabled>Cancel</button>
  </form>
  <p id="whatif-status" class="muted" role="status"></p>
  <div id="whatif-results"></div>`;
document.querySelector("main").append(view);

const $ = (sel) => view.querySelector(sel);
let running = []; // ids of the what-ifs asked last
let library = [];

async function loadLibrary() {
  view.hidden = !(may("POST " + path) && may("GET " + path + "/{id}") && may("GET /ordertwin/v1/scenario"));
  if (view.hidden || library.length || !signedIn()) return;
  try {
    library = await request("GET", "/ordertwin/v1/scenario");
  } catch (e) {
    $("#whatif-status").textContent = e.message;
    return;
  }
  for (const sel of [$("#whatif-a"), $("#whatif-b")]) {
    for (const s of library) {
      const o = el("option", { value: s.id });
      o.textContent = `${s.id} (${s.sites} sites)`;
      sel.append(o);
    }
  }
  $("#whatif-a").value = library.some((s) => s.id === "globaltech-5site.yaml") ? "globaltech-5site.yaml" : library[0]?.id;
}

$("#whatif-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const base = { runs: Number($("#whatif-runs").value), cv: Number($("#whatif-cv").value) };
  if ($("#whatif-seed").value !== "") base.seed = Number($("#whatif-seed").value);
  const names = [$("#whatif-a").value, $("#whatif-b").value].filter(Boolean);
  try {
    const jobs = [];
    for (const scenario of names) jobs.push(await request("POST", path, { ...base, scenario }));
    running = jobs.map((j) => j.id);
    $("#whatif-cancel").disabled = false;
    follow();
  } catch (e) {
    $("#whatif-status").textContent = e.message;
  }
});

$("#whatif-cancel").addEventListener("click", async () => {
  for (const id of running) {
    try { await request("DELETE", `${path}/${id}`); } catch { /* finished meanwhile */ }
  }
});

// follow reads the what-ifs asked until each has ended, then draws them.
async function follow() {
  const ids = running.slice();
  let jobs;
  try {
    jobs = await Promise.all(ids.map((id) => request("GET", `${path}/${id}`)));
  } catch (e) {
    $("#whatif-status").textContent = e.message;
    return;
  }
  if (ids.join() !== running.join()) return; // asked again meanwhile
  $("#whatif-status").textContent = jobs.map((j) => `${j.id} ${j.scenario}: ${j.state} ${j.done}/${j.runs}${j.error ? " — " + j.error : ""}`).join(" · ");
  if (jobs.some((j) => j.state === "queued" || j.state === "running")) {
    setTimeout(follow, 250);
    return;
  }
  $("#whatif-cancel").disabled = true;
  draw(jobs.filter((j) => j.state === "completed"));
}

// draw shows each distribution ("order", then the waves) as a row, the
// scenarios side by side on one time axis, so that they compare.
function draw(jobs) {
  const out = $("#whatif-results");
  out.replaceChildren();
  if (!jobs.length) return;
  const names = [...new Set(jobs.flatMap((j) => j.distribution.map((d) => d.of)))];
  const grid = el("div", { class: "whatif-grid" });
  grid.style.gridTemplateColumns = `repeat(${jobs.length}, 1fr)`;
  for (const j of jobs) {
    const h = el("h3");
    h.textContent = `${j.scenario} — ${j.runs} runs, cv ${j.cv}, seed ${j.seed}`;
    grid.append(h);
  }
  for (const of of names) {
    const ds = jobs.map((j) => j.distribution.find((d) => d.of === of));
    const xs = ds.flatMap((d) => (d && d.bins.length ? [d.bins[0].from, d.bins[d.bins.length - 1].to] : []));
    const targets = ds.map((d) => d && d.target ? offsetSeconds(d.target) : null).filter((t) => t !== null);
    const lo = Math.min(...xs, ...targets), hi = Math.max(...xs, ...targets);
    ds.forEach((d, i) => grid.append(chart(d, of, jobs[i], lo, hi)));
  }
  out.append(grid);
}

const W = 420, H = 150, pad = { l: 34, r: 34, t: 8, b: 22 };

// chart is one distribution: its histogram (bars, left axis: runs), its
// CDF (line, right axis: share of all runs), its target (dashed) and the
// odds of meeting it.
function chart(d, of, job, lo, hi) {
  const fig = el("figure", { class: "whatif-chart", "data-of": of, "data-scenario": job.scenario });
  const cap = el("figcaption");
  if (!d) {
    cap.textContent = `${of}: not in ${job.scenario}`;
    fig.append(cap);
    return fig;
  }
  const p50 = of === "order" ? job.result.order.p50 : (job.result.waves.find((w) => w.wave === of) || {}).p50;
  // Virtual time as the rest of the page shows it (T+5d 3h).
  cap.textContent = `${of}: ${d.completed}/${d.runs} completed` + (p50 ? `, P50 ${offset(p50)}` : "") +
    (d.target ? `, target ${offset(d.target)}: ${(100 * d.onTime).toFixed(1)}% on time` : "");
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${of} completion distribution of ${job.scenario}`);
  const span = Math.max(hi - lo, 1);
  const x = (s) => pad.l + ((s - lo) / span) * (W - pad.l - pad.r);
  const y0 = H - pad.b, h = H - pad.t - pad.b;
  const most = Math.max(1, ...d.bins.map((b) => b.count));
  for (const b of d.bins) {
    const bh = (b.count / most) * h;
    svg.append(shape("rect", { class: "bar", x: x(b.from), y: y0 - bh, width: Math.max(1, x(b.to) - x(b.from) - 1), height: bh,
      "data-count": b.count }, `${days(b.from)}–${days(b.to)}: ${b.count} runs`));
  }
  if (d.cdf.length) {
    const pts = [[x(lo), y0]];
    let share = 0;
    for (const c of d.cdf) {
      pts.push([x(c.at), y0 - share * h]);
      share = c.share;
      pts.push([x(c.at), y0 - share * h]);
    }
    pts.push([x(hi), y0 - share * h]);
    svg.append(shape("polyline", { class: "cdf", points: pts.map((p) => p.join(",")).join(" ") }, "cumulative share of runs"));
  }
  if (d.target) {
    const t = x(offsetSeconds(d.target));
    svg.append(shape("line", { class: "target", x1: t, x2: t, y1: pad.t, y2: y0 }, `target ${offset(d.target)}`));
  }
  svg.append(shape("line", { class: "axis", x1: pad.l, x2: W - pad.r, y1: y0, y2: y0 }));
  svg.append(text(pad.l, H - 6, days(lo), "start"), text(W - pad.r, H - 6, days(hi), "end"),
    text(pad.l - 4, pad.t + 8, String(most), "end"), text(W - pad.r + 4, pad.t + 8, "100%", "start"));
  fig.append(svg, cap);
  return fig;
}

function shape(name, attrs, title) {
  const s = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
  if (title) {
    const t = document.createElementNS(svgNS, "title");
    t.textContent = title;
    s.append(t);
  }
  return s;
}

function text(x, y, s, anchor) {
  const t = shape("text", { x, y, "text-anchor": anchor, class: "label" });
  t.textContent = s;
  return t;
}

// offsetSeconds reads an ISO 8601 offset from T+0 (P12DT3H) as seconds.
function offsetSeconds(iso) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(iso);
  if (!m) return 0;
  return (Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
}

document.addEventListener("ordertwin:access", loadLibrary);
loadLibrary();
