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
    guid: h.guid, headline: h.headline, published: h.published, timeKind: h.time_kind, place: h.dateline_place,
    provider: h.provider, language: h.language, urgency: h.urgency, snippets: h.snippets || [],
    chips: [...(h.orgs || []).map((n) => ["ORG", n, n]), ...(h.people || []).map((n) => ["PER", n, n]), ...(h.places || []).map((n) => ["LOC", n, n])],
    events: h.event_types || [], alsoFrom: h.also_from || [], killed: false, version: h.version,
  };
}
function fromDispatch(d) {
  const seen = new Set();
  const chips = [];
  for (const e of d.entities || []) {
    const k = e.type + e.name;
    if (["ORG", "PER", "LOC"].includes(e.type) && !seen.has(k)) { seen.add(k); chips.push([e.type, e.name, e.id]); }
  }
  const dated = d.versioncreated || (d.dateline || {}).date;
  return {
    guid: d.guid, headline: d.headline, published: dated || d.received_at, timeKind: dated ? "published" : "received",
    place: (d.dateline || {}).place, provider: d.provider, language: d.language, urgency: d.urgency,
    snippets: [], chips: chips.slice(0, 8), events: [...new Set((d.events || []).map((e) => e.type))],
    alsoFrom: [], killed: d.pubstatus !== "usable", version: d.version,
  };
}
const eventBadge = (code) => `<span class="badge" data-type="${esc(code)}" title="${esc(code)}">${esc(wireFormat.eventLabel(code))}</span>`;
function card(c, fresh) {
  const li = document.createElement("li");
  const urgent = c.urgency && c.urgency <= 2;
  li.className = "card" + (fresh ? " fresh" : "") + (urgent ? " urgent" : "");
  li.dataset.guid = c.guid;
  // flashes and urgent items say so; 3 is shown as a number; routine (4-9) says nothing
  const urg = c.urgency && c.urgency <= 3 ? `<span class="urgency u${esc(c.urgency)}" title="urgency ${esc(c.urgency)}">${esc(wireFormat.urgencyWord(c.urgency) || c.urgency)}</span>` : "";
  li.innerHTML = `
    <div class="meta">${urg}<span class="when">${esc(wireFormat.cardTime(c.published, c.timeKind))}</span><span class="place">${esc(wireFormat.titleCase(c.place || ""))}</span>
      <span>${esc(c.provider || "")}</span><span>${esc(c.language || "")}</span>${c.version > 1 ? `<span>v${esc(c.version)}</span>` : ""}</div>
    <h3>${c.killed ? '<span class="badge killed">KILLED</span> ' : ""}${esc(c.headline || c.guid)}</h3>
    ${c.snippets.slice(0, 2).map((s) => `<p class="snip">… ${highlight(s)} …</p>`).join("")}
    <div class="chips">${c.events.map(eventBadge).join("")}
      ${c.alsoFrom.length ? `<span class="chip">also from ${esc(c.alsoFrom.join(", "))}</span>` : ""}</div>`;
  const chips = li.querySelector(".chips");
  for (const [t, n, ref] of c.chips) chips.append(entityLink(ref, n, t));
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
    const history = (d.history || []).map((h) => `<tr><td>v${esc(h.version)}</td><td>${esc(h.kind)}</td><td>${esc(wireFormat.dateTime(h.versioncreated || h.received_at))}</td><td>${esc(h.note || "")}</td></tr>`).join("");
    const events = r.events.map((e) => `<tr><td>${eventBadge(e.type)}</td><td style="text-align:left">${Object.entries(e.roles || {}).map(([role, xs]) => `${esc(role)}: ${xs.map((x) => `<a class="ref" href="/entities/${esc(encodeURIComponent(x.entity_id))}">${esc(x.name)}</a>`).join(", ")}`).join("<br>")}</td><td class="amount">${esc(wireFormat.amountText(e.amount))}</td><td>${esc((e.confidence ?? "").toString())}</td></tr>`).join("");
    const story = r.story.map((x) => `<li>${esc(x.provider || "")}: ${esc(x.headline || x.guid)}</li>`).join("");
    const places = (d.places || []).map((p) => `<span class="chip LOC" title="${esc(p.kind)}${p.latitude != null ? ` ${esc(p.latitude.toFixed(2))}, ${esc(p.longitude.toFixed(2))}` : ""}">${esc(p.canonical)}${p.country ? ` (${esc(p.country)})` : ""}</span>`).join("");
    const topics = (d.subjects || []).map((t) => `<span class="chip">${esc(t.name || t.code)}</span>`).join("");
    const entities = (d.entities || []).map((e) => `<a class="chip entity-link ${esc(e.type)}" href="/entities/${esc(encodeURIComponent(e.id))}" title="${esc(e.id)} · typed by ${esc(e.typed_by || "model")}">${esc(e.name)}</a>`).join("");
    box.innerHTML = `
      <p class="meta detail-head">${wireFormat.detailHeader(d, r.pubstatus).map((b) => `<span>${esc(b)}</span>`).join(" · ")}</p>
      <h2>${d.urgency && d.urgency <= 2 ? `<span class="urgent-tag">${esc(wireFormat.urgencyWord(d.urgency))}</span> ` : ""}${esc(d.headline || d.guid)}</h2>
      <div class="body">${(d.body || []).map((p) => `<p>${esc(p)}</p>`).join("")}</div>
      ${entities ? `<h3>Entities</h3><div class="chips">${entities}</div>` : ""}
      ${places ? `<h3>Places</h3><div class="chips places">${places}</div>` : ""}
      ${topics ? `<h3>Topics</h3><div class="chips topics">${topics}</div>` : ""}
      ${history ? `<h3>Versions</h3><table>${history}</table>` : ""}
      ${events ? `<h3>Events</h3><table><tr><th>type</th><th>roles</th><th>amount</th><th>confidence</th></tr>${events}</table>` : ""}
      ${story ? `<h3>Same story</h3><ul>${story}</ul>` : ""}
      <p class="meta">${esc(d.guid)}</p>`;
    box.querySelectorAll("a.entity-link, a.ref").forEach((a) => a.addEventListener("click", (ev) => { ev.preventDefault(); $("#detail").close(); navigate(a.getAttribute("href")); }));
  } catch (err) {
    box.textContent = "Could not load: " + err.message;
  }
}
$("#detail-close").addEventListener("click", () => $("#detail").close());

