"""Run the French model and the watch matcher over articles, in batches."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from veille.errors import ExtractionError
from veille.extract import matcher as _matcher  # noqa: F401  (registers the veille_watch_matcher factory)
from veille.extract.confidence import score
from veille.extract.evidence import DocEvidence
from veille.extract.index_cache import IndexCache, cached_index
from veille.extract.matcher import SPANS_KEY, WatchMatcher
from veille.extract.pattern_cache import compiled_patterns
from veille.extract.prefilter import Prefilter
from veille.extract.processes import read_ready_in_processes
from veille.minhash import Signature
from veille.records import Article, ArticleMentions, Mention
from veille.stories import signature
from veille.watchlist import WatchList

# What the model's reading gives of one article: its mentions, whether the model read it, its story signature.
_Read = tuple[tuple[Mention, ...], bool, Signature | None]
# The parser only gives us sentence boundaries; the senter gives them several times faster.
_EXCLUDED = ("parser",)
_SENTENCE_WINDOW = 400
# Long texts are read in pieces of at most this many characters (spaCy's limit is nlp.max_length).
_CHUNK_CHARS = 100_000


@dataclass(frozen=True)
class MatchOptions:
    """What the matcher may do beyond the spellings written: the defaults are what Veille runs with.

    The evaluation (veille.evaluation) switches them off to measure the matcher as it was before
    issue #12 ("today's matcher": exact spellings, every mention alerts).
    """

    # Spelling variants: Arabic article, doubled letters, transliteration pairs (veille.extract.variants).
    fold: bool = True
    # Letters of another script that look Latin inside a Latin word (veille.confusables).
    confusables: bool = True
    # A confidence for each mention; False: every mention has 1.0 and alerts.
    confidence: bool = True


def load_pipeline(
    model_name: str, watchlist: WatchList, options: MatchOptions | None = None, index_cache: IndexCache | None = None
) -> Language:
    """Load `model_name` with sentences, lemmas, entities and the watch matcher; once per run. With
    `index_cache`, the matcher's index and the model's slowest regular expressions come from it when it
    has them (and are kept there when not)."""
    try:
        # The French tokenizer's regular expression alone takes seconds to compile: kept with the index.
        with compiled_patterns(index_cache):
            nlp = spacy.load(model_name, exclude=list(_EXCLUDED))
    except OSError as exc:
        raise ExtractionError(
            f"spaCy model {model_name!r} is not installed: install the project (make run) "
            f"or set VEILLE_SPACY_MODEL to an installed one"
        ) from exc
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    watch_matcher = nlp.add_pipe("veille_watch_matcher", last=True)
    # spaCy types every component as Callable[[Doc], Doc]; this one is what our factory made.
    assert isinstance(watch_matcher, WatchMatcher)
    options = options or MatchOptions()
    index = cached_index(watchlist, options.fold, index_cache) if index_cache is not None else None
    watch_matcher.set_watchlist(watchlist, fold=options.fold, confusables=options.confusables, index=index)
    watch_matcher.scores = options.confidence
    return nlp


def extract_mentions(
    nlp: Language, articles: Iterable[Article], batch_size: int, prefilter: bool = False, processes: int = 1
) -> Iterator[ArticleMentions]:
    """Watched entries and the model's places (LOC) in each article, in article order.

    A long text goes through the model in pieces cut at line breaks: spaCy refuses a text longer
    than nlp.max_length, and one such article would otherwise fail every run. With `prefilter`, an
    article where no watched name can be (veille.extract.prefilter) is not read by the model: it has
    no mentions, its places included, and `read_by_model` False. Each article comes with its story
    signature (`signed`). With `processes` > 1, batches are read (pre-filter, model, mentions and
    signatures) in that many forked processes when there are batches enough for each.
    """
    groups = extract_ready_mentions(nlp, articles, batch_size, prefilter, processes)
    del articles  # the stream's only reference to them is then its own, let go a batch at a time
    for group in groups:
        yield from group


def extract_ready_mentions(
    nlp: Language,
    articles: Iterable[Article],
    batch_size: int,
    prefilter: bool = False,
    processes: int = 1,
    most_batches: int = 1,
) -> Iterator[list[ArticleMentions]]:
    """extract_mentions's articles in lists: each the next batch, and with `processes`, the batches after it
    that the processes have read meanwhile (`most_batches` in all at most). A caller that records each list
    as one Prefect task run records in fewer of them when the processes are ahead of it."""
    articles = list(articles)
    batches = [articles[start : start + batch_size] for start in range(0, len(articles), batch_size)]
    # Each batch is let go once its results are out: given the only reference to its articles, a long
    # stream holds no text it has yielded (issue #14, flat in memory).
    del articles
    reader = _BatchReader(nlp, Prefilter.of(nlp) if prefilter else None, batches, batch_size)
    numbers = range(len(batches))
    # A process is worth its start only with a few batches to read: most runs have a handful of articles.
    processes = max(1, min(processes, len(batches) // 2))
    if processes == 1:
        groups: Iterator[list[list[_Read]]] = ([reader.read(number)] for number in numbers)
    else:
        groups = read_ready_in_processes(reader.read, numbers, processes, most_batches)
    number = 0
    for group in groups:
        found = []
        for results in group:
            batch, batches[number] = batches[number], []
            number += 1
            found += [
                ArticleMentions(article, mentions, read, signed=True, signature=minhash)
                for article, (mentions, read, minhash) in zip(batch, results, strict=True)
            ]
        yield found


class _BatchReader:
    """Reads one batch of the articles: the pre-filter, the model over what passes, the mentions.

    In a forked process the reader and its articles are the parent's memory: a batch is named by its
    number, and what comes back is its mentions, never spaCy's docs.
    """

    def __init__(
        self, nlp: Language, prefilter: Prefilter | None, batches: list[list[Article]], batch_size: int
    ) -> None:
        self._nlp = nlp
        self._prefilter = prefilter
        self._batches = batches
        self._batch_size = batch_size
        self._limit = min(nlp.max_length, _CHUNK_CHARS)

    def read(self, number: int) -> list[_Read]:
        """(mentions, read by the model, story signature) of each article of batch `number`: the signature
        too, so that in a model process it is computed beside the model, not by the run that records."""
        batch = self._batches[number]
        skip, limit = self._prefilter, self._limit
        read = [skip is None or skip.may_mention(piece for _, piece in _pieces(a.text, limit)) for a in batch]
        found: list[list[Mention]] = [[] for _ in batch]
        pieces = (
            (piece, (index, offset))
            for index, article in enumerate(batch)
            if read[index]
            for offset, piece in _pieces(article.text, limit)
        )
        for doc, (index, offset) in self._nlp.pipe(pieces, as_tuples=True, batch_size=self._batch_size):
            found[index] += [
                replace(m, start=m.start + offset, end=m.end + offset) for m in mentions_in(doc, self._nlp)
            ]
        return [
            (tuple(mentions), was_read, signature(article.text))
            for article, mentions, was_read in zip(batch, found, read, strict=True)
        ]


def _pieces(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering `text`, each at most `limit` long, cut at a line break or a space if any."""
    start = 0
    while len(text) - start > limit:
        cut = text.rfind("\n", start + 1, start + limit)
        if cut == -1:
            cut = text.rfind(" ", start + 1, start + limit)
        if cut == -1:
            cut = start + limit
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def mentions_in(doc: Doc, nlp: Language) -> Iterator[Mention]:
    """Watched spans first, each with how it was found and its confidence, then LOC entities."""
    sentences = SentenceIndex(doc)
    matcher = nlp.get_pipe("veille_watch_matcher")
    assert isinstance(matcher, WatchMatcher)
    watched = list(doc.spans[SPANS_KEY])
    watchlist = matcher.watchlist
    evidence = DocEvidence(doc, watched) if watched and matcher.scores else None
    for span in watched:
        mention = _mention(span, sentences, entry_id=span.label_, label="watched")
        entry = watchlist.get(span.label_) if watchlist is not None else None
        if evidence is not None and entry is not None:
            confidence, reasons = score(evidence.of(span, entry.kind, span.kb_id_, mention.sentence), entry)
            mention = replace(mention, confidence=confidence, reasons=reasons)
        yield replace(mention, matched_by=span.kb_id_ or "alias")
    for entity in doc.ents:
        if entity.label_ == "LOC":
            yield _mention(entity, sentences, entry_id=None, label="LOC")


