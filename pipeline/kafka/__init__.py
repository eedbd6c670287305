"""Kafka: clients, topic bootstrap, the publisher connectors use, subscriptions the API serves."""
