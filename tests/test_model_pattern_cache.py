"""The French model loaded from the pattern cache (veille.extract.pattern_cache), in real processes: the
second load compiles no large pattern, and its tokenizer cuts text exactly as the first one's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONFIG, ROOT, SEEDS

LOAD = """
import json, re, sys
from pathlib import Path

compiled = []  # every pattern of more than 100,000 characters compiled by the load
compile_now = re._compiler.compile
def counting(pattern, flags=0):
    if isinstance(pattern, str) and len(pattern) > 100_000:
        compiled.append(len(pattern))
    return compile_now(pattern, flags)
re._compiler.compile = counting

from veille.extract.index_cache import IndexCache
from veille.extract.pipeline import load_pipeline
from veille.watchlist import load_watchlist
nlp = load_pipeline("fr_core_news_sm", load_watchlist(Path(sys.argv[2])), index_cache=IndexCache(Path(sys.argv[1])))
texts = [path.read_text(encoding="utf-8") for path in sorted(Path(sys.argv[3]).glob("*.txt"))]
texts.append("Aujourd'hui, l'arrière-pays d'Alep, c'est-à-dire vis-à-vis des anti-aériennes ; J.-C.")
print(json.dumps({
    "compiled": compiled,
    "token_match": len(nlp.tokenizer.token_match.__self__.pattern),
    "tokens": [[token.text for token in nlp.tokenizer(text)] for text in texts],
}))
"""


def load(cache: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(cache), str(CONFIG / "watchlist.yaml"), str(SEEDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_second_load_takes_the_tokenizers_pattern_compiled_and_tokenizes_alike(tmp_path):
    first, second = load(tmp_path), load(tmp_path)

    assert len(first["compiled"]) == 1 and first["compiled"][0] > 1_000_000  # the French TOKEN_MATCH
    assert second["compiled"] == []
    assert first["token_match"] == second["token_match"] == first["compiled"][0]
    assert second["tokens"] == first["tokens"]
    assert sum(map(len, first["tokens"])) > 800  # the two seeds, cut into tokens
    assert first["tokens"][-1][2:4] == ["l'", "arrière-pays"]  # a word of the pattern
