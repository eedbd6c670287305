"""`wire alerts deliver`: read the alerts topic, plan each alert's deliveries in the log,
send what is due (webhooks now, digests at the end of their period), retry what failed.

Run one deliverer per deployment. It reads the topic without a consumer group and keeps
its position in the delivery log, after the entries it planned: a deliverer that dies
reads the last alerts again, and the log's create-only entries plan nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition

from pipeline.alerts import log as delivery_log
from pipeline.alerts.log import DeliveryEntry, after_attempt, digest_groups, plan
from pipeline.alerts.messages import digest_email, webhook_payload
from pipeline.alerts.send import post_webhook, send_email
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from pipeline.store.alerts import ensure_alert_indices
from pipeline.store.saved_searches import Alert, SavedSearch, get_saved

log = logging.getLogger(__name__)


class Deliverer:
    def __init__(self, settings: Settings, es: Elasticsearch, http: httpx.Client) -> None:
        self.settings = settings
        self.es = es
        self.http = http
        self.consumer: KafkaConsumer | None = None
        self.offsets: dict[int, int] = {}
        self.counts: Counter[str] = Counter()
        ensure_alert_indices(es, settings)

    # ------------------------------------------------------------ reading alerts

    def _open(self) -> KafkaConsumer:
        s = self.settings
        consumer = KafkaConsumer(group_id=None, enable_auto_commit=False, **client_kwargs(s))
        parts = sorted(consumer.partitions_for_topic(s.alerts_topic) or {0})
        tps = [TopicPartition(s.alerts_topic, p) for p in parts]
        consumer.assign(tps)
        self.offsets = delivery_log.read_cursor(self.es, s)
        for tp in tps:
            if tp.partition in self.offsets:
                consumer.seek(tp, self.offsets[tp.partition])
            else:
                consumer.seek_to_beginning(tp)
        return consumer

    def read_alerts(self, timeout_ms: int = 500) -> list[Alert]:
        if self.consumer is None:
            self.consumer = self._open()
        alerts: list[Alert] = []
        for tp, records in self.consumer.poll(timeout_ms=timeout_ms, max_records=500).items():
            for rec in records:
                self.offsets[tp.partition] = rec.offset + 1
                try:
                    alerts.append(Alert.model_validate_json(rec.value))
                except ValueError:
                    log.warning("not an alert at %s:%s", tp.partition, rec.offset)
        return alerts

    def plan_alerts(self, alerts: Sequence[Alert], now: datetime) -> int:
        """Log the deliveries these alerts call for; then move the cursor past them."""
        saved: dict[str, SavedSearch | None] = {}
        entries: list[DeliveryEntry] = []
        oldest = now - timedelta(hours=self.settings.delivery_max_age_h)
        for a in alerts:
            if a.matched_at < oldest:
                self.counts["too old"] += 1
                continue
            if a.saved_search_id not in saved:
                saved[a.saved_search_id] = get_saved(self.es, self.settings, a.saved_search_id)
            s = saved[a.saved_search_id]
            if s is not None:
                entries += plan(a, s, now)
        new = delivery_log.create_entries(self.es, self.settings, entries)
        self.counts["planned"] += new
        if alerts:
            delivery_log.write_cursor(self.es, self.settings, self.offsets)
        return new

    # ------------------------------------------------------------ sending

    def _attempt(self, entry: DeliveryEntry, error: str | None, now: datetime) -> DeliveryEntry:
        done = after_attempt(
            entry,
            error,
            now,
            max_attempts=self.settings.delivery_max_attempts,
            retry_base_s=self.settings.delivery_retry_base_s,
        )
        self.counts[done.status] += 1
        if error:
            log.warning("%s %s: try %d: %s", done.channel, done.target, done.attempts, error)
        return done

    def send_webhook(self, entry: DeliveryEntry, now: datetime) -> DeliveryEntry:
        saved = get_saved(self.es, self.settings, entry.saved_search_id)
        index = int(entry.id.rsplit("webhook:", 1)[1]) if "webhook:" in entry.id else -1
        hooks = saved.delivery.webhooks if saved else []
        hook = next(
            (h for i, h in enumerate(hooks) if i == index and h.url == entry.target),
            next((h for h in hooks if h.url == entry.target), None),
        )
        if hook is None or not hook.secret:
            return entry.model_copy(
                update={"status": "failed", "last_error": "webhook no longer in the saved search"}
            )
        error = post_webhook(
            self.http,
            hook.url,
            webhook_payload(entry.alert, hook.format, self.settings.public_page_url),
            secret=hook.secret,
            delivery_id=entry.id,
            timeout_s=self.settings.delivery_timeout_s,
        )
        return self._attempt(entry, error, now)

    def send_digest(self, entries: Sequence[DeliveryEntry], now: datetime) -> list[DeliveryEntry]:
        saved = get_saved(self.es, self.settings, entries[0].saved_search_id)
        if saved is None or saved.delivery.email is None:
            return [
                e.model_copy(update={"status": "failed", "last_error": "digest no longer asked"})
                for e in entries
            ]
        msg = digest_email(
            saved.name,
            [e.alert for e in entries],
            sender=self.settings.alerts_from,
            to=saved.delivery.email.to,
            page_url=self.settings.public_page_url,
        )
        error = send_email(self.settings, msg)
        return [self._attempt(e, error, now) for e in entries]

    def send_due(self, now: datetime) -> int:
        due = delivery_log.due_entries(self.es, self.settings, now)
        done = [self.send_webhook(e, now) for e in due if e.channel == "webhook"]
        ids = sorted({e.saved_search_id for e in due if e.channel == "email"})
        groups = digest_groups(due, delivery_log.open_emails(self.es, self.settings, ids))
        for entries in groups.values():
            done += self.send_digest(entries, now)
        delivery_log.save_entries(self.es, self.settings, done)
        return len(done)

    # ------------------------------------------------------------ the loop

    def run_once(self, now: datetime | None = None, timeout_ms: int = 500) -> int:
        """Read what arrived, plan it, send what is due. Returns the deliveries tried."""
        self.plan_alerts(self.read_alerts(timeout_ms), now or datetime.now(UTC))
        return self.send_due(now or datetime.now(UTC))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once(timeout_ms=int(self.settings.delivery_poll_s * 1000))
            except Exception:  # one bad tick (ES or Kafka away) must not end delivery
                log.exception("delivery tick failed; trying again")
                stop.wait(self.settings.delivery_poll_s)

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()
            self.consumer = None
