// The entity page (/entities/{id}): everything known about a company, a person or a place
// from GET /v1/entities/{id}: its events in time order with their sources, the dispatches
// that name it, and the entities named with it. Uses api(), esc(), card() from app.js.
"use strict";

const ENTITY_KIND = { ORG: "organisation", PER: "person", LOC: "place", MISC: "other" };

function entityLink(idOrName, text, type) {
  const a = document.createElement("a");
  a.href = "/entities/" + encodeURIComponent(idOrName);
  a.className = "chip entity-link" + (type ? " " + type : "");
  a.textContent = text;
  a.addEventListener("click", (ev) => { ev.preventDefault(); ev.stopPropagation(); navigate(a.getAttribute("href")); });
  return a;
}

async function showEntity(ident) {
  const box = $("#entity");
  box.innerHTML = `<p class="meta">Loading ${esc(ident)}…</p>`;
  let t;
  try {
    t = await api("/v1/entities/" + encodeURIComponent(ident));
  } catch (err) {
    box.innerHTML = `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  const e = t.entity;
  const seen = t.first_seen ? ` · first seen ${esc(wireFormat.dateTime(t.first_seen))} · last seen ${esc(wireFormat.dateTime(t.last_seen))}` : "";
  box.innerHTML = `
    <header class="entity-head">
      <h2>${esc(e.name)} <span class="kind ${esc(e.type)}">${esc(ENTITY_KIND[e.type] || e.type)}</span></h2>
      <p class="meta"><code>${esc(e.id)}</code> · ${esc(t.dispatch_count)} dispatch(es) · ${esc(t.event_count)} event(s)${seen}</p>
      ${e.aliases.length ? `<p class="meta">also written ${e.aliases.map(esc).join(", ")}</p>` : ""}
    </header>
    <div class="entity-layout">
      <section><h3>Timeline</h3><ol class="timeline" id="entity-events"></ol></section>
      <aside><h3>Named with</h3><div class="chips" id="entity-related"></div></aside>
    </div>
    <h3>Dispatches naming ${esc(e.name)}</h3>
    <ol class="cards" id="entity-dispatches"></ol>`;
  const events = $("#entity-events");
  if (!t.events.length) events.innerHTML = `<li class="empty">No event extracted about ${esc(e.name)} yet.</li>`;
  let lastDay = "";
  for (const ev of t.events) {
    const when = ev.versioncreated || (ev.source || {}).published;
    const day = when ? wireFormat.dateTime(when.slice(0, 10) + "T00:00:00Z") : "undated";
    const li = document.createElement("li");
    li.className = "tl-item";
    li.dataset.eventId = ev.id;
    if (day !== lastDay) li.dataset.day = day;
    lastDay = day;
    const roles = Object.entries(ev.roles || {}).map(([role, xs]) => `<span class="role">${esc(role)}</span> ${xs.map((x) => `<a class="ref" data-id="${esc(x.entity_id)}" data-type="${esc(x.type)}">${esc(x.name)}</a>`).join(", ")}`).join(" · ");
    const amount = wireFormat.amountText(ev.amount);
    const src = ev.source || {};
    li.innerHTML = `
      <div class="tl-day">${esc(day)}</div>
      <div class="tl-body">
        <span class="badge" title="${esc(ev.type)}">${esc(wireFormat.eventLabel(ev.type))}</span>
        ${amount ? `<b class="amount">${esc(amount)}</b>` : ""}
        <div>${roles}</div>
        <p class="snip">${esc(ev.evidence || "")}</p>
        <p class="meta source">source: <a class="src" href="/dispatches/${esc(encodeURIComponent(src.guid || ev.dispatch_guid))}">${esc(src.provider || "")} · ${esc(src.headline || src.guid || ev.dispatch_guid)}</a></p>
      </div>`;
    li.querySelectorAll("a.ref").forEach((a) => {
      a.href = "/entities/" + encodeURIComponent(a.dataset.id);
      a.addEventListener("click", (ev2) => { ev2.preventDefault(); navigate(a.getAttribute("href")); });
    });
    li.querySelector("a.src").addEventListener("click", (ev2) => { ev2.preventDefault(); showDetail(src.guid || ev.dispatch_guid); });
    events.append(li);
  }
  $("#entity-related").replaceChildren(...t.related.map((r) => {
    const a = entityLink(r.id, `${r.name} (${r.count})`, r.type);
    a.title = r.id;
    return a;
  }));
  $("#entity-dispatches").replaceChildren(...t.dispatches.map((d) => card(fromHit({ ...d, snippets: [], orgs: [], people: [], places: [] }), false)));
  document.title = `${e.name} · wirestream`;
}