// ---------------------------------------------------------------- live feed

let liveSource = null;
let liveFeed = null; // PagedList: thousands of dispatches, one page of cards in the DOM
async function startLive() {
  const list = $("#live-list");
  liveFeed = new PagedList(list, { render: (c, fresh) => card(c, fresh), key: (c) => c.guid, pageSize: 50, max: 5000, empty: "Nothing indexed yet." });
  try {
    const page = await api("/v1/search?sort=time&size=50");
    dependencyUp("elasticsearch");
    liveFeed.reset(page.hits.map(fromHit));
  } catch (err) {
    liveFeed.reset([]);
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
  liveSource.addEventListener("dispatch", (msg) => addLive(JSON.parse(msg.data)));
}
function addLive(d) {
  const c = fromDispatch(d);
  if (c.killed) { liveFeed.remove(c.guid); return; }
  liveFeed.prepend(c);
  if (c.urgency && c.urgency <= 2) notify(`${wireFormat.urgencyWord(c.urgency)} · ${c.provider || ""}`, c.headline || c.guid, c.guid, c.urgency);
}

// Browser notifications for flashes, urgent items and alerts, when the reader asked for them
function notify(title, body, guid, urgency) {
  if (localStorage.getItem("wire-notify") !== "on" || !("Notification" in window) || Notification.permission !== "granted") return;
  const n = new Notification(title, { body, tag: guid, requireInteraction: urgency === 1 });
  n.onclick = () => { window.focus(); showDetail(guid); };
}
function setupNotifications() {
  const btn = $("#notify");
  const draw = () => {
    const on = localStorage.getItem("wire-notify") === "on" && "Notification" in window && Notification.permission === "granted";
    btn.textContent = on ? "● notifying urgent" : "○ notify urgent";
    btn.classList.toggle("on", on);
  };
  btn.addEventListener("click", async () => {
    if (!("Notification" in window)) { alert("This browser has no notifications"); return; }
    if (localStorage.getItem("wire-notify") === "on") localStorage.removeItem("wire-notify");
    else if ((await Notification.requestPermission()) === "granted") localStorage.setItem("wire-notify", "on");
    draw();
  });
  draw();
}

// ---------------------------------------------------------------- search

const FILTER_PARAM = { orgs: "org", people: "person", places: "place", countries: "country", topics: "topic", event_types: "event_type", language: "lang", provider: "source" };
const FACET_TITLE = { orgs: "organisations", people: "people", places: "places", countries: "countries", topics: "topics", event_types: "event types", language: "language", provider: "agency" };
const filters = []; // [param, value]
let dateRange = null; // [since, until] ISO, from the histogram
let cursor = null;
let searchResults = null;

function searchParams() {
  const p = new URLSearchParams();
  if ($("#q").value.trim()) p.set("q", $("#q").value.trim());
  p.set("sort", $("#sort").value);
  p.set("size", "50");
  p.set("histogram", "day");
  for (const [k, v] of filters) p.append(k, v);
  if (dateRange) { p.set("since", dateRange[0]); p.set("until", dateRange[1]); }
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
    return false;
  }
  dependencyUp("elasticsearch");
  if (mine !== searchSeq) return false;
  cursor = page.next;
  if (!searchResults) {
    searchResults = new PagedList($("#search-results"), {
      render: (h) => card(fromHit(h), false), key: (h) => h.guid, pageSize: 20, max: 5000,
      loadMore: () => runSearch(true), empty: "No dispatch matches.",
    });
  }
  if (more) { searchResults.append(page.hits, !!cursor); return true; }
  searchResults.reset(page.hits, !!cursor);
  $("#search-total").textContent = `${page.total} dispatch(es)`;
  renderFacets(page.facets);
  renderHistogram($("#histogram"), page.histogram || [], {
    interval: "day",
    range: dateRange && [Date.parse(dateRange[0]), Date.parse(dateRange[1])],
    onRange: (since, until) => { dateRange = [since, until]; runSearch(false); },
  });
  const chip = (text, drop) => {
    const el = document.createElement("span");
    el.className = "chip active-filter";
    el.textContent = text;
    el.addEventListener("click", () => { drop(); runSearch(false); });
    return el;
  };
  const chips = filters.map(([k, v], i) => chip(`${k}: ${k === "event_type" ? wireFormat.eventLabel(v) : v} ×`, () => filters.splice(i, 1)));
  if (dateRange) chips.push(chip(`dates: ${wireFormat.dateTime(dateRange[0])} – ${wireFormat.dateTime(dateRange[1])} ×`, () => { dateRange = null; }));
  $("#active-filters").replaceChildren(...chips);
  return true;
}
function renderFacets(facets) {
  const box = $("#facets");
  box.replaceChildren();
  for (const [name, buckets] of Object.entries(facets)) {
    const param = FILTER_PARAM[name];
    if (!param || !buckets.length) continue;
    const h = document.createElement("h4");
    h.textContent = FACET_TITLE[name] || name.replace("_", " ");
    const ul = document.createElement("ul");
    for (const b of buckets) {
      const li = document.createElement("li");
      const btn = document.createElement("button");
      btn.className = "facet";
      btn.dataset.facet = name;
      btn.dataset.value = b.value;
      const label = name === "event_types" ? wireFormat.eventLabel(b.value) : b.label || b.value;
      btn.innerHTML = `<span>${esc(label)}</span><span class="count">${esc(b.count)}</span>`;
      btn.addEventListener("click", () => { filters.push([param, b.value]); runSearch(false); });
      li.append(btn);
      ul.append(li);
    }
    box.append(h, ul);
  }
}
$("#search-form").addEventListener("submit", (e) => { e.preventDefault(); runSearch(false); });
$("#save-search").addEventListener("click", () => {
  const query = { text: $("#q").value.trim() };
  const keyOf = { org: "orgs", person: "people", place: "places", event_type: "event_types", country: "countries", topic: "subjects" };
  for (const [k, v] of filters) {
    if (keyOf[k]) (query[keyOf[k]] = query[keyOf[k]] || []).push(v);
    if (k === "lang") query.language = v;
    if (k === "source") query.provider = v;
  }
  openSaveDialog(query);
});

