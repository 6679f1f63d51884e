// What the views share: virtual time on the wire, state badges, SVG.

const svgNS = "http://www.w3.org/2000/svg";

// svg makes an SVG element with the attributes given.
export function svg(name, attrs = {}, text) {
  const el = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// titled adds a tooltip (and an accessible name) to an SVG element.
export function titled(el, text) {
  el.append(svg("title", {}, text));
  return el;
}

// seconds is an ISO 8601 offset from T+0 (P5DT3H, PT45M) in seconds.
export function seconds(offset) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(offset || "");
  if (!m) return NaN;
  return (+(m[1] || 0)) * 86400 + (+(m[2] || 0)) * 3600 + (+(m[3] || 0)) * 60 + (+(m[4] || 0));
}

// offset writes an ISO 8601 offset from T+0 as the page shows virtual
// time: its largest unit and the next one down, to whole seconds
// (P5DT3H20M: T+5d 3h; PT1H9M14.9S: T+1h 9m; PT4H: T+4h; PT0S: T+0). What
// is not an offset is shown as it came.
export function offset(iso) {
  const s = seconds(iso);
  if (!Number.isFinite(s)) return "T+" + String(iso || "");
  let left = Math.floor(s);
  const parts = [];
  for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
    const v = Math.floor(left / n);
    left -= v * n;
    if (parts.length === 0 && v === 0) continue;
    if (v > 0) parts.push(v + unit);
    if (parts.length === 2 || (parts.length === 1 && v === 0)) break;
  }
  return "T+" + (parts.join(" ") || "0");
}

// days writes seconds as days from T+0, as the rollout plan speaks.
export function days(s) {
  const d = s / 86400;
  return "T+" + (Number.isInteger(d) ? d : d.toFixed(1)) + "d";
}

// badge is a state shown as the page shows every state.
export function badge(s) {
  const span = document.createElement("span");
  span.className = "state";
  span.dataset.state = s || "";
  span.textContent = s || "…";
  return span;
}

// element makes an HTML element with a class and text.
export function element(name, className, text) {
  const el = document.createElement(name);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = String(text);
  return el;
}

// every runs fn at most once per ms, the last call winning: a view that
// many records change is drawn a few times a second at most.
export function every(ms, fn) {
  let timer = 0, again = false;
  return function asked() {
    if (timer) { again = true; return; }
    fn();
    timer = setTimeout(() => { timer = 0; if (again) { again = false; asked(); } }, ms);
  };
}
