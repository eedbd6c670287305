// wirestream web page: live feed, search, events, alerts, pipeline health.
// Plain browser JavaScript against the same HTTP API as every other client.
"use strict";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Highlights arrive as text with <em> tags: escape everything, then restore only those tags.
const highlight = (s) => esc(s).replace(/&lt;(\/?)em&gt;/g, "<$1em>");
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

// The page holds no API key: it logs in once (POST /v1/session) and the service sets an
// HttpOnly, SameSite=Strict session cookie that fetch and EventSource send by themselves.
localStorage.removeItem("wire-api-key"); // older pages kept the key here
class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  const resp = await fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
  if (resp.status === 204) return null;
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new ApiError(resp.status, body);
    if (resp.status === 401) showLogin("Your session has ended: log in again.");
    if (resp.status === 503) dependencyDown(body.dependency, err.message);
    throw err;
  }
  return body;
}

// ---------------------------------------------------------------- dependencies

// A 503 names what is down; the badges say so until a call to it succeeds again.
function dependencyDown(dependency, reason) {
  if (dependency === "elasticsearch") setBadge("#search-status", "search unavailable", reason);
  if (dependency === "kafka") setBadge("#kafka-status", "Kafka unavailable", reason);
}
function dependencyUp(dependency) {
  setBadge(dependency === "kafka" ? "#kafka-status" : "#search-status", "", "");
}
function setBadge(sel, text, reason) {
  const el = $(sel);
  el.hidden = !text;
  el.textContent = text;
  el.title = reason || "";
}
async function checkDependencies() {
  try {
    const h = await fetch("/v1/pipeline/health", { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await h.json().catch(() => ({}));
    for (const [name, d] of Object.entries(body.dependencies || {})) {
      if (d.status === "down") dependencyDown(name, d.error);
      else dependencyUp(name);
    }
    return body;
  } catch (err) { return null; }
}

// ---------------------------------------------------------------- cards

// One card shape for search hits, live-feed dispatches and alerts.
function fromHit(h) {
  return {
    guid: h.guid, headline: h.headline, published: h.published, place: h.dateline_place,
    provider: h.provider, language: h.language, urgency: h.urgency, snippets: h.snippets || [],
    chips: [...(h.orgs || []).map((n) => ["ORG", n]), ...(h.people || []).map((n) => ["PER", n]), ...(h.places || []).map((n) => ["LOC", n])],
    events: h.event_types || [], alsoFrom: h.also_from || [], killed: false, version: h.version,
  };
}
function fromDispatch(d) {
  const seen = new Set();
  const chips = [];
  for (const e of d.entities || []) {
    const k = e.type + e.name;
    if (["ORG", "PER", "LOC"].includes(e.type) && !seen.has(k)) { seen.add(k); chips.push([e.type, e.name]); }
  }
  return {
    guid: d.guid, headline: d.headline, published: d.versioncreated || (d.dateline || {}).date || d.received_at,
    place: (d.dateline || {}).place, provider: d.provider, language: d.language, urgency: d.urgency,
    snippets: [], chips: chips.slice(0, 8), events: [...new Set((d.events || []).map((e) => e.type))],
    alsoFrom: [], killed: d.pubstatus !== "usable", version: d.version,
  };
}
function card(c, fresh) {
  const li = document.createElement("li");
  li.className = "card" + (fresh ? " fresh" : "");
  li.dataset.guid = c.guid;
  const urg = c.urgency ? `<span class="urgency u${esc(c.urgency)}" title="urgency">${esc(c.urgency)}</span>` : "";
  li.innerHTML = `
    <div class="meta">${urg}<span>${esc(when(c.published))}</span><span class="place">${esc(c.place || "")}</span>
      <span>${esc(c.provider || "")}</span><span>${esc(c.language || "")}</span>${c.version > 1 ? `<span>v${esc(c.version)}</span>` : ""}</div>
    <h3>${c.killed ? '<span class="badge killed">KILLED</span> ' : ""}${esc(c.headline || c.guid)}</h3>
    ${c.snippets.slice(0, 2).map((s) => `<p class="snip">… ${highlight(s)} …</p>`).join("")}
    <div class="chips">${c.events.map((e) => `<span class="badge">${esc(e)}</span>`).join("")}
      ${c.chips.map(([t, n]) => `<span class="chip ${esc(t)}">${esc(n)}</span>`).join("")}
      ${c.alsoFrom.length ? `<span class="chip">also from ${esc(c.alsoFrom.join(", "))}</span>` : ""}</div>`;
  li.addEventListener("click", () => showDetail(c.guid));
  return li;
}

// ---------------------------------------------------------------- detail

async function showDetail(guid) {
  const box = $("#detail-body");
  box.textContent = "Loading…";
  $("#detail").showModal();
  try {
    const r = await api("/v1/dispatches/" + encodeURIComponent(guid));
    const d = r.dispatch;
    const history = (d.history || []).map((h) => `<tr><td>v${esc(h.version)}</td><td>${esc(h.kind)}</td><td>${esc(when(h.versioncreated || h.received_at))}</td><td>${esc(h.note || "")}</td></tr>`).join("");
    const events = r.events.map((e) => `<tr><td><span class="badge">${esc(e.type)}</span></td><td style="text-align:left">${Object.entries(e.roles || {}).map(([role, xs]) => `${esc(role)}: ${xs.map((x) => esc(x.name)).join(", ")}`).join("<br>")}</td><td>${e.amount ? esc(e.amount.value + " " + (e.amount.currency || "")) : ""}</td><td>${esc((e.confidence ?? "").toString())}</td></tr>`).join("");
    const story = r.story.map((x) => `<li>${esc(x.provider || "")}: ${esc(x.headline || x.guid)}</li>`).join("");
    const places = (d.places || []).map((p) => `<span class="chip LOC" title="${esc(p.kind)}${p.latitude != null ? ` ${esc(p.latitude.toFixed(2))}, ${esc(p.longitude.toFixed(2))}` : ""}">${esc(p.canonical)}${p.country ? ` (${esc(p.country)})` : ""}</span>`).join("");
    const topics = (d.subjects || []).map((t) => `<span class="chip">${esc(t.name || t.code)}</span>`).join("");
    const entities = (d.entities || []).map((e) => `<span class="chip ${esc(e.type)}" title="${esc(e.id)} · typed by ${esc(e.typed_by || "model")}">${esc(e.name)}</span>`).join("");
    box.innerHTML = `
      <p class="meta">${esc(d.provider || "")} · ${esc((d.dateline || {}).place || "")} · ${esc(when(d.versioncreated))} · ${esc(d.language || "")} · v${esc(d.version)} · ${esc(r.pubstatus)}</p>
      <h2>${esc(d.headline || d.guid)}</h2>
      <div class="body">${(d.body || []).map((p) => `<p>${esc(p)}</p>`).join("")}</div>
      ${entities ? `<h3>Entities</h3><div class="chips">${entities}</div>` : ""}
      ${places ? `<h3>Places</h3><div class="chips places">${places}</div>` : ""}
      ${topics ? `<h3>Topics</h3><div class="chips topics">${topics}</div>` : ""}
      ${history ? `<h3>Versions</h3><table>${history}</table>` : ""}
      ${events ? `<h3>Events</h3><table><tr><th>type</th><th>roles</th><th>amount</th><th>confidence</th></tr>${events}</table>` : ""}
      ${story ? `<h3>Same story</h3><ul>${story}</ul>` : ""}
      <p class="meta">${esc(d.guid)}</p>`;
  } catch (err) {
    box.textContent = "Could not load: " + err.message;
  }
}
$("#detail-close").addEventListener("click", () => $("#detail").close());

// ---------------------------------------------------------------- live feed

let liveSource = null;
async function startLive() {
  const list = $("#live-list");
  try {
    const page = await api("/v1/search?sort=time&size=30");
    dependencyUp("elasticsearch");
    list.replaceChildren(...page.hits.map((h) => card(fromHit(h), false)));
  } catch (err) {
    list.innerHTML = `<li class="unavailable">${esc(err.message)}</li>`;
  }
  openLive();
}
let canSubscribe = true; // the session's key has the 'subscribe' scope (streams, alerts)
function openLive() {
  if (!canSubscribe) {
    $("#conn").textContent = "○ no live feed (the key lacks 'subscribe')";
    return;
  }
  liveSource = new EventSource("/v1/stream/dispatches");
  liveSource.onopen = () => { $("#conn").textContent = "● live"; $("#conn").classList.add("on"); dependencyUp("kafka"); };
  liveSource.onerror = () => {
    $("#conn").textContent = "○ reconnecting";
    $("#conn").classList.remove("on");
    // A refused stream (503: Kafka down) is not retried by the browser: try again later.
    if (liveSource.readyState === EventSource.CLOSED) {
      checkDependencies();
      setTimeout(openLive, 5000);
    }
  };
  liveSource.addEventListener("dispatch", (msg) => {
    const list = $("#live-list");
    const c = fromDispatch(JSON.parse(msg.data));
    list.querySelectorAll(`[data-guid="${CSS.escape(c.guid)}"]`).forEach((el) => el.remove());
    if (c.killed) return;
    list.prepend(card(c, true));
    while (list.children.length > 200) list.lastElementChild.remove();
  });
}

// ---------------------------------------------------------------- search

const FILTER_PARAM = { orgs: "org", people: "person", places: "place", countries: "country", topics: "topic", event_types: "event_type", language: "lang", provider: "source" };
const filters = []; // [param, value]
let cursor = null;

function searchParams() {
  const p = new URLSearchParams();
  if ($("#q").value.trim()) p.set("q", $("#q").value.trim());
  p.set("sort", $("#sort").value);
  p.set("size", "20");
  p.set("histogram", "day");
  for (const [k, v] of filters) p.append(k, v);
  return p;
}
let searchSeq = 0; // only the latest search may render: responses can come back out of order
async function runSearch(more) {
  const mine = ++searchSeq;
  const p = searchParams();
  if (more && cursor) p.set("cursor", cursor);
  let page;
  try {
    page = await api("/v1/search?" + p.toString());
  } catch (err) {
    if (mine === searchSeq) $("#search-total").textContent = err.message;
    return;
  }
  dependencyUp("elasticsearch");
  if (mine !== searchSeq) return;
  cursor = page.next;
  $("#more").hidden = !cursor;
  const list = $("#search-results");
  const cards = page.hits.map((h) => card(fromHit(h), false));
  if (more) list.append(...cards); else list.replaceChildren(...cards);
  if (more) return;
  $("#search-total").textContent = `${page.total} dispatch(es)`;
  renderFacets(page.facets);
  renderHistogram(page.histogram || []);
  $("#active-filters").replaceChildren(...filters.map(([k, v], i) => {
    const chip = document.createElement("span");
    chip.className = "chip active-filter";
    chip.textContent = `${k}: ${v} ×`;
    chip.addEventListener("click", () => { filters.splice(i, 1); runSearch(false); });
    return chip;
  }));
}
function renderFacets(facets) {
  const box = $("#facets");
  box.replaceChildren();
  for (const [name, buckets] of Object.entries(facets)) {
    const param = FILTER_PARAM[name];
    if (!param || !buckets.length) continue;
    const h = document.createElement("h4");
    h.textContent = name.replace("_", " ");
    const ul = document.createElement("ul");
    for (const b of buckets) {
      const li = document.createElement("li");
      const btn = document.createElement("button");
      btn.className = "facet";
      btn.dataset.facet = name;
      btn.dataset.value = b.value;
      btn.innerHTML = `<span>${esc(b.label || b.value)}</span><span class="count">${esc(b.count)}</span>`;
      btn.addEventListener("click", () => { filters.push([param, b.value]); runSearch(false); });
      li.append(btn);
      ul.append(li);
    }
    box.append(h, ul);
  }
}
function renderHistogram(buckets) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  $("#histogram").replaceChildren(...buckets.map((b) => {
    const bar = document.createElement("div");
    bar.style.height = `${Math.max(4, (60 * b.count) / max)}px`;
    bar.title = `${b.value.slice(0, 10)}: ${b.count}`;
    return bar;
  }));
}
$("#search-form").addEventListener("submit", (e) => { e.preventDefault(); runSearch(false); });
$("#more").addEventListener("click", () => runSearch(true));
$("#save-search").addEventListener("click", async () => {
  const name = prompt("Name of this alert", $("#q").value.trim() || "my alert");
  if (!name) return;
  const query = { text: $("#q").value.trim() };
  const keyOf = { org: "orgs", person: "people", place: "places", event_type: "event_types" };
  for (const [k, v] of filters) {
    if (keyOf[k]) (query[keyOf[k]] = query[keyOf[k]] || []).push(v);
    if (k === "lang") query.language = v;
    if (k === "source") query.provider = v;
  }
  try {
    await api("/v1/saved-searches", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, query }) });
    loadSaved();
  } catch (err) { alert(err.message); }
});