// ---------------------------------------------------------------- events

let eventSource = null;
let eventList = null; // PagedList of events; retractions mark the items they withdraw
function eventCard(e, fresh) {
  const li = document.createElement("li");
  li.className = "card" + (fresh ? " fresh" : "") + (e.retracted ? " retracted" : "");
  li.dataset.eventId = e.id;
  const roles = Object.entries(e.roles || {}).map(([r, xs]) => `${esc(r)}: <b>${xs.map((x) => `<a class="ref" href="/entities/${esc(encodeURIComponent(x.entity_id))}">${esc(x.name)}</a>`).join(", ")}</b>`).join(" · ");
  const amount = wireFormat.amountText(e.amount);
  li.innerHTML = `<div class="meta">${eventBadge(e.type)}<span>${esc(wireFormat.dateTime(e.versioncreated))}</span>
    ${amount ? `<span class="amount">${esc(amount)}</span>` : ""}<span>confidence ${esc(e.confidence)}</span>
    ${e.retracted ? `<span class="badge killed">retracted: ${esc(e.retracted)}</span>` : ""}</div>
    <p>${roles}</p><p class="snip">${esc(e.evidence || "")}</p>`;
  li.querySelectorAll("a.ref").forEach((a) => a.addEventListener("click", (ev) => { ev.preventDefault(); ev.stopPropagation(); navigate(a.getAttribute("href")); }));
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
  if (!eventList) eventList = new PagedList(list, { render: eventCard, key: (e) => e.id, pageSize: 50, max: 5000, empty: "No event matches." });
  try {
    const page = await api("/v1/events?size=100&" + p.toString());
    eventList.reset(page.events);
  } catch (err) { list.innerHTML = `<li>${esc(err.message)}</li>`; }
  if (eventSource) eventSource.close();
  if (!canSubscribe) return;
  eventSource = new EventSource("/v1/stream/events?" + p.toString());
  eventSource.onmessage = null;
  const onEvent = (msg) => eventList.prepend(JSON.parse(msg.data));
  for (const t of eventTypes) eventSource.addEventListener(t, onEvent);
  // A killed or corrected dispatch withdraws events it had stated: strike them out.
  eventSource.addEventListener("retraction", (msg) => {
    const r = JSON.parse(msg.data);
    const e = eventList.find(r.retracts);
    if (!e || e.retracted) return;
    e.retracted = r.reason;
    eventList.draw();
  });
}
let eventTypes = [];
$("#events-form").addEventListener("submit", (e) => { e.preventDefault(); runEvents(); });

