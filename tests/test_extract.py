"""Matching watched entries with the real French model: every normalisation, offsets, sentences."""

from __future__ import annotations

import pytest

from tests.builders import article
from tests.seed_alerts import EXPECTED_SEED_ALERTS
from veille.extract.pipeline import extract_mentions, mentions_in
from veille.folding import compact, fold, plural_stems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deir ez-Zor", "deirezzor"),
        ("DEIR EZ-ZOR", "deirezzor"),
        ("Deir Ezzor", "deirezzor"),
        ("Deir‑ez‑Zor", "deirezzor"),  # non-breaking hyphens
        ("Kobané", "kobane"),
        ("Lattaquié", "lattaquie"),
        ("l’Œuvre", "loeuvre"),
        ("Tu-22M3", "tu22m3"),
    ],
)
def test_compact_key_ignores_case_accents_and_separators(text, expected):
    assert compact(text) == expected


def test_fold_unifies_apostrophes_and_hyphens():
    assert fold("d’al–Boukamal") == "d'al-boukamal"


def test_plural_stems():
    assert plural_stems("mortiers") == ("mortier",)
    assert plural_stems("canaux") == ("canau", "canal")
    assert plural_stems("tir") == ()


def found(nlp, text: str) -> list[tuple[str, str]]:
    """(entry id, text as written) of every watched mention in `text`."""
    return [(m.entry_id, m.text) for m in mentions_in(nlp(text), nlp) if m.entry_id]


@pytest.mark.parametrize(
    ("sentence", "entry_id", "written"),
    [
        ("Les combats continuent à Deir ez-Zor.", "deir-ez-zor", "Deir ez-Zor"),
        ("Les combats continuent à Deir Ezzor.", "deir-ez-zor", "Deir Ezzor"),
        ("Les combats continuent à Deir-ez-Zor.", "deir-ez-zor", "Deir-ez-Zor"),
        ("LES COMBATS CONTINUENT À DEIR EZ-ZOR.", "deir-ez-zor", "DEIR EZ-ZOR"),
        ("Les combats continuent à deir ez zor.", "deir-ez-zor", "deir ez zor"),
        ("Les combats continuent à Deir ez‑Zor.", "deir-ez-zor", "Deir ez‑Zor"),
        ("La ville d’al-Boukamal est tombée.", "al-boukamal", "al-Boukamal"),
        ("La ville d'al-Boukamal est tombée.", "al-boukamal", "al-Boukamal"),
        ("La ville d’Al Boukamal est tombée.", "al-boukamal", "Al Boukamal"),
        ("Ils sont entrés dans Kobani hier.", "kobane", "Kobani"),
        ("Ils sont entrés à Kobané hier.", "kobane", "Kobané"),
        ("Ils ont été tués par des tirs de mortiers.", "mortier", "mortiers"),
        ("Un tir de missiles Kalibr a frappé la ville.", "kalibr", "missiles Kalibr"),
        ("Des Kalachnikovs ont été saisies.", "kalachnikov", "Kalachnikovs"),
        ("Six bombardiers TU-22M3 ont décollé.", "tu-22m3", "TU-22M3"),
        ("Les barils d’explosifs pleuvent sur Alep.", "baril-explosif", "barils d’explosifs"),
    ],
)
def test_each_variant_hits_its_entry(nlp, sentence, entry_id, written):
    assert (entry_id, written) in found(nlp, sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Le Hamas a publié un communiqué.",  # inflection of places would read Hama here
        "Le docteur Hamadi est arrivé.",
        "Il a acheté un hummerlike jouet.",
        "Les mortaises du vieux meuble.",
    ],
)
def test_no_false_hit_inside_or_around_other_words(nlp, sentence):
    assert found(nlp, sentence) == []


def test_offsets_point_at_the_text_as_written(nlp):
    text = "Au nord, près de Deir Ezzor, des tirs de mortiers. Puis à Hama."
    for mention in mentions_in(nlp(text), nlp):
        assert text[mention.start : mention.end] == mention.text


