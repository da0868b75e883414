"""Revision 0005 (doubtful mentions) on a real SQLite file and the real PostgreSQL: a database of revision
0004 upgrades with its mentions taken as sure, and goes back down and up again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from tests.builders import found, mention, route_to, watch_list
from tests.recording import record_detections
from veille.store.migrate import current_revision, downgrade, head_revision, upgrade
from veille.store.sql import SqlStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WATCHLIST = watch_list("hama", "alep")


def a_database_of_revision_0004(url: str) -> None:
    """One article of 0004 naming Hama, stored ten days before T0, and a place the model found."""
    engine = create_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as connection:
        source = connection.execute(
            text("INSERT INTO sources (name, created_at) VALUES ('folder:seeds', :t) RETURNING id"), {"t": T0}
        ).scalar()
        story = connection.execute(
            text("INSERT INTO stories (title, created_at) VALUES ('Titre', :t) RETURNING id"), {"t": T0}
        ).scalar()
        article = connection.execute(
            text(
                "INSERT INTO articles (source_id, story_id, key, title, location, text, content_hash, first_seen_at, "
                "changed_at) VALUES (:source, :story, 'old.txt', 'Titre', 'seeds/old.txt', 'Hama, Syrie.', 'h', "
                ":t, :t) RETURNING id"
            ),
            {"source": source, "story": story, "t": T0 - timedelta(days=10)},
        ).scalar()
        for entry, label, written, start in (("hama", "watched", "Hama", 0), (None, "LOC", "Syrie", 6)):
            connection.execute(
                text(
                    'INSERT INTO mentions (article_id, entry_id, label, text, start, "end", sentence) '
                    "VALUES (:article, :entry, :label, :written, :start, :end, 'Hama, Syrie.')"
                ),
                {
                    "article": article,
                    "entry": entry,
                    "label": label,
                    "written": written,
                    "start": start,
                    "end": start + 4,
                },
            )
    engine.dispose()


def test_a_database_of_revision_0004_upgrades_with_its_mentions_taken_as_sure(database_url):
    a_database_of_revision_0004(database_url)

    store = SqlStore.open(database_url)  # opening upgrades
    try:
        assert current_revision(store.engine) == head_revision() == "0005"
        with store.engine.connect() as connection:
            rows = connection.execute(text("SELECT matched_by, confidence, reasons FROM mentions")).all()
            assert [tuple(row) for row in rows] == [(None, None, None)] * 2
        past = store.entry_history(["hama"], T0, 31, {"hama": 0.5})["hama"]
        assert past.last_seen_at == T0 - timedelta(days=10), "a mention stored without a confidence was sure"

        street = "La rue d'Alep est fermée."
        held = replace(mention(street, "Alep"), matched_by="fold", confidence=0.2, reasons=("a street",))
        recorded = record_detections(store, [found(street, held, key="new.txt")], WATCHLIST, route_to(), T0)
        assert [(item.entry_id, item.mention.confidence) for item in recorded.doubtful] == [("alep", 0.2)]
    finally:
        store.close()


def test_revision_0005_goes_down_to_0004_and_up_again_keeping_the_mentions(database_url):
    a_database_of_revision_0004(database_url)
    store = SqlStore.open(database_url)
    street = "La rue d'Alep est fermée."
    held = replace(mention(street, "Alep"), confidence=0.2)
    record_detections(store, [found(street, held, key="new.txt")], WATCHLIST, route_to(), T0)
    store.close()
    engine = create_engine(database_url)

    downgrade(engine, "0004")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM mentions")).scalar() == 3
    upgrade(engine)

    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM doubtful_mentions")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM mentions WHERE confidence IS NULL")).scalar() == 3
    engine.dispose()
