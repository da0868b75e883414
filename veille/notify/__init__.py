"""Notification: apprise targets behind the Notifier protocol (veille.interfaces), the outbox sender, the journal."""