// ---------------------------------------------------------------- events

let eventSource = null;
function eventCard(e, fresh) {
  const li = document.createElement("li");
  li.className = "card" + (fresh ? " fresh" : "");
  li.dataset.eventId = e.id;
  const roles = Object.entries(e.roles || {}).map(([r, xs]) => `${esc(r)}: <b>${xs.map((x) => esc(x.name)).join(", ")}</b>`).join(" · ");
  li.innerHTML = `<div class="meta"><span class="badge">${esc(e.type)}</span><span>${esc(when(e.versioncreated))}</span>
    ${e.amount ? `<span>${esc(e.amount.value)} ${esc(e.amount.currency || "")}</span>` : ""}<span>confidence ${esc(e.confidence)}</span></div>
    <p>${roles}</p><p class="snip">${esc(e.evidence || "")}</p>`;
  li.addEventListener("click", () => showDetail(e.dispatch_guid));
  return li;
}
async function runEvents() {
  const p = new URLSearchParams();
  const type = $("#event-type").value;
  if (type) p.append("type", type);
  if ($("#event-entity").value.trim()) p.append("entity", $("#event-entity").value.trim());
  if ($("#event-q").value.trim()) p.set("q", $("#event-q").value.trim());
  const list = $("#events-list");
  try {
    const page = await api("/v1/events?" + p.toString());
    list.replaceChildren(...page.events.map((e) => eventCard(e, false)));
  } catch (err) { list.innerHTML = `<li>${esc(err.message)}</li>`; }
  if (eventSource) eventSource.close();
  if (!canSubscribe) return;
  eventSource = new EventSource("/v1/stream/events?" + p.toString());
  eventSource.onmessage = null;
  const onEvent = (msg) => list.prepend(eventCard(JSON.parse(msg.data), true));
  for (const t of eventTypes) eventSource.addEventListener(t, onEvent);
  // A killed or corrected dispatch withdraws events it had stated: strike them out.
  eventSource.addEventListener("retraction", (msg) => {
    const r = JSON.parse(msg.data);
    for (const li of list.querySelectorAll("li.card")) {
      if (li.dataset.eventId !== r.retracts || li.classList.contains("retracted")) continue;
      li.classList.add("retracted");
      li.querySelector(".meta").insertAdjacentHTML("beforeend", `<span class="badge killed">retracted: ${esc(r.reason)}</span>`);
    }
  });
}
let eventTypes = [];
$("#events-form").addEventListener("submit", (e) => { e.preventDefault(); runEvents(); });