// ---------------------------------------------------------------- alerts: alerts.js

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

// ---------------------------------------------------------------- views, addresses and start

function showView(name) {
  document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("active", x.dataset.view === name));
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + name; });
  if (name === "alerts") { document.querySelector('[data-view="alerts"]').textContent = "Alerts"; loadSaved(); loadAlertHistory(); }
  if (name === "events" && !eventSource) runEvents();
  if (name === "search" && !searchResults) runSearch(false);
  if (name === "health") loadHealth();
}
// Addresses people share: /entities/{id} (a timeline), /dispatches/{guid} (a dispatch)
function route() {
  const path = decodeURIComponent(location.pathname);
  if (path.startsWith("/entities/")) { showView("entity"); showEntity(path.slice("/entities/".length)); return; }
  document.title = "wirestream";
  if (path.startsWith("/dispatches/")) { showView("live"); showDetail(path.slice("/dispatches/".length)); return; }
  const hash = location.hash.slice(1);
  showView(["live", "search", "events", "alerts", "health"].includes(hash) ? hash : "live");
}
function navigate(path) {
  history.pushState({}, "", path);
  route();
}
window.addEventListener("popstate", route);
document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => {
  history.pushState({}, "", "/#" + b.dataset.view);
  showView(b.dataset.view);
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
  wireFormat.setLabels(meta.event_type_labels);
  const fillTypes = () => {
    const sel = $("#event-type");
    const chosen = sel.value;
    sel.replaceChildren(new Option("all event types", ""), ...eventTypes.map((t) => new Option(wireFormat.eventLabel(t), t)));
    sel.value = chosen;
  };
  fillTypes();
  const lang = $("#ui-lang");
  lang.value = wireFormat.ui;
  lang.addEventListener("change", () => { wireFormat.setUi(lang.value); fillTypes(); route(); if (liveFeed) liveFeed.draw(); if (searchResults) runSearch(false); if (eventList) eventList.draw(); if (alertHistory) alertHistory.draw(); });
  const session = await api("/v1/session");
  if (session.auth_required && !session.authenticated) { showLogin(""); return; }
  $("#logout").hidden = !session.auth_required;
  canSubscribe = !session.auth_required || session.scopes.includes("subscribe") || session.scopes.includes("admin");
  setupNotifications();
  route();
  startLive();
  startAlerts();
  checkDependencies();
})();
