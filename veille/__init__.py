"""Veille: news monitoring and alerting on watched places and weapons."""

__version__ = "0.1.0"
