// A list that stays usable with thousands of items: it keeps at most `max` of them in
// memory (the oldest fall off), and the page shows one page of `pageSize` cards at a time
// with a pager, so the DOM never holds more than a page, whatever arrived.
"use strict";

class PagedList {
  constructor(list, { render, key, pageSize = 50, max = 5000, loadMore = null, empty = "" }) {
    this.list = list;
    this.render = render;
    this.key = key;
    this.pageSize = pageSize;
    this.max = max;
    this.loadMore = loadMore; // async () => [items] (older ones), or null when there are no more
    this.more = false;
    this.empty = empty;
    this.items = [];
    this.page = 0;
    this.unseen = 0;
    this.loaded = false; // the first page is in (what arrives live goes on top of it)
    this.bar = document.createElement("div");
    this.bar.className = "pager";
    list.before(this.bar); // on top: the count, and "N new ↑", stay in sight
  }
  get pages() { return Math.max(1, Math.ceil(this.items.length / this.pageSize)); }
  reset(items, more = false) {
    this.loaded = true;
    this.items = items.slice(0, this.max);
    this.more = more;
    this.page = 0;
    this.unseen = 0;
    this.draw();
  }
  // Newer items on top: the first page redraws; elsewhere a "N new" counter grows.
  prepend(item) {
    const k = this.key(item);
    const at = this.items.findIndex((x) => this.key(x) === k);
    if (at >= 0) this.items.splice(at, 1);
    this.items.unshift(item);
    if (this.items.length > this.max) this.items.length = this.max;
    if (this.page === 0) this.draw(k); else { this.unseen += 1; this.drawBar(); }
  }
  remove(k) {
    const at = this.items.findIndex((x) => this.key(x) === k);
    if (at < 0) return;
    this.items.splice(at, 1);
    this.draw();
  }
  find(k) { return this.items.find((x) => this.key(x) === k); }
  append(items, more) {
    this.items.push(...items);
    if (this.items.length > this.max) this.items.length = this.max;
    this.more = more;
    this.drawBar();
  }
  async go(page) {
    if (page < 0) return;
    if (page >= this.pages && this.more && this.loadMore) {
      const got = await this.loadMore();
      if (!got) return;
    }
    this.page = Math.min(page, this.pages - 1);
    if (this.page === 0) this.unseen = 0;
    this.draw();
    if (this.bar.getBoundingClientRect().top < 0) this.bar.scrollIntoView({ block: "start" });
  }
  draw(freshKey) {
    const start = this.page * this.pageSize;
    const shown = this.items.slice(start, start + this.pageSize);
    if (!shown.length && this.empty) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = this.empty;
      this.list.replaceChildren(li);
    } else {
      this.list.replaceChildren(...shown.map((x) => this.render(x, this.key(x) === freshKey)));
    }
    this.drawBar();
  }
  drawBar() {
    const n = this.items.length;
    const start = n ? this.page * this.pageSize + 1 : 0;
    const end = Math.min(n, (this.page + 1) * this.pageSize);
    this.bar.hidden = n <= this.pageSize && !this.more && !this.unseen;
    const count = `${start.toLocaleString()}–${end.toLocaleString()} of ${n.toLocaleString()}${this.more ? "+" : ""}`;
    this.bar.innerHTML = "";
    const btn = (label, cls, page, enabled) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.textContent = label;
      b.disabled = !enabled;
      b.addEventListener("click", () => this.go(page));
      return b;
    };
    const info = document.createElement("span");
    info.className = "count";
    info.textContent = count;
    this.bar.append(
      btn("« newest", "first", 0, this.page > 0),
      btn("‹ newer", "newer", this.page - 1, this.page > 0),
      info,
      btn("older ›", "older", this.page + 1, this.page < this.pages - 1 || this.more),
    );
    if (this.unseen) this.bar.prepend(btn(`${this.unseen} new ↑`, "unseen", 0, true));
  }
}