// ---------------------------------------------------------------- alerts

async function loadSaved() {
  const ul = $("#saved-list");
  try {
    const saved = await api("/v1/saved-searches");
    ul.replaceChildren(...saved.map((s) => {
      const li = document.createElement("li");
      li.innerHTML = `<b>${esc(s.name)}</b> <code>${esc(JSON.stringify(s.query.text || ""))}</code> `;
      const del = document.createElement("button");
      del.textContent = "delete";
      del.addEventListener("click", async () => { await api("/v1/saved-searches/" + s.id, { method: "DELETE" }); loadSaved(); });
      li.append(del);
      return li;
    }));
    if (!saved.length) ul.innerHTML = "<li>None yet: search, then “Save as alert”.</li>";
  } catch (err) { ul.innerHTML = `<li>${esc(err.message)}</li>`; }
}
function startAlerts() {
  if (!canSubscribe) return;
  const src = new EventSource("/v1/stream/alerts");
  src.addEventListener("alert", (msg) => {
    const a = JSON.parse(msg.data);
    const c = { guid: a.guid, headline: a.headline, published: a.published, provider: a.provider, language: a.language, snippets: [], chips: [], events: [], alsoFrom: [], killed: false, version: a.version, place: `alert: ${a.saved_search_name}` };
    $("#alerts-list").prepend(card(c, true));
    const tab = document.querySelector('[data-view="alerts"]');
    if (!tab.classList.contains("active")) tab.textContent = "Alerts •";
  });
}

