// The Alerts view: saved searches (with where they deliver), the alert history from
// GET /v1/alerts (paged, with each delivery's status), alerts arriving live on top, and the
// "Save as alert" dialog (name, e-mail digest, webhook). Uses api(), esc(), PagedList.
"use strict";

let alertHistory = null;
let alertsNext = null;

function deliveryBadges(deliveries) {
  return (deliveries || []).map((d) => {
    const what = d.channel === "email" ? "e-mail" : "webhook";
    const tries = d.attempts > 1 ? ` after ${d.attempts} tries` : "";
    const text = d.status === "delivered" ? `${what} ✓${tries}` : d.status === "failed" ? `${what} ✗ ${d.attempts} tries` : `${what} ${d.status}`;
    return `<span class="delivery ${esc(d.status)}" title="${esc(d.target)}${d.last_error ? " — " + esc(d.last_error) : ""}">${esc(text)}</span>`;
  }).join("");
}

function alertCard(a, fresh) {
  const li = document.createElement("li");
  const urgent = a.urgency && a.urgency <= 2;
  li.className = "card alert" + (fresh ? " fresh" : "") + (urgent ? " urgent" : "");
  li.dataset.guid = a.guid;
  li.dataset.alertId = a.id;
  li.innerHTML = `
    <div class="meta">${urgent ? `<span class="urgent-tag">${esc(wireFormat.urgencyWord(a.urgency))}</span>` : ""}
      <span class="saved-name">${esc(a.saved_search_name)}</span>
      <span>matched ${esc(wireFormat.dateTime(a.matched_at))}</span>
      <span>${esc(a.provider || "")}</span>${a.dateline_place ? `<span>${esc(wireFormat.titleCase(a.dateline_place))}</span>` : ""}</div>
    <h3>${esc(a.headline || a.guid)}</h3>
    <div class="chips">${(a.event_types || []).map((t) => `<span class="badge" title="${esc(t)}">${esc(wireFormat.eventLabel(t))}</span>`).join("")}
      ${deliveryBadges(a.deliveries)}</div>`;
  li.addEventListener("click", () => showDetail(a.guid));
  return li;
}

async function loadAlertHistory() {
  if (!alertHistory) {
    alertHistory = new PagedList($("#alerts-list"), {
      render: alertCard, key: (a) => a.id, pageSize: 25, max: 5000,
      empty: "No alert yet: save a search, and each new dispatch it matches appears here.",
      loadMore: async () => {
        if (!alertsNext) return false;
        const page = await api("/v1/alerts?size=100&cursor=" + encodeURIComponent(alertsNext));
        alertsNext = page.next;
        alertHistory.append(page.alerts, !!page.next);
        return true;
      },
    });
  }
  try {
    const page = await api("/v1/alerts?size=100");
    alertsNext = page.next;
    alertHistory.reset(page.alerts, !!page.next);
    $("#alerts-total").textContent = `${page.total.toLocaleString()} alert(s)`;
  } catch (err) { $("#alerts-total").textContent = err.message; }
}

function deliverySummary(d) {
  const bits = [];
  if (d && d.email) bits.push(`e-mail digest to ${d.email.to.join(", ")} every ${d.email.every_minutes} min`);
  for (const w of (d && d.webhooks) || []) bits.push(`webhook (${w.format}) ${w.url}`);
  return bits.length ? bits.join(" · ") : "on this page only";
}

async function loadSaved() {
  const ul = $("#saved-list");
  try {
    const saved = await api("/v1/saved-searches");
    ul.replaceChildren(...saved.map((s) => {
      const li = document.createElement("li");
      li.dataset.savedId = s.id;
      li.innerHTML = `<b>${esc(s.name)}</b> <code>${esc(JSON.stringify(s.query.text || ""))}</code> <span class="meta">→ ${esc(deliverySummary(s.delivery))}</span> `;
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
    if (alertHistory) alertHistory.prepend({ ...a, deliveries: [] });
    const tab = document.querySelector('[data-view="alerts"]');
    if (!tab.classList.contains("active")) tab.textContent = "Alerts •";
    notify(`Alert · ${a.saved_search_name}`, a.headline || a.guid, a.guid, a.urgency);
  });
}

// "Save as alert": the current search, and where to deliver it beyond this page
function openSaveDialog(query) {
  const dlg = $("#save-dialog");
  const form = $("#save-form");
  form.reset();
  $("#save-name").value = query.text || "my alert";
  $("#save-result").textContent = "";
  dlg.showModal();
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (ev.submitter && ev.submitter.value === "cancel") { dlg.close(); return; }
    const delivery = { webhooks: [] };
    const to = $("#save-email").value.split(/[,;\s]+/).filter(Boolean);
    if (to.length) delivery.email = { to, every_minutes: Number($("#save-every").value) || 60 };
    if ($("#save-webhook").value.trim()) delivery.webhooks.push({ url: $("#save-webhook").value.trim(), format: $("#save-format").value });
    try {
      const saved = await api("/v1/saved-searches", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: $("#save-name").value.trim(), query, delivery }) });
      loadSaved();
      const secret = (saved.delivery.webhooks[0] || {}).secret;
      if (secret) {
        $("#save-result").innerHTML = `Saved. Webhook signing key (shown once): <code>${esc(secret)}</code>`;
      } else dlg.close();
    } catch (err) { $("#save-result").textContent = err.message; }
  };
}
