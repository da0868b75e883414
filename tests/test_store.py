"""The store on a real SQLite file and on the real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.builders import NOW, found, model_place, route_to, watch_list, weapon
from tests.recording import record_detections
from veille.errors import StoreError
from veille.records import ArticleMentions, TargetRef
from veille.store.models import AlertEntryRow, AlertRow, ArticleRow, DeliveryRow
from veille.store.sql import SqlStore

WATCHLIST = watch_list("hama", weapon("mortier", "mortier"))
route = route_to(TargetRef("k1", "json://127.0.0.1/a"), TargetRef("k2", "veille://"))


def found_in_seeds(text: str, *entries: str, key: str = "a.txt") -> ArticleMentions:
    """An article of the seeds folder with a watched mention of each of `entries` and a place the model found."""
    text = f"Syrie : {text}"
    return found(
        text,
        *entries,
        model_place(text, "Syrie"),
        source="folder:seeds",
        key=key,
        title="Titre",
        location=f"seeds/{key}",
    )


@pytest.fixture
def store(database_url):
    store = SqlStore.open(database_url)
    yield store
    store.close()


def test_detections_create_one_alert_per_article_listing_its_entries_and_one_delivery_per_target(store):
    item = found_in_seeds("hama et mortier et hama", "hama", "mortier")
    (created,) = record_detections(store, [item], WATCHLIST, route, NOW).alerts
    assert created.entries == ("Hama", "mortier") and created.deliveries == 2
    assert store.delivery_counts() == {"pending": 2}
    assert store.known_hashes(["folder:seeds"]) == {("folder:seeds", "a.txt"): item.article.content_hash}


def test_the_same_article_again_creates_nothing(store):
    item = found_in_seeds("hama", "hama")
    record_detections(store, [item], WATCHLIST, route, NOW)
    assert record_detections(store, [item], WATCHLIST, route, NOW).alerts == []


def test_an_edited_article_alerts_only_for_new_entries(store):
    record_detections(store, [found_in_seeds("hama", "hama")], WATCHLIST, route, NOW)
    edited = found_in_seeds("hama puis mortier", "hama", "mortier")
    created = record_detections(store, [edited], WATCHLIST, route, NOW).alerts
    assert [a.entries for a in created] == [("mortier",)]
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from mentions")).scalar() == 3  # replaced, not added


@pytest.mark.parametrize("table", ["articles", "alert_entries", "deliveries"])
def test_uniqueness_is_enforced_by_the_database(store, table):
    record_detections(store, [found_in_seeds("hama", "hama")], WATCHLIST, route, NOW)
    columns = ", ".join(f'"{c}"' for c in store_columns(table) if c != "id")
    with store.engine.connect() as conn, pytest.raises(IntegrityError):
        # A copy of an existing row, made by the database itself: only its constraints can refuse it.
        conn.execute(text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}"))


def store_columns(table: str) -> list[str]:
    model = {"articles": ArticleRow, "alert_entries": AlertEntryRow, "deliveries": DeliveryRow}[table]
    return [column.name for column in model.__table__.columns]


def test_claim_send_and_retry(store):
    record_detections(store, [found_in_seeds("hama", "hama")], WATCHLIST, route, NOW)
    first, second = store.due_deliveries(NOW, lease_seconds=600)
    assert store.claim_delivery(first.id, NOW, 600)
    assert not store.claim_delivery(first.id, NOW, 600), "a claimed delivery cannot be claimed twice"
    store.mark_sent(first.id, NOW)
    assert store.claim_delivery(second.id, NOW, 600)
    store.mark_failed_attempt(second.id, "refused", retry_at=NOW + timedelta(minutes=5))
    assert store.due_deliveries(NOW, 600) == []
    (again,) = store.due_deliveries(NOW + timedelta(minutes=5), 600)
    assert again.id == second.id and again.attempts == 1
    assert store.delivery_counts() == {"sent": 1, "pending": 1}


def test_a_claim_left_by_a_dead_run_is_taken_again_after_the_lease(store):
    record_detections(store, [found_in_seeds("hama", "hama")], WATCHLIST, route, NOW)
    delivery = store.due_deliveries(NOW, 600)[0]
    assert store.claim_delivery(delivery.id, NOW, 600)
    assert delivery.id not in [d.id for d in store.due_deliveries(NOW + timedelta(seconds=599), 600)]
    assert delivery.id in [d.id for d in store.due_deliveries(NOW + timedelta(seconds=601), 600)]


def test_times_come_back_aware_and_in_utc(store):
    record_detections(store, [found_in_seeds("hama", "hama")], WATCHLIST, route, NOW)
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    with Session(store.engine) as session:
        alert = session.scalars(select(AlertRow)).first()
        assert alert.created_at == NOW and alert.created_at.tzinfo is not None


def test_an_unreachable_database_is_one_clear_error_without_password():
    with pytest.raises(StoreError) as caught:
        SqlStore.open("postgresql+psycopg://veille:canary-pw@127.0.0.1:1/none?connect_timeout=2")
    assert "canary-pw" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_url_that_is_not_a_url():
    with pytest.raises(StoreError, match="VEILLE_DATABASE_URL"):
        SqlStore.open("not a url")