// ---------------------------------------------------------------- health

async function loadHealth() {
  // 200 when every dependency answers, 503 (the same report) when one does not.
  const h = await checkDependencies();
  if (!h || !h.dependencies) { $("#health-figures").textContent = (h && h.error) || "health unavailable"; return; }
  $("#dependencies tbody").innerHTML = Object.entries(h.dependencies).map(([name, d]) => `<tr class="${esc(d.status)}" data-dependency="${esc(name)}"><td>${esc(name)}</td><td>${esc(d.address)}</td><td>${d.status === "up" ? "up" : "DOWN"}</td><td>${d.latency_ms == null ? "" : esc(d.latency_ms) + " ms"}</td><td>${esc(d.error || "")}</td></tr>`).join("");
  {
    const fig = (label, value) => `<div class="figure"><b>${esc(value ?? "–")}</b>${esc(label)}</div>`;
    $("#health-figures").innerHTML = fig("indexed, last minute", h.indexed_last_minute) + fig("indexed, last hour", h.indexed_last_hour)
      + fig("dispatches indexed", h.indexed_total) + fig("events indexed", h.events_total)
      + fig("consumer lag", h.total_lag) + fig("dead letters", h.dead_letters);
    $("#lag-table tbody").innerHTML = h.lag.map((p) => `<tr><td>${esc(p.partition)}</td><td>${esc(p.end)}</td><td>${esc(p.committed)}</td><td>${esc(p.lag)}</td></tr>`).join("");
  }
}