def test_sentence_is_the_one_holding_the_mention_and_stops_at_line_breaks(nlp):
    text = "Première phrase sans rien.\nLes tirs de mortiers ont repris\nLa ville de Hama est calme."
    mentions = {m.entry_id: m for m in mentions_in(nlp(text), nlp) if m.entry_id}
    assert mentions["mortier"].sentence == "Les tirs de mortiers ont repris"
    assert mentions["hama"].sentence == "La ville de Hama est calme."


def test_long_sentences_are_cut_around_the_mention(nlp):
    filler = " ".join(["des mots sans intérêt"] * 150)
    text = f"{filler} puis Raqqa {filler}."
    (mention,) = [m for m in mentions_in(nlp(text), nlp) if m.entry_id]
    assert "Raqqa" in mention.sentence
    assert mention.sentence.startswith("…") and mention.sentence.endswith("…")
    assert len(mention.sentence) < 1000


def test_model_places_are_kept_as_loc(nlp):
    mentions = list(mentions_in(nlp("Les troupes ont traversé l'Irak et l'Iran."), nlp))
    assert {m.text for m in mentions if m.label == "LOC"} >= {"Irak", "Iran"}
    assert all(m.entry_id is None for m in mentions if m.label == "LOC")


def test_seed_articles_mention_every_expected_entry(nlp):
    from tests.conftest import SEEDS
    from veille.ingest.folder import FolderSource

    batch = FolderSource(SEEDS, 5_000_000).read()
    results = {found.article.key: found for found in extract_mentions(nlp, batch.articles, batch_size=8)}
    for key, expected in EXPECTED_SEED_ALERTS.items():
        assert {m.entry_id for m in results[key].mentions if m.entry_id} >= expected
    written = {m.text for m in results["003_14110cf45b5c4781.txt"].mentions if m.entry_id == "deir-ez-zor"}
    assert "Deir Ezzor" in written
    assert "mortiers" in {m.text for m in results["003_14110cf45b5c4781.txt"].mentions}


def test_batches_give_the_same_result_as_one_by_one(nlp):
    texts = ["Des mortiers à Hama.", "Rien ici.", "Kalibr et Tu-22M3 sur Raqqa."]
    articles = [article(text, key=str(i)) for i, text in enumerate(texts)]
    batched = [[(m.entry_id, m.start) for m in f.mentions] for f in extract_mentions(nlp, articles, batch_size=2)]
    single = [[(m.entry_id, m.start) for m in mentions_in(nlp(t), nlp)] for t in texts]
    assert batched == single


def test_a_text_longer_than_the_models_limit_is_read_in_pieces(nlp):
    paragraph = "Des tirs de mortier ont visé Hama dans la nuit.\n"
    text = "Rien à signaler ici.\n" * 300 + paragraph + "Toujours rien.\n" * 300 + "Frappes sur Raqqa."
    long = article(text, key="long")
    saved = nlp.max_length
    nlp.max_length = 2_000  # as if the text were over spaCy's 1,000,000 characters
    try:
        (found,) = list(extract_mentions(nlp, [long, article("Alep.", key="short")], batch_size=4))[:1]
    finally:
        nlp.max_length = saved
    watched = {m.entry_id: m for m in found.mentions if m.entry_id}
    assert set(watched) == {"hama", "mortier", "raqqa"}
    for mention in watched.values():
        assert text[mention.start : mention.end] == mention.text


def test_pieces_cover_the_text_exactly():
    from veille.extract.pipeline import _pieces

    text = "ligne un\nligne deux\n" * 50 + "x" * 300
    pieces = list(_pieces(text, 64))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 64 for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)


@pytest.mark.parametrize(
    "text",
    [
        "Dépêche numéro 9 sur Raqqa\nDes missiles Kalibr ont été tirés vers Raqqa depuis la Méditerranée.",
        "Dépêche numéro 14 sur Homs\nDes missiles Kalibr ont été tirés vers Homs depuis la Méditerranée.",
    ],
)
def test_a_title_and_its_first_line_are_never_read_as_one_name(nlp, text):
    # The small model may tag "Raqqa\nDes missiles Kalibr" as one entity; a name never crosses a line.
    watched = [m for m in mentions_in(nlp(text), nlp) if m.entry_id]
    assert watched and all(m.confidence >= 0.5 for m in watched), [(m.text, m.confidence, m.reasons) for m in watched]
