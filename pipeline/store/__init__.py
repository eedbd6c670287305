"""Elasticsearch: the stored shape of dispatches and events, writes, search, saved searches."""
