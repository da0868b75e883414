"""A run passes over the outbox while the model reads and once at its end: one report for the run."""

from __future__ import annotations

import dataclasses

from veille.records import DeliveryReport, HeldCount

COUNTS = ("sent", "retrying", "failed", "deferred", "orphaned", "taken_by_another_run", "recorded_from_journal")


def test_what_each_pass_did_is_added_up_and_what_is_left_is_the_later_passs():
    first = DeliveryReport(
        **dict.fromkeys(COUNTS, 1), routed_late=2, unrouted=5, errors=["ntfy: down (attempt 1)"], released=1
    )
    first.held = [HeldCount("pending", "quiet hours", 4)]
    later = DeliveryReport(**dict.fromkeys(COUNTS, 10), routed_late=3, unrouted=1, errors=["mail: refused"])

    both = first.followed_by(later)

    assert {name: getattr(both, name) for name in COUNTS} == dict.fromkeys(COUNTS, 11)
    assert (both.routed_late, both.released) == (5, 1)
    assert both.unrouted == 1 and both.held == []  # what the later pass still found
    assert both.errors == ["ntfy: down (attempt 1)", "mail: refused"]


def test_every_field_of_a_report_is_either_added_up_or_taken_from_the_later_pass():
    # A field added to DeliveryReport must be given a rule in followed_by, not dropped silently.
    marked = DeliveryReport(**{field.name: 7 for field in dataclasses.fields(DeliveryReport) if field.type == "int"})
    both = marked.followed_by(DeliveryReport())
    for field in dataclasses.fields(DeliveryReport):
        if field.type == "int" and field.name != "unrouted":
            assert getattr(both, field.name) == 7, field.name


def test_after_an_empty_pass_the_report_is_the_other_ones():
    later = DeliveryReport(sent=3, unrouted=2, errors=["x"])
    assert DeliveryReport().followed_by(later) == later