// ---------------------------------------------------------------- tabs and start

document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => {
  document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("active", x === b));
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + b.dataset.view; });
  if (b.dataset.view === "alerts") { b.textContent = "Alerts"; loadSaved(); }
  if (b.dataset.view === "events" && !eventSource) runEvents();
  if (b.dataset.view === "search" && !$("#search-results").children.length) runSearch(false);
  if (b.dataset.view === "health") loadHealth();
}));
setInterval(() => { if (!$("#view-health").hidden) loadHealth(); }, 3000);
setInterval(() => { if ($("#view-health").hidden && $("#login").hidden) checkDependencies(); }, 15000);

// ---------------------------------------------------------------- session

function showLogin(message) {
  $("#login").hidden = false;
  $("main").hidden = true;
  $("#login-error").textContent = message || "";
  $("#apikey").focus();
}
$("#login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await api("/v1/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ api_key: $("#apikey").value }) });
    $("#apikey").value = ""; // the cookie holds the session from now on, not the page
    location.reload();
  } catch (err) {
    $("#login-error").textContent = err.status === 401 ? "Unknown API key." : err.message;
  }
});
$("#logout").addEventListener("click", async () => {
  await api("/v1/session", { method: "DELETE" }).catch(() => null);
  location.reload();
});

(async function start() {
  const meta = await api("/v1/meta");
  eventTypes = meta.event_types;
  for (const t of eventTypes) $("#event-type").append(new Option(t, t));
  const session = await api("/v1/session");
  if (session.auth_required && !session.authenticated) { showLogin(""); return; }
  $("#logout").hidden = !session.auth_required;
  canSubscribe = !session.auth_required || session.scopes.includes("subscribe") || session.scopes.includes("admin");
  startLive();
  startAlerts();
  checkDependencies();
})();
