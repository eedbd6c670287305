// The search histogram: bars on a time axis, the count of each bar on hover, and a click
// (one bar) or a drag (a span of bars) that filters the search to those dates.
"use strict";

const STEP_MS = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 };

// Start of the bucket after the one starting at t (months differ in length)
function nextBucket(t, interval) {
  if (interval === "month") { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1); }
  return t + STEP_MS[interval];
}

function renderHistogram(box, buckets, { interval = "day", onRange, range = null } = {}) {
  box.replaceChildren();
  if (!buckets.length) return;
  const W = Math.max(300, box.clientWidth || 800), H = 110, top = 22, axis = 22, left = 34;
  const plotH = H - top - axis, plotW = W - left - 8;
  const starts = buckets.map((b) => Date.parse(b.value));
  const t0 = Math.min(...starts), t1 = nextBucket(Math.max(...starts), interval);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const x = (t) => left + ((t - t0) / (t1 - t0)) * plotW;
  const inv = (px) => t0 + ((Math.min(Math.max(px, left), left + plotW) - left) / plotW) * (t1 - t0);
  const ns = "http://www.w3.org/2000/svg";
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  const svg = el("svg", { width: W, height: H, class: "hist", role: "img", "aria-label": "dispatches over time" });
  // y: zero and the maximum
  svg.append(el("line", { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, class: "axis" }));
  svg.append(el("text", { x: left - 4, y: top + 8, class: "tick y" }, String(max)));
  svg.append(el("text", { x: left - 4, y: top + plotH, class: "tick y" }, "0"));
  // x: dates at bucket boundaries, at most one label per ~90 px, never overlapping
  const span = t1 - t0;
  const fmt = span > 400 * 86400e3 ? { month: "short", year: "numeric" }
    : span > 2 * 86400e3 ? { day: "numeric", month: "short" } : { hour: "2-digit", minute: "2-digit" };
  const bounds = [t0];
  while (bounds[bounds.length - 1] < t1) bounds.push(nextBucket(bounds[bounds.length - 1], interval));
  const every = Math.max(1, Math.ceil(bounds.length / Math.max(2, Math.floor(plotW / 90))));
  bounds.forEach((t, i) => {
    if (i % every && i !== bounds.length - 1) return;
    if (i === bounds.length - 1 && i % every && x(t) - x(bounds[i - (i % every)]) < 60) return;
    const px = x(t);
    const anchor = i === 0 ? "start" : i === bounds.length - 1 ? "end" : "middle";
    svg.append(el("line", { x1: px, x2: px, y1: top + plotH, y2: top + plotH + 4, class: "axis" }));
    svg.append(el("text", { x: px, y: H - 4, class: "tick x", "text-anchor": anchor }, new Date(t).toLocaleString(undefined, { ...fmt, timeZone: "UTC" })));
  });
  const tip = document.createElement("div");
  tip.className = "hist-tip";
  tip.hidden = true;
  const label = (t) => new Date(t).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC", ...(interval === "hour" ? { hour: "2-digit", minute: "2-digit" } : {}) });
  buckets.forEach((b, i) => {
    const s = starts[i], e = nextBucket(s, interval);
    const h = Math.max(2, (plotH * b.count) / max);
    const bar = el("rect", {
      x: x(s) + 0.5, y: top + plotH - h, width: Math.max(2, x(e) - x(s) - 1), height: h,
      class: "bar" + (range && s >= range[0] && e <= range[1] + 1 ? " picked" : ""),
      "data-start": new Date(s).toISOString(), "data-count": b.count,
    });
    bar.append(el("title", {}, `${label(s)}: ${b.count} dispatch(es)`));
    bar.addEventListener("mouseenter", () => {
      tip.textContent = `${label(s)} · ${b.count} dispatch${b.count === 1 ? "" : "es"}`;
      tip.style.left = `${Math.min(x(s), W - 200)}px`;
      tip.hidden = false;
    });
    bar.addEventListener("mouseleave", () => { tip.hidden = true; });
    svg.append(bar);
  });
  // click a bar, or drag across bars: the range snaps to whole buckets
  const sel = el("rect", { x: 0, y: top, width: 0, height: plotH, class: "selection" });
  svg.append(sel);
  let from = null;
  const px = (ev) => ev.clientX - svg.getBoundingClientRect().left;
  const snap = (a, b) => {
    const lo = Math.min(a, b), hi = Math.max(a, b);
    let s = starts.filter((t) => t <= lo).pop() ?? t0;
    let e = nextBucket(starts.filter((t) => t <= hi).pop() ?? s, interval);
    return [s, e - 1];
  };
  svg.addEventListener("mousedown", (ev) => { from = px(ev); sel.setAttribute("x", from); sel.setAttribute("width", 0); ev.preventDefault(); });
  svg.addEventListener("mousemove", (ev) => {
    if (from == null) return;
    const now = px(ev);
    sel.setAttribute("x", Math.min(from, now));
    sel.setAttribute("width", Math.abs(now - from));
  });
  const finish = (ev) => {
    if (from == null) return;
    const to = px(ev);
    const [s, e] = snap(inv(from), inv(to));
    from = null;
    sel.setAttribute("width", 0);
    if (onRange) onRange(new Date(s).toISOString(), new Date(e).toISOString());
  };
  svg.addEventListener("mouseup", finish);
  svg.addEventListener("mouseleave", () => { if (from != null) { from = null; sel.setAttribute("width", 0); } });
  box.append(svg, tip);
}
