// How values read for people on the page: event types in words (the labels /v1/meta gives,
// in the page's language), amounts as the API writes them (amount.display), dates, the
// "received" of undated copy, urgency. Plain browser JavaScript, loaded before app.js.
"use strict";

const wireFormat = (() => {
  let labels = {}; // code -> {en, fr}, from /v1/meta
  let ui = localStorage.getItem("wire-ui-lang") || ((navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en");
  const locale = () => (ui === "fr" ? "fr-FR" : "en-GB");

  function eventLabel(code) {
    const l = labels[code];
    return l ? l[ui] || l.en : code;
  }
  // "700 millions de dollars" / "$700 million", written by the server (pipeline.render.amounts)
  function amountText(amount) {
    if (!amount) return "";
    if (amount.display) return amount.display;
    return amount.value != null ? `${amount.value} ${amount.currency || ""}`.trim() : "";
  }
  const isMidnight = (iso) => /T00:00(:00(\.0+)?)?(Z|\+00:00)?$/.test(iso || "");
  function dateTime(iso, opts = {}) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isMidnight(iso) && !opts.time) return d.toLocaleDateString(locale(), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    return d.toLocaleString(locale(), { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function longDate(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const day = d.toLocaleDateString(locale(), { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: isMidnight(iso) ? "UTC" : undefined });
    return isMidnight(iso) ? day : `${day}, ${d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })}`;
  }
  // A card's time: "24 Nov 2026, 04:56", or "received 30 Nov 2026, 04:20" for undated copy
  function cardTime(iso, kind) {
    const t = dateTime(iso);
    return kind === "received" && t ? `${ui === "fr" ? "reçu" : "received"} ${t}` : t;
  }
  function languageName(code) {
    if (!code) return "";
    try {
      const name = new Intl.DisplayNames([locale()], { type: "language" }).of(code);
      return name ? name.charAt(0).toUpperCase() + name.slice(1) : code;
    } catch (e) { return code; }
  }
  // The detail header in words: when (published, dated, or received), where, who, language, version
  function detailHeader(d, pubstatus) {
    const bits = [];
    if (d.versioncreated) bits.push(`Published ${longDate(d.versioncreated)}`);
    else if ((d.dateline || {}).date) bits.push(`Dated ${longDate(d.dateline.date)}`);
    else bits.push(`Received ${longDate(d.received_at)} (the copy carries no date)`);
    if ((d.dateline || {}).place) bits.push(titleCase(d.dateline.place));
    const agency = d.provider || (d.sources || []).join(", ");
    if (agency) bits.push(agency + (d.credit && d.credit.toLowerCase() !== agency.toLowerCase() ? ` (credit ${d.credit})` : ""));
    if (d.language) bits.push(languageName(d.language));
    const kind = d.edit_kind && d.edit_kind !== "original" ? ` (${d.edit_kind})` : "";
    bits.push(`version ${d.version}${kind}`);
    if (pubstatus && pubstatus !== "usable") bits.push(pubstatus === "canceled" ? "withdrawn" : pubstatus);
    return bits;
  }
  // "BOULOGNE-BILLANCOURT" -> "Boulogne-Billancourt"; mixed case is left alone
  function titleCase(s) {
    if (!s || /[a-z]/.test(s)) return s || "";
    return s.toLowerCase().replace(/(^|[\s\-'’(])(\p{L})/gu, (m, sep, c) => sep + c.toUpperCase());
  }
  const urgencyWord = (u) => (u === 1 ? "FLASH" : u === 2 ? "URGENT" : "");
  return {
    setLabels: (l) => { labels = l || {}; },
    get ui() { return ui; },
    setUi: (lang) => { ui = lang; localStorage.setItem("wire-ui-lang", lang); },
    eventLabel, amountText, dateTime, longDate, cardTime, languageName, detailHeader, titleCase, urgencyWord,
  };
})();
