"""Look-alike letters of other scripts inside Latin names, folded from Unicode's confusables data.

The look-alikes are written as escapes: ruff's RUF001 rightly refuses them as literals, and a reader
could not see which letter is which anyway.
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources

import pytest

from veille.confusables import latin_lookalikes, lookalike_table

# Cyrillic
A_CYR, E_CYR, O_CYR, ER_CYR, ES_CYR = "\u0430", "\u0435", "\u043e", "\u0440", "\u0441"
CAPITAL_A_CYR, KA_CYR, EN_CYR, TE_CYR, DZE_CYR, EM_CYR = "\u0410", "\u041a", "\u041d", "\u0422", "\u0405", "\u041c"
IO_CYR = "\u0451"  # ё, a look-alike with a diaeresis
# Greek
OMICRON, ALPHA, KAPPA, IOTA = "\u03bf", "\u0391", "\u039a", "\u0399"


@pytest.mark.parametrize(
    ("word", "latin"),
    [
        (f"H{A_CYR}ma", "Hama"),
        (f"D{E_CYR}raa", "Deraa"),
        (f"H{O_CYR}ms", "Homs"),
        (f"Ale{ER_CYR}", "Alep"),
        (f"Damas{ES_CYR}us", "Damascus"),
        (f"{KA_CYR}alibr", "Kalibr"),
        (f"{CAPITAL_A_CYR}lep", "Alep"),
        (f"{EN_CYR}OMS", "HOMS"),
        (f"{TE_CYR}artous", "Tartous"),
        (f"K{OMICRON}bané", "Kobané"),
        (f"{ALPHA}frin", "Afrin"),
        (f"{KAPPA}obani", "Kobani"),
        (f"{IOTA}DLIB", "IDLIB"),  # the data ties a capital iota to "l"; the same case wins
        (f"{KA_CYR}{A_CYR}libr", "Kalibr"),  # several in one word
        (f"{DZE_CYR}u-34", "Su-34"),  # digits and hyphens pass through
        (f"Tu-22{EM_CYR}3", "Tu-22M3"),
        (f"{EN_CYR}{CAPITAL_A_CYR}{EM_CYR}{CAPITAL_A_CYR}", "HAMA"),  # look-alikes only, 4 letters
        (f"Al{IO_CYR}p", "Alëp"),  # a look-alike with an accent takes the accented Latin letter
    ],
)
def test_a_latin_name_in_disguise_is_made_latin(word, latin):
    assert latin_lookalikes(word) == latin


@pytest.mark.parametrize(
    "word",
    [
        "Hama",
        "Deir ez-Zor",
        "Kobané",  # Latin with an accent: nothing to fold
        "Lattaquié",
        "",
        "-",
        "34",
        "\u041a\u0430\u043b\u0438\u0431\u0440",  # Russian Kalibr: three letters have no Latin look-alike
        "\u0410\u043b\u0435\u043f\u043f\u043e",  # Russian Aleppo
        "\u0425\u043e\u043c\u0441",  # Russian Homs: the m has no look-alike
        "\u0394\u03b1\u03bc\u03b1\u03c3\u03ba\u03cc\u03c2",  # Greek Damascus
        "\u03c0\u03cc\u03bb\u03b5\u03bc\u03bf\u03c2",  # Greek "war"
        "\u062d\u0644\u0628",  # Arabic Aleppo
        "\u062f\u0645\u0634\u0642",  # Arabic Damascus
        f"{CAPITAL_A_CYR}{KA_CYR}-47",  # how Russian writes AK-47: two letters are too few to call it a disguise
        f"H{A_CYR}ma\u0434",  # a Cyrillic letter without a look-alike: not a Latin word
        "Su-3\uff14",  # a full-width digit is NFKC's to fold (veille.folding), no letter of another script
        "\U0001d407\U0001d41a\U0001d426\U0001d41a",  # mathematical bold Hama: NFKC's too
    ],
)
def test_a_latin_word_or_a_real_word_of_another_script_is_left_alone(word):
    assert latin_lookalikes(word) is None


def test_a_huge_word_is_read_in_one_pass():
    assert latin_lookalikes("H" + A_CYR * 1_000_000) == "H" + "a" * 1_000_000
    assert latin_lookalikes(A_CYR * 1_000_000 + "\u0434") is None


def package_pairs() -> set[tuple[str, str]]:
    """Every (character, homoglyph) pair the package's confusables.json lists, both ways."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    pairs = set()
    for key, homoglyphs in data.items():
        for homoglyph in homoglyphs:
            first, second = key.strip("\u200e\u200f"), homoglyph["c"].strip("\u200e\u200f")
            pairs |= {(first, second), (second, first)}
    return pairs


def test_the_table_comes_from_the_package_data():
    table = lookalike_table()
    assert len(table) >= 300
    # Characters no test above names, nor any hand list: Cyrillic komi de and shha.
    assert table[0x0501] == "d"
    assert table[0x04BB] == "h"
    homoglyphs: dict[str, set[str]] = {}
    for first, second in package_pairs():
        homoglyphs.setdefault(first, set()).add(second)

    def looks_like(char: str, latin: str) -> bool:
        # Straight from the data, or through a Latin look-alike of the letter the data gives ("l" for
        # a capital iota, then "I").
        near = homoglyphs.get(char, set())
        return latin in near or any(latin in homoglyphs.get(other, set()) for other in near)

    for code, latin in table.items():
        source, base = chr(code), unicodedata.normalize("NFD", chr(code))[0]
        # Or an accented look-alike: its base letter looks like the Latin letter's base.
        accented = base != source and looks_like(base, unicodedata.normalize("NFD", latin)[0])
        assert looks_like(source, latin) or accented, f"U+{code:04X} -> {latin}"


def test_every_table_entry_maps_a_letter_of_another_script_to_one_latin_letter():
    for code, latin in lookalike_table().items():
        assert not chr(code).isascii() and "LATIN" not in unicodedata.name(chr(code))
        assert len(latin) == 1 and "LATIN" in unicodedata.name(latin)
        assert unicodedata.normalize("NFD", latin)[0].isascii()
