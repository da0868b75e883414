"""How sure Veille is that a watched name means the entry: a confidence from 0 to 1, with its reasons.

Pure: it reads an `Evidence` record (what the model and the words around the mention say, gathered by
veille.extract.evidence) and the entry; nothing here touches spaCy. Each clue multiplies the
confidence by a factor; one weak clue alone keeps a mention over the threshold (0.5), a strong one or
two weak ones put it under, where it is held as doubtful, not dropped. docs/design.md ("Confidence")
lists the clues and their factors; veille/data/senses.yaml holds the words they weigh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from veille.errors import ConfigError
from veille.folding import compact, fold
from veille.watchlist import WatchEntry

# How sure a match is before any clue, by how it was found: a spelling the user wrote is surest.
BASE = {"alias": 0.95, "thesaurus": 0.92, "fold": 0.9, "gazetteer": 0.88, "fuzzy": 0.75}
# The factors: a strong clue alone holds a mention; a weak one needs company.
STRONG = 0.2
MEDIUM = 0.45
WEAK = 0.6
_DE = frozenset({"de", "d'", "du", "des", "of"})
# Before a head word, these make it one of many ("une rue d'Alep" is a street of Aleppo).
_ONE_OF_MANY = frozenset({"un", "une", "des", "les", "plusieurs", "ses", "leurs", "nombreux", "nombreuses", "chaque"})
_PREPOSITIONS = frozenset(
    {"a", "au", "aux", "de", "d'", "du", "des", "en", "dans", "pres", "sur", "vers", "of", "in", "at", "near"}
)
# Words of a name that are not names: "massacre de Hama", "the streets of Raqqa".
_FUNCTION_WORDS = frozenset({"de", "d'", "du", "des", "la", "le", "l'", "les", "al", "el", "the", "of", "et", "and"})

# Multiplies the confidence by a factor and says why.
_Clue = Callable[[float, str], None]


@dataclass(frozen=True)
class Word:
    """A word near the mention: as written (folded) and its lemma (folded), and as written in lower case
    (for the reasons a reader sees: "maçon", not "macon")."""

    text: str
    lemma: str
    shown: str = ""


@dataclass(frozen=True)
class Evidence:
    """What is known around one watched mention (veille.extract.evidence gathers it from the doc)."""

    kind: str
    matched_by: str
    text: str
    # The model's entity overlapping the mention: its label (PER, ORG, LOC, MISC), its text, and the
    # proper nouns it has besides the mention (folded): "Hama Amadou" around "Hama" -> ("amadou",).
    entity_label: str | None = None
    entity_text: str = ""
    entity_names: tuple[str, ...] = ()
    # Up to 5 words before the mention in its sentence, nearest last; up to 3 after.
    before: tuple[Word, ...] = ()
    after: tuple[Word, ...] = ()
    # The mention is the sentence's first word: its capital says nothing.
    starts_sentence: bool = False
    # The sentence is written in capitals (a headline): case says nothing.
    shouting: bool = False
    # Folded words and lemmas within 8 words of the mention, of its sentence and of the whole article,
    # the watched names themselves left out.
    near_words: frozenset[Word] = frozenset()
    sentence_words: frozenset[Word] = frozenset()
    article_words: frozenset[Word] = frozenset()
    # The sentence around the mention, folded, for phrases (`not`, "feu d'artifice").
    sentence: str = ""
    # How many other watched entries the article names: an article about the region, or about a war.
    other_entries: int = 0


@dataclass(frozen=True)
class Senses:
    """The word lists of veille/data/senses.yaml, folded."""

    military: frozenset[str]
    military_weak: frozenset[str]
    civil: dict[str, frozenset[str]]
    products: frozenset[str]
    places_elsewhere: frozenset[str]
    organisations: frozenset[str]
    geographic: frozenset[str]
    region: frozenset[str]
    brands: frozenset[str]
    titles: frozenset[str]

    def war(self, words: frozenset[Word]) -> tuple[float, list[str]]:
        """How much `words` speak of war (a word of war 1, an ambiguous one 0.5), and which (by lemma)."""
        strong, weak = _found(words, self.military), _found(words, self.military_weak) - _found(words, self.military)
        return len(strong) + 0.5 * len(weak), sorted(strong) + sorted(weak)

    def civil_domain(self, words: frozenset[Word]) -> tuple[float, str, list[str]]:
        """The civil domain `words` speak of most: how many of its words (by lemma), its name, which."""
        best: tuple[float, str, list[str]] = (0.0, "", [])
        for domain, lexicon in self.civil.items():
            found = _found(words, lexicon)
            if len(found) > best[0]:
                best = (float(len(found)), domain, sorted(found))
        return best


def _found(words: frozenset[Word], lexicon: frozenset[str]) -> set[str]:
    """The words of `lexicon` among `words`, one per lemma ("tirs" and "tir" are one word), as shown."""
    shown: dict[str, str] = {}
    for word in sorted(words, key=lambda word: (word.lemma, word.shown or word.text)):
        if word.text in lexicon or word.lemma in lexicon:
            shown.setdefault(word.lemma, word.shown or word.text)
    return set(shown.values())


@cache
def load_senses() -> Senses:
    """The shipped word lists (veille/data/senses.yaml), read once."""
    try:
        text = resources.files("veille").joinpath("data/senses.yaml").read_text(encoding="utf-8")
        data = yaml.safe_load(text)

        def words(values: list[str]) -> frozenset[str]:
            return frozenset(fold(str(value)) for value in values)

        return Senses(
            military=words(data["military"]),
            military_weak=words(data["military_weak"]),
            civil={domain: words(values) for domain, values in data["civil"].items()},
            products=words(data["named_after"]["products"]),
            places_elsewhere=words(data["named_after"]["places_elsewhere"]),
            organisations=words(data["organisations"]),
            geographic=words(data["geographic"]),
            region=words(data["region"]),
            brands=words(data["brands"]),
            titles=words(data["titles"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"veille/data/senses.yaml cannot be read: {exc}") from exc


def score(evidence: Evidence, entry: WatchEntry, senses: Senses | None = None) -> tuple[float, tuple[str, ...]]:
    """The confidence that the mention means `entry`, and why, in words a reader of the alert follows."""
    senses = senses or load_senses()
    confidence = BASE.get(evidence.matched_by, BASE["fold"])
    reasons: list[str] = []

    def clue(factor: float, why: str) -> None:
        nonlocal confidence
        confidence *= factor
        reasons.append(why)

    excluded = _excluded_by(evidence, entry)
    if excluded is not None:
        return 0.0, (f"excluded by the watch list: not {excluded!r}",)
    _name_clues(evidence, entry, senses, clue)
    if evidence.kind == "place":
        _place_clues(evidence, senses, clue, reasons)
    else:
        _weapon_clues(evidence, entry, senses, clue, reasons)
    if entry.context:
        wanted = {fold(word) for word in entry.context}
        written = {form for word in evidence.sentence_words for form in (word.text, word.lemma)}
        found = sorted(wanted & written) or [w for w in sorted(wanted) if _has_phrase(evidence.sentence, w)]
        if found:
            confidence = max(confidence, 0.8)
            reasons.append(f"context words of the entry: {', '.join(found)}")
        else:
            clue(STRONG, "none of the entry's context words in the sentence")
    return round(min(confidence, 1.0), 2), tuple(reasons)


def _name_clues(evidence: Evidence, entry: WatchEntry, senses: Senses, clue: _Clue) -> None:
    """Clues that the name is the name of something else: a person, a firm, a venue, a product model."""
    if _head_before(evidence, senses.geographic) is not None:
        return  # "la ville de Hama": whatever the model says, a place
    # The word just before, or the one before it across an adjective ("la chaîne libanaise Al-Mayadeen"),
    # never across a preposition: "un café à Hama" is in Hama.
    before = [word.text for word in evidence.before[-2:]]
    if len(before) == 2 and before[-1] in _PREPOSITIONS:
        before = before[-1:]
    capital = evidence.text[:1].isupper()
    brand = next((word for word in before if word in senses.brands), None)
    if brand is not None and any(char.isdigit() for char in evidence.text):
        clue(STRONG * 0.5, f"a model code: after {brand!r}")
        return
    title = before[-1] if before and before[-1] in senses.titles else None
    if title is not None and capital:
        clue(STRONG, f"a person's, a street's or a building's name: after {title!r}")
        return
    named = next((word for word in before if word in senses.organisations), None)
    if named is not None and capital and not evidence.shouting:
        clue(STRONG, f"a name: after {named!r}")
        return
    others = [word for word in evidence.entity_names if word not in senses.geographic | _FUNCTION_WORDS]
    if evidence.entity_label == "PER" and others:
        clue(STRONG, f"the model reads a person: {_quoted(evidence.entity_text)}")
    elif evidence.entity_label in ("ORG", "MISC") and others and not _war_near(evidence, senses):
        clue(MEDIUM, f"inside the name {_quoted(evidence.entity_text)}")
    acronym = evidence.text.isupper() and len(compact(evidence.text)) >= 3
    if entry.kind == "place" and acronym and not evidence.shouting and not evidence.starts_sentence:
        clue(MEDIUM, "written in capitals inside a sentence: an acronym")


def _place_clues(evidence: Evidence, senses: Senses, clue: _Clue, reasons: list[str]) -> None:
    geographic = _head_before(evidence, senses.geographic)
    if geographic is not None:
        reasons.append(f"a place: after {geographic!r}")
        return
    product = _head_before(evidence, senses.products, far=True) or _word_after(evidence, senses.products)
    venue = _head_before(evidence, senses.places_elsewhere)
    if product is not None:
        clue(STRONG * 0.5, f"a thing named after the place: {product} ... {_quoted(evidence.text, '')}")
    elif venue is not None and not _one_of_many(evidence):
        clue(STRONG * 0.75, f"a street, venue or team named after the place: {venue} ... {_quoted(evidence.text, '')}")
    previous = evidence.before[-1].text if evidence.before else ""
    following = _word_after(evidence, senses.geographic)
    # By lemma: "est" is east, but mostly "is" (lemma "être").
    around = sorted({word.lemma for word in evidence.sentence_words if word.lemma in senses.geographic})
    if following is not None:
        reasons.append(f"a place: before {following!r}")
    elif len(around) >= 2:
        reasons.append(f"words of places: {', '.join(around[:3])}")
    if previous in ("la", "le") and evidence.entity_text.startswith(("La ", "Le ")) and not evidence.starts_sentence:
        clue(STRONG, f"another place's name: {_quoted(evidence.entity_text)}")
    if evidence.text.islower() and not evidence.shouting:
        clue(MEDIUM, "written in lower case: a common noun")
    war, _ = senses.war(evidence.article_words)
    placed = following is not None or len(around) >= 2
    if not war and not _found(evidence.article_words, senses.region) and not evidence.other_entries and not placed:
        clue(MEDIUM, "no word of Syria or of war in the article")


def _weapon_clues(evidence: Evidence, entry: WatchEntry, senses: Senses, clue: _Clue, reasons: list[str]) -> None:
    common_noun = entry.name.islower() and " " not in entry.name.strip()
    if common_noun and evidence.text[:1].isupper() and not evidence.starts_sentence and not evidence.shouting:
        clue(STRONG, "written with a capital, as a name")
    phrase = _weapon_phrase(evidence)
    # The nearest words that say anything decide: the name's own phrase ("obus de mortier", "mortier de
    # chaux"), else the words within 8 of it, else its sentence, else the article.
    for words in (phrase, evidence.near_words, evidence.sentence_words):
        war, war_words = senses.war(words)
        civil, domain, civil_words = senses.civil_domain(words)
        if _festive(evidence) and words is not phrase:
            civil, domain, civil_words = civil + 1, domain or "festivities", [*civil_words, "feu d'artifice"]
        # A word of war is rarer and says more than one of the other senses: against one, the other
        # sense needs clearly more words; against ambiguous ones only ("tirer", "lancer"), as many.
        strong = bool(_found(words, senses.military))
        if civil and (civil > war + 0.5 if strong else civil >= war):
            clue(STRONG, f"not of war: {', '.join(civil_words[:3])} ({domain})")
            break
        if war:
            reasons.append(f"words of war: {', '.join(war_words[:3])}")
            break
    else:
        war, _ = senses.war(evidence.article_words)
        civil, domain, civil_words = senses.civil_domain(evidence.article_words)
        coded = any(char.isdigit() for char in evidence.text)
        if civil > war and not coded and " " not in entry.name:
            clue(MEDIUM, f"the article is not of war: {', '.join(civil_words[:3])} ({domain})")
        elif not war and not coded and " " not in entry.name and not evidence.other_entries:
            clue(MEDIUM, "no word of war in the sentence or the article")
    if entry.sense == "military" and not senses.war(evidence.sentence_words)[0]:
        clue(STRONG, "the entry wants a military sense and the sentence has no word of war")


# A reason quotes the article: one line, and short, whatever the text (a token may be 100 KB long).
_QUOTED_CHARS = 60


def _quoted(text: str, mark: str = "'") -> str:
    line = " ".join(text.split())
    cut = line[:_QUOTED_CHARS] + ("…" if len(line) > _QUOTED_CHARS else "")
    return f"{mark}{cut}{mark}"


def _weapon_phrase(evidence: Evidence) -> frozenset[Word]:
    """The words a "de" ties to a weapon word: "obus" in "obus de mortier", "chaux" in "mortier de chaux"."""
    words = []
    if len(evidence.before) >= 2 and evidence.before[-1].text in _DE:
        words.append(evidence.before[-2])
    if len(evidence.after) >= 2 and evidence.after[0].text in (*_DE, "en", "a"):
        words.append(evidence.after[1])
    return frozenset(words)


def _war_near(evidence: Evidence, senses: Senses) -> bool:
    return senses.war(evidence.sentence_words)[0] >= 1


_FESTIVE = ("feu d'artifice", "feux d'artifice", "mortier d'artifice", "mortiers d'artifice", "tir d'artifice")


def _festive(evidence: Evidence) -> bool:
    return any(_has_phrase(evidence.sentence, phrase) for phrase in _FESTIVE)


def _excluded_by(evidence: Evidence, entry: WatchEntry) -> str | None:
    """The entry's `not` phrase that excludes this mention, if any."""
    name = compact(evidence.text)
    for phrase in entry.not_:
        folded = fold(phrase)
        if _has_phrase(evidence.sentence, folded) and (name not in compact(phrase) or _covers(evidence, folded)):
            return phrase
    return None


