"""Persistence: articles, mentions, alerts and their deliveries (the Store protocol is in veille.interfaces)."""
