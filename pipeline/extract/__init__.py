"""Extraction: pure stages, no Kafka or Elasticsearch.

normalise (bytes -> validated Dispatch) -> language -> nlp (spaCy, in `runner`'s processes)
-> amounts, dates, entities (+ memory) -> events -> geo -> subjects; `batch.extract_batch`
runs them in order, `evaluate` scores them on the gold set.
"""