def _covers(evidence: Evidence, phrase: str) -> bool:
    """Whether a `not` phrase holding the name is the mention's own context ("rue d'Alep" around "Alep")."""
    words = [w.text for w in evidence.before] + [fold(evidence.text)] + [w.text for w in evidence.after]
    return compact(phrase) in compact(" ".join(words))


def _has_phrase(sentence: str, phrase: str) -> bool:
    """`phrase` (folded) in `sentence` (folded) as whole words."""
    start = sentence.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if (start == 0 or not sentence[start - 1].isalnum()) and (end == len(sentence) or not sentence[end].isalnum()):
            return True
        start = sentence.find(phrase, start + 1)
    return False


def _head_before(evidence: Evidence, heads: frozenset[str], far: bool = False) -> str | None:
    """The noun of `heads` that a "de/d'" ties the mention to: "savon" in "savon d'Alep"; `far`: also
    "noix" in "noix de galle d'Alep"."""
    before = evidence.before
    for at in (-2, -4) if far else (-2,):
        if len(before) >= -at and before[at + 1].text in _DE:
            head = before[at]
            if head.text in heads or head.lemma in heads:
                return head.text
    return None


def _word_after(evidence: Evidence, words: frozenset[str]) -> str | None:
    """An English compound: "Aleppo soap", "Aleppo pepper"."""
    following = evidence.after[0] if evidence.after else None
    return following.text if following is not None and following.text in words else None


def _one_of_many(evidence: Evidence) -> bool:
    before = evidence.before
    return len(before) >= 3 and before[-3].text in _ONE_OF_MANY
