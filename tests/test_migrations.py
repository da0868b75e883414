"""Alembic migrations on a real SQLite file and the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from tests.builders import found, route_to, watch_list
from tests.recording import record_detections
from veille.records import TargetRef
from veille.store.migrate import current_revision, downgrade, head_revision, upgrade
from veille.store.models import Base
from veille.store.sql import SqlStore

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
WATCHLIST = watch_list("hama", "alep")


def test_an_empty_database_upgrades_to_head_and_matches_the_models(database_url):
    engine = create_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []
    engine.dispose()


def test_downgrade_and_upgrade_again(database_url):
    engine = create_engine(database_url)
    upgrade(engine)
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_database_of_the_previous_revision_upgrades_with_its_data(database_url):
    engine = create_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        # Ids from the database, as the application of revision 0001 got them (sequences stay right).
        source_id = connection.execute(
            text("INSERT INTO sources (name, created_at) VALUES ('folder:seeds', :t) RETURNING id"), {"t": NOW}
        ).scalar()
        article_ids = [
            connection.execute(
                text(
                    "INSERT INTO articles (source_id, key, title, location, text, content_hash, first_seen_at, "
                    "changed_at) VALUES (:source, :key, 'Titre', 'seeds/a.txt', 'Hama.', :hash, :t, :t) RETURNING id"
                ),
                {"source": source_id, "key": f"{n}.txt", "hash": f"old-{n}", "t": NOW},
            ).scalar()
            for n in (1, 2)
        ]
        alert_id = connection.execute(
            text(
                "INSERT INTO alerts (article_id, entry_id, entry_kind, entry_name, variant, sentence, occurrences, "
                "title, body, created_at) VALUES (:article, 'hama', 'place', 'Hama', 'Hama', 'Hama.', 1, 't', 'b', :t) "
                "RETURNING id"
            ),
            {"article": article_ids[0], "t": NOW},
        ).scalar()
        connection.execute(
            text(
                "INSERT INTO deliveries (alert_id, target_key, target_label, status, attempts, next_attempt_at, "
                "created_at) VALUES (:alert, 'k', 'veille://', 'pending', 0, :t, :t)"
            ),
            {"alert": alert_id, "t": NOW},
        )
    engine.dispose()

    store = SqlStore.open(database_url)  # opening upgrades
    with store.engine.connect() as connection:
        story_of_alert = connection.execute(text("SELECT story_id FROM alerts")).scalar()
        story_of_article = connection.execute(text("SELECT story_id FROM articles WHERE key = '1.txt'")).scalar()
        assert story_of_alert == story_of_article is not None
        assert connection.execute(text("SELECT count(*) FROM stories")).scalar() == 2
        assert connection.execute(text("SELECT status FROM deliveries")).scalar() == "pending"
    assert store.delivery_counts() == {"pending": 1}

    # The edited article alerts only for its new entry; a brand-new article gets a fresh story id.
    edited = found(
        "Hama puis Alep, dans le nord du pays.",
        "Hama",
        "Alep",
        source="folder:seeds",
        key="1.txt",
        title="Titre",
        location="seeds/1.txt",
    )
    fresh = found("Alep.", "Alep", source="folder:seeds", key="3.txt", title="Autre", location="seeds/3.txt")
    created = record_detections(store, [edited, fresh], WATCHLIST, route_to(TargetRef("k", "veille://")), NOW).alerts
    assert sorted((a.location, a.entry_name) for a in created) == [("seeds/1.txt", "Alep"), ("seeds/3.txt", "Alep")]
    store.close()
