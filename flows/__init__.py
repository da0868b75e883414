"""Veille's Prefect flows: monitor, replay, digest, the deployments that serve them, and operate.

Prefect's defaults for an offline machine are in flows/environment.py, applied by each entry point.
"""
