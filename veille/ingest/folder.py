"""A folder of plain-text articles (`*.txt`, searched recursively)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from veille.errors import IngestError
from veille.ingest.text import clean_article_text, decode_text, title_of
from veille.records import Article, ReadError, SourceBatch


@dataclass(frozen=True)
class FolderSource:
    """Reads every .txt file under `path`; an article's key is its path inside the folder."""

    path: Path
    max_file_bytes: int

    @property
    def name(self) -> str:
        return f"folder:{display_path(self.path)}"

    def read(self) -> SourceBatch:
        if not self.path.is_dir():
            raise IngestError(f"{self.path}: not a folder")
        files = sorted(path for path in self.path.rglob("*.txt") if not path.is_dir())
        articles, errors = [], []
        for file in files:
            try:
                articles.append(self.read_file(file))
            except IngestError as exc:
                errors.append(ReadError(self.name, display_path(file), str(exc)))
        return SourceBatch(self.name, tuple(articles), tuple(errors), items_seen=len(files))

    def read_file(self, file: Path) -> Article:
        """One article, or IngestError saying why this file is not one."""
        try:
            size = file.stat().st_size
            if size > self.max_file_bytes:
                raise IngestError(f"too large: {size} bytes, the limit is {self.max_file_bytes} (VEILLE_MAX_FILE_BYTES)")
            data = file.read_bytes()
        except OSError as exc:
            raise IngestError(f"cannot read: {exc.strerror or exc}") from exc
        text = clean_article_text(decode_text(data))
        if not text:
            raise IngestError("no text: only image names or blank lines")
        return Article(
            source=self.name,
            key=file.relative_to(self.path).as_posix(),
            title=title_of(text),
            location=display_path(file),
            text=text,
        )


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute."""
    # abspath, not resolve(): a symlinked file is named as the user placed it.
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()