def _mention(span: Span, sentences: SentenceIndex, entry_id: str | None, label: str) -> Mention:
    return Mention(
        entry_id=entry_id,
        label=label,
        text=span.text,
        start=span.start_char,
        end=span.end_char,
        sentence=sentences.around(span),
    )


class SentenceIndex:
    """Where one doc's sentences and lines start, found once: each mention's sentence is then a lookup.

    `span.sent` walks the doc token by token from the span to its sentence's ends, and finding the
    line around a span scans the text as far as the nearest line break: per mention, both cost the
    length of the sentence, so a long unpunctuated text of mentions ("Hama Hama ...") was quadratic.
    """

    def __init__(self, doc: Doc) -> None:
        self._text = doc.text
        sentences = list(doc.sents)
        self._first_tokens = [sentence.start for sentence in sentences]
        self._chars = [(sentence.start_char, sentence.end_char) for sentence in sentences]
        self._line_breaks = [match.start() for match in re.finditer("\n", self._text)]

    def around(self, span: Span) -> str:
        """The sentence holding `span`, never past a line break, cut to a window when it runs long."""
        text = self._text
        # As span.sent: the sentence that holds the span's first token.
        sentence_start, sentence_end = self._chars[bisect_right(self._first_tokens, span.start) - 1]
        # The small model's sentence splitter misses boundaries at line breaks without a full stop.
        before = bisect_left(self._line_breaks, span.start_char)
        line_start = self._line_breaks[before - 1] + 1 if before else 0
        after = bisect_left(self._line_breaks, span.end_char)
        line_end = self._line_breaks[after] if after < len(self._line_breaks) else len(text)
        start, end = max(sentence_start, line_start), min(sentence_end, line_end)
        left = max(start, span.start_char - _SENTENCE_WINDOW)
        right = min(end, span.end_char + _SENTENCE_WINDOW)
        excerpt = " ".join(text[left:right].split())
        return ("…" if left > start else "") + excerpt + ("…" if right < end else "")
