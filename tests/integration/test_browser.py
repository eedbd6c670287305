"""The web page in real headless Chromium (Debian's package), driven by Playwright.

Log in (a session cookie, never a key in a URL), ingest a dispatch, watch it arrive in
the live feed, open it, search it, click a facet; a search node that is down is said so.
Screenshots go to test-artifacts/ (kept by CI runs for a human to look at).
"""

from __future__ import annotations

import re
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from pipeline.settings import Settings
from tests.helpers import FIXTURES, ROOT
from tests.integration.conftest import free_port, wait_for, wire_process

pytestmark = pytest.mark.integration
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandboxed machine with a closed network (no background connections).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shot(page: Page, name: str) -> None:
    """Keep a screenshot under test-artifacts/. Headless Chromium on a loaded 2-core box
    sometimes never delivers the frame a capture waits for; the page's behaviour is what
    the test asserts, so a capture that times out twice leaves the page's HTML and a
    warning in the summary instead of failing the test."""
    for _ in range(2):
        try:
            page.screenshot(
                path=str(ARTIFACTS / f"{name}.png"), animations="disabled", timeout=20_000
            )
            return
        except PlaywrightTimeoutError:
            continue
    (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    warnings.warn(f"screenshot {name}.png timed out twice; kept {name}.html", stacklevel=2)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make browser` (or apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Labels in English whatever the machine's locale (the page follows navigator.language
    # until the reader picks EN/FR); the key is given by logging in (log_in).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    errors: list[str] = []
    urls: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("request", lambda request: urls.append(request.url))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    # The key travels once, in the body of POST /v1/session; never in a URL.
    leaks = [u for u in urls if "api_key" in u or "test-" in u]
    assert not leaks, f"API key in a URL: {leaks}"


def log_in(page: Page, base: str, key: str = "test-admin") -> None:
    """The service enforces keys: the page asks for one, then holds a session cookie."""
    page.goto(base + "/")
    expect(page.locator("#login")).to_be_visible(timeout=20_000)
    page.locator("#apikey").fill(key)
    page.locator("#login-button").click()
    expect(page.locator("#login")).to_be_hidden(timeout=20_000)
    expect(page.locator("#logout")).to_be_visible()


def test_logging_in_gives_an_httponly_session_and_no_key_in_urls(api: str, page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(api + "/")
    expect(page.locator("#login")).to_be_visible(timeout=20_000)
    expect(page.locator("main")).to_be_hidden()
    page.locator("#apikey").fill("not-a-key")
    page.locator("#login-button").click()
    expect(page.locator("#login-error")).to_have_text("Unknown API key.")
    shot(page, "login")

    log_in(page, api, "test-reader")  # may read, not subscribe: no stream is opened
    expect(page.locator("#conn")).to_have_text("○ no live feed (the key lacks 'subscribe')")
    page.locator("#logout").click()
    expect(page.locator("#login")).to_be_visible(timeout=20_000)

    log_in(page, api, "test-subscriber")
    expect(page.locator("#conn")).to_have_text("● live", timeout=20_000)  # EventSource: cookie
    [cookie] = [c for c in page.context.cookies() if c["name"] == "wire_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "test-subscriber" not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # scripts on the page cannot read it
    assert page.evaluate("Object.keys(localStorage)") == []
    page.reload()  # the session outlives a reload: no second login
    expect(page.locator("#conn")).to_have_text("● live", timeout=20_000)
    expect(page.locator("#login")).to_be_hidden()

    page.locator("#logout").click()
    expect(page.locator("#login")).to_be_visible(timeout=20_000)
    assert not [c for c in page.context.cookies() if c["name"] == "wire_session"]


def test_a_search_node_that_is_down_is_said_so(
    settings: Settings,
    wire_env: dict[str, str],
    page: Page,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The API in front of a search node that does not answer (Kafka is up): the page says
    'search unavailable' (not a bare error beside a green 'live'), and the pipeline view
    names the dependency that is down and why."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = wire_env | {"WIRE_ES_URL": f"http://127.0.0.1:{free_port()}", "WIRE_API_PORT": str(port)}
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    log = tmp_path_factory.mktemp("api-no-search") / "api.log"
    with wire_process(["serve"], env, log, answers, "API without search"):
        log_in(page, base)
        badge = page.locator("#search-status")
        expect(badge).to_have_text("search unavailable", timeout=20_000)
        # Why, from whichever said it last: a 503 of a search ("Elasticsearch cannot be
        # reached …") or the page's health poll (the client's own error).
        expect(badge).to_have_attribute("title", re.compile(r"Elasticsearch|Connection"))
        expect(page.locator("#live-list")).to_contain_text("search unavailable")
        expect(page.locator("#conn")).to_have_text("● live", timeout=20_000)  # Kafka is up
        page.locator("[data-view=health]").click()
        row = page.locator("#dependencies tr[data-dependency=elasticsearch]")
        expect(row).to_contain_text("DOWN", timeout=20_000)
        expect(page.locator("#dependencies tr[data-dependency=kafka]")).to_contain_text("up")
        shot(page, "search-unavailable")
        # A script's key in the URL works, and the access log keeps neither it nor a session.
        r = httpx.get(f"{base}/v1/search", params={"api_key": "test-reader"}, timeout=30)
        assert r.status_code == 503 and r.json()["dependency"] == "elasticsearch"
        session = next(c["value"] for c in page.context.cookies() if c["name"] == "wire_session")
    logged = log.read_text()
    assert "/v1/search?api_key=***" in logged
    assert "test-reader" not in logged and "test-admin" not in logged and session not in logged


def test_live_feed_search_and_facet_in_chromium(api: str, worker: Path, page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, api)
    expect(page.locator("#conn")).to_have_text("● live", timeout=20_000)

    fixture = FIXTURES / "live" / "afp-fr-renault-nomination.txt"
    pushed = time.monotonic()
    r = httpx.post(
        f"{api}/v1/dispatches",
        content=fixture.read_bytes(),
        headers={"X-API-Key": "test-admin"},
        timeout=30,
    )
    assert r.status_code == 202, r.text

    card = page.locator("#live-list .card", has_text="Renault nomme Duncan Minto")
    expect(card).to_be_visible(timeout=60_000)
    print(f"push -> visible in the live feed: {time.monotonic() - pushed:.1f} s")
    # event types in words (the code stays in data-type), the dateline place as people write it
    expect(card.locator(".badge[data-type='personnel.hire']")).to_have_text("Appointment")
    expect(card.locator(".chip.PER", has_text="Duncan Minto")).to_be_visible()
    expect(card.locator(".place")).to_have_text("Boulogne-Billancourt")
    shot(page, "live-feed")

    card.click()
    detail = page.locator("#detail")
    expect(detail.locator("h2")).to_have_text("Renault nomme Duncan Minto directeur financier")
    expect(detail).to_contain_text("Departure")
    expect(detail).to_contain_text("Thierry Piéton")
    # the header in words: when, where, who, language, version
    expect(detail.locator(".detail-head")).to_contain_text("Published Sunday")
    expect(detail.locator(".detail-head")).to_contain_text("22 November 2026")
    expect(detail.locator(".detail-head")).to_contain_text(
        "Boulogne-Billancourt · AFP · French · version 1"
    )
    # geocoded offline from the dateline; topics from the events
    expect(detail.locator(".places")).to_contain_text("Boulogne-Billancourt (FR)")
    expect(detail.locator(".topics")).to_contain_text("business information")
    shot(page, "dispatch-detail")
    page.locator("#detail-close").click()

    page.locator("[data-view=search]").click()
    page.locator("#q").fill("Renault directeur")
    page.locator("#search-form button[type=submit]").click()
    result = page.locator("#search-results .card", has_text="Renault nomme Duncan Minto")
    expect(result).to_be_visible(timeout=20_000)
    expect(result.locator("em").first).to_be_visible()  # highlighted words

    facet = page.locator("#facets .facet[data-facet=people][data-value='Duncan Minto']")
    facet.click()
    expect(page.locator(".active-filter")).to_have_text("person: Duncan Minto ×")
    expect(page.locator("#search-results .card")).to_have_count(1)
    expect(page.locator("#search-total")).to_have_text("1 dispatch(es)")
    topics = page.locator("#facets .facet[data-facet=topics]")
    expect(topics.filter(has_text="economy, business and finance")).to_have_count(1)  # a label
    expect(page.locator("#facets .facet[data-facet=countries][data-value=FR]")).to_be_visible()
    shot(page, "search-facet")

    page.locator("[data-view=health]").click()
    expect(page.locator("#lag-table tbody tr")).not_to_have_count(0, timeout=20_000)
    shot(page, "pipeline-health")


def test_a_killed_story_is_struck_out_of_the_events_view(
    api: str, worker: Path, page: Page, tmp_path: Path
) -> None:
    """The events view lists an investment; the desk kills the dispatch; the card is
    struck out live (the retraction arrives on the page's event stream)."""
    ARTIFACTS.mkdir(exist_ok=True)
    guid = "urn:newsml:afp.com:20250327:TX-PAR-BROWSER1"

    def push(path: Path) -> None:
        data = path.read_bytes().replace(b"TX-PAR-KJP41", b"TX-PAR-BROWSER1")
        r = httpx.post(
            f"{api}/v1/dispatches",
            content=data.replace(b"Ubisoft", b"Ubisoft Browser"),
            headers={"X-API-Key": "test-admin"},
            timeout=30,
        )
        assert r.status_code == 202, r.text

    def listed() -> bool:
        r = httpx.get(
            f"{api}/v1/events",
            params={"type": "investment", "entity": "Ubisoft Browser"},
            headers={"X-API-Key": "test-admin"},
            timeout=30,
        )
        return guid in [e["dispatch_guid"] for e in r.json()["events"]]

    push(FIXTURES / "formats" / "ubisoft.newsmlg2.xml")
    wait_for(listed, what="the investment event indexed")

    log_in(page, api)
    page.locator("[data-view=events]").click()
    page.locator("#event-type").select_option("investment")
    page.locator("#event-entity").fill("Ubisoft Browser")
    page.locator("#events-form button[type=submit]").click()
    listed_card = page.locator("#events-list .card", has_text="Ubisoft Browser")
    expect(listed_card).to_have_count(1, timeout=20_000)
    # That very card, by its event id: the kill's own "Dispatch withdrawn" event may reach
    # the page's stream before or after the retraction (two topics) and name the story too.
    event_id = listed_card.get_attribute("data-event-id")
    assert event_id
    card = page.locator(f'#events-list .card[data-event-id="{event_id}"]')
    # The page's subscription is open (its position fixed) before the kill is sent.
    page.wait_for_function("() => eventSource !== null && eventSource.readyState === 1")

    push(FIXTURES / "versions" / "ubisoft-v4-kill.newsmlg2.xml")
    expect(card).to_have_class(re.compile(r"\bretracted\b"), timeout=60_000)
    expect(card.locator(".badge", has_text="retracted: killed")).to_be_visible()
    shot(page, "event-retracted")


# A stand-in for the browser's Notification (headless Chromium shows none): it records.
NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, opts) { window.__notes.push({ title, body: (opts || {}).body }); }
  static requestPermission() { return Promise.resolve("granted"); }
};
window.Notification.permission = "granted";
"""


def _push(api: str, data: bytes) -> list[str]:
    r = httpx.post(
        f"{api}/v1/dispatches", content=data, headers={"X-API-Key": "test-admin"}, timeout=30
    )
    assert r.status_code == 202, r.text
    guids: list[str] = r.json()["queued"]
    return guids


def forget(es: Elasticsearch, settings: Settings, guids: list[str]) -> None:
    """Take this test's copies out of the index again (their events too): the seed's text
    and the Ubisoft story are what other tests search for."""
    for guid in guids:
        es.options(ignore_status=404).delete(index=settings.dispatch_alias, id=guid, refresh=True)
        found = es.search(
            index=settings.event_alias, query={"term": {"dispatch_guid": guid}}, size=100
        )
        for hit in found["hits"]["hits"]:
            es.options(ignore_status=404).delete(
                index=settings.event_alias, id=hit["_id"], refresh=True
            )


def test_urgent_items_undated_copy_amounts_and_the_entity_page(
    api: str, worker: Path, page: Page, es: Elasticsearch, settings: Settings
) -> None:
    """A flash stands out and raises a notification; undated copy says 'received'; amounts
    read as written; an entity chip opens the entity's timeline."""
    pushed: list[str] = []
    try:
        _urgent_undated_entity(api, page, pushed)
    finally:
        forget(es, settings, pushed)


def _urgent_undated_entity(api: str, page: Page, pushed: list[str]) -> None:
    import json

    ARTIFACTS.mkdir(exist_ok=True)
    page.context.add_init_script(NOTIFICATIONS)
    log_in(page, api)
    expect(page.locator("#conn")).to_have_text("● live", timeout=20_000)
    page.locator("#notify").click()
    expect(page.locator("#notify")).to_have_text("● notifying urgent")

    flash = json.loads((FIXTURES / "formats" / "ubisoft.ninjs.json").read_text())
    flash |= {
        "uri": "urn:newsml:afp.com:20250327:TX-PAR-FLASH1",
        "urgency": 1,
        "headline": "Tencent investit 1,16 milliard d'euros dans Ubisoft Flashtest",
    }
    pushed += _push(api, json.dumps(flash).encode())
    undated = (ROOT / "samples" / "afp-fr-amazon-gm-rivian.txt").read_bytes()
    undated = undated.replace(b"quelques jours seulement", b"quelques jours (navigateur)", 1)
    pushed += _push(api, undated)

    urgent = page.locator("#live-list .card.urgent", has_text="Ubisoft Flashtest")
    expect(urgent).to_be_visible(timeout=60_000)
    expect(urgent.locator(".urgency")).to_have_text("FLASH")
    page.wait_for_function("() => window.__notes.some((n) => n.body.includes('Flashtest'))")
    received = page.locator("#live-list .card", has_text="quelques jours (navigateur)")
    expect(received).to_be_visible(timeout=60_000)
    expect(received.locator(".when")).to_contain_text("received")
    shot(page, "live-feed-urgent")

    received.click()
    detail = page.locator("#detail")
    expect(detail.locator(".detail-head")).to_contain_text("(the copy carries no date)")
    expect(detail.locator(".detail-head")).to_contain_text("Received")
    expect(detail.locator(".amount", has_text="700 millions de dollars").first).to_be_visible()
    expect(detail.locator(".badge[data-type=investment]").first).to_have_text("Investment")
    shot(page, "dispatch-detail-received")

    # an entity chip opens its timeline, at an address one can share
    detail.locator("a.entity-link", has_text="Rivian").first.click()
    expect(page).to_have_url(re.compile(r"/entities/org(:|%3A)rivian$"))
    entity = page.locator("#entity")
    expect(entity.locator("h2")).to_contain_text("Rivian", timeout=20_000)
    expect(entity.locator(".tl-item").first).to_be_visible()
    expect(
        entity.locator(".tl-item .amount", has_text="700 millions de dollars").first
    ).to_be_visible()
    expect(entity.locator("#entity-related a", has_text="Amazon").first).to_be_visible()
    shot(page, "entity-timeline")
    page.go_back()
    expect(page.locator("#view-live")).to_be_visible()

    # the same page opened directly; labels in French when the reader asks
    page.goto(api + "/entities/Ubisoft")
    expect(page.locator("#entity h2")).to_contain_text("Ubisoft", timeout=20_000)
    page.locator("#ui-lang").select_option("fr")
    expect(page.locator("#entity .tl-item .badge").first).to_have_text("Investissement")
    expect(page.locator("#entity .amount", has_text="1,16 milliard d'euros").first).to_be_visible()


def test_histogram_filters_dates_and_alerts_keep_their_history(
    api: str, worker: Path, page: Page
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("afp-fr-doctolib-levee.txt", "afp-en-capgemini-acquisition.txt"):
        _push(api, (FIXTURES / "live" / name).read_bytes())

    def searchable() -> bool:
        r = httpx.get(
            f"{api}/v1/search",
            params={"q": "Doctolib | Capgemini", "histogram": "day"},
            headers={"X-API-Key": "test-admin"},
            timeout=30,
        )
        return len(r.json()["histogram"]) >= 2

    wait_for(searchable, what="two days of dispatches")
    log_in(page, api)
    page.locator("[data-view=search]").click()
    # the view's first search (no words) is in before this one is typed: its results
    # (the newest dispatches, these two among them) are not taken for this search's
    expect(page.locator("#search-total")).to_contain_text("dispatch", timeout=20_000)
    matching = httpx.get(
        f"{api}/v1/search",
        params={"q": "Doctolib | Capgemini", "size": 0},
        headers={"X-API-Key": "test-admin"},
        timeout=30,
    ).json()["total"]
    page.locator("#q").fill("Doctolib | Capgemini")
    page.locator("#search-form button[type=submit]").click()
    expect(page.locator("#search-total")).to_have_text(f"{matching} dispatch(es)", timeout=20_000)
    for name in ("Doctolib lève", "Capgemini to buy"):  # this search's results, not the first
        expect(page.locator("#search-results .card", has_text=name)).to_be_visible(timeout=20_000)
    bars = page.locator("#histogram svg rect.bar")
    expect(bars).not_to_have_count(0, timeout=20_000)
    assert bars.count() >= 2
    expect(page.locator("#histogram .tick.x").first).to_be_visible()  # a time axis
    bars.first.hover()
    expect(page.locator(".hist-tip")).to_contain_text("dispatch")
    shot(page, "search-histogram")
    total = page.locator("#search-total").inner_text()
    bars.first.click()  # one bar: that day
    expect(page.locator(".active-filter", has_text="dates:")).to_be_visible()
    expect(page.locator("#search-total")).not_to_have_text(total)
    page.locator(".active-filter", has_text="dates:").click()
    expect(page.locator("#search-total")).to_have_text(total)
    box = page.locator("#histogram svg").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 36, box["y"] + 40)  # drag across the whole axis
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 10, box["y"] + 40, steps=5)
    page.mouse.up()
    expect(page.locator(".active-filter", has_text="dates:")).to_be_visible()
    expect(page.locator("#search-total")).to_have_text(total)  # every day picked

    # save an alert with an e-mail digest, get an alert, see it again after a reload
    word = f"Alerttest{int(time.time())}"
    page.locator("#q").fill(word)
    page.locator("#save-search").click()
    page.locator("#save-name").fill(f"browser {word}")
    page.locator("#save-email").fill("desk@example.org")
    page.locator("#save-form button[value=save]").click()
    expect(page.locator("#save-dialog")).not_to_be_visible()
    page.wait_for_timeout(1500)  # the worker reloads saved searches every 0.5 s here
    text = (FIXTURES / "live" / "afp-fr-ovhcloud-rachat.txt").read_bytes()
    _push(api, text.replace(b"Gridscale", word.encode()))
    page.locator("[data-view=alerts]").click()
    card = page.locator("#alerts-list .card", has_text=word)
    expect(card).to_be_visible(timeout=60_000)
    expect(page.locator("#saved-list")).to_contain_text("e-mail digest to desk@example.org")

    def kept() -> bool:  # the history index is searchable a moment after the alert is sent
        r = httpx.get(f"{api}/v1/alerts", headers={"X-API-Key": "test-admin"}, timeout=30)
        return any(word in (a["headline"] or "") for a in r.json()["alerts"])

    wait_for(kept, what="the alert in the history")
    page.reload()
    page.locator("[data-view=alerts]").click()
    expect(page.locator("#alerts-list .card", has_text=word)).to_be_visible(timeout=20_000)
    expect(card.locator(".saved-name")).to_have_text(f"browser {word}")
    shot(page, "alerts-history")


def test_thousands_of_items_keep_the_page_to_one_page_of_cards(api: str, page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, api)
    # the first page is loaded: what arrives now comes on top of it
    page.wait_for_function("() => liveFeed !== null && liveFeed.loaded")
    took = page.evaluate(
        """() => {
          const t0 = performance.now();
          for (let i = 0; i < 3000; i++) {
            addLive({ guid: `urn:synthetic:${i}`, version: 1, pubstatus: "usable", language: "fr",
              headline: `Dépêche synthétique ${i}`, received_at: new Date().toISOString(),
              urgency: i % 500 === 0 ? 2 : 5, provider: "AFP", dateline: { place: "PARIS" },
              entities: [], events: [{ type: "earnings" }] });
          }
          return performance.now() - t0;
        }"""
    )
    print(f"3,000 live dispatches added in {took:.0f} ms")
    expect(page.locator("#live-list .card")).to_have_count(50)
    expect(page.locator("#view-live .pager .count")).to_contain_text("1–50 of")
    assert page.locator("li.card").count() <= 100  # the whole page, every view
    expect(page.locator("#live-list .card").first).to_contain_text("Dépêche synthétique 2999")
    page.locator("#view-live .pager .older").click()
    expect(page.locator("#live-list .card").first).to_contain_text("Dépêche synthétique 2949")
    expect(page.locator("#live-list .card")).to_have_count(50)
    page.evaluate(
        """() => addLive({ guid: "urn:synthetic:new", version: 1, pubstatus: "usable",
          headline: "Newest", received_at: new Date().toISOString(), entities: [], events: [] })"""
    )
    expect(page.locator("#view-live .pager .unseen")).to_have_text("1 new ↑")
    page.locator("#view-live .pager .unseen").click()
    expect(page.locator("#live-list .card").first).to_contain_text("Newest")
    shot(page, "live-feed-3000")
