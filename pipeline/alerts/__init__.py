"""Alert delivery beyond the page: signed webhooks and e-mail digests per saved search,
with retries and a delivery log (`wire alerts deliver`).

  messages  what is sent: webhook payloads (Slack, Teams, JSON), the signature, digests (pure)
  log       the delivery log in Elasticsearch: one entry per alert and channel, its tries
  send      the two effects: an HTTP POST, an SMTP submission
  deliver   the process: reads the alerts topic, plans, sends what is due, retries
"""
