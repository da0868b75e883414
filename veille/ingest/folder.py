"""A folder of plain-text articles (`*.txt`, searched recursively).

A watched folder is input like any other: a file in it may be a FIFO (a read would wait forever),
a link to a device (/dev/zero reads until memory runs out) or a link to a file elsewhere on the
machine (/etc/passwd). Only regular files are read, each with a read bounded by the size limit,
and links that lead out of the folder are not followed unless the setting says so.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from veille.errors import IngestError
from veille.ingest.dates import date_written_in
from veille.ingest.text import clean_article_text, decode_text, title_of
from veille.names import folder_source_name, printable_path
from veille.records import Article, ReadError, SourceBatch
from veille.sanitize import loggable

logger = logging.getLogger(__name__)

SUFFIX = ".txt"
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class FolderSource:
    """Reads every .txt file under `path`; an article's key is its path inside the folder.

    The source's name is `folder:` and the folder's `label` when given, else its absolute path:
    never a path relative to the working directory, which would make every article new when Veille
    runs from elsewhere.
    """

    path: Path
    max_file_bytes: int
    label: str | None = None
    follow_links: bool = False

    @property
    def name(self) -> str:
        return folder_source_name(self.path, self.label)

    def read(self) -> SourceBatch:
        if not self.path.is_dir():
            raise IngestError(f"{self.path}: not a folder")
        errors: list[ReadError] = []
        files = sorted(self._files(errors))
        read_at = datetime.now(UTC)
        articles = []
        for file in files:
            try:
                articles.append(self.read_file(file, read_at))
            except IngestError as exc:
                errors.append(ReadError(self.name, display_path(file), str(exc)))
            except Exception as exc:  # a bug met on one file must not cost the folder its other files
                logger.exception("unexpected error reading %s", loggable(display_path(file)))
                errors.append(
                    ReadError(
                        self.name, display_path(file), f"unexpected {type(exc).__name__} (a bug: please report it)"
                    )
                )
        return SourceBatch.read(self.name, tuple(articles), tuple(errors), items_seen=len(files))

    def _files(self, errors: list[ReadError]) -> Iterator[Path]:
        """Every *.txt below the folder; linked folders only with follow_links, each real folder once.

        A subfolder that cannot be listed is added to `errors`, not skipped in silence.
        """

        def unlisted(exc: OSError) -> None:
            where = display_path(Path(exc.filename)) if exc.filename else display_path(self.path)
            errors.append(ReadError(self.name, where, f"cannot list the folder: {exc.strerror or exc}"))

        seen: set[str] = set()
        for top, folders, names in os.walk(self.path, onerror=unlisted, followlinks=self.follow_links):
            real = os.path.realpath(top)
            if real in seen:  # a link back to a folder already read: a loop, or the same files twice
                folders.clear()
                continue
            seen.add(real)
            for name in names:
                if name.endswith(SUFFIX):
                    yield Path(top, name)

    def read_file(self, file: Path, read_at: datetime) -> Article:
        """One article, or IngestError saying why this file is not one.

        A file has no published date but the one its text writes (veille.ingest.dates), if any;
        `read_at` bounds it (a date after tomorrow is not the article's).
        """
        text = clean_article_text(decode_text(self._read_bytes(file)))
        if not text:
            raise IngestError("no text: only image names or blank lines")
        return Article(
            source=self.name,
            key=printable_path(file.relative_to(self.path).as_posix()),
            title=title_of(text),
            location=display_path(file),
            text=text,
            published_at=date_written_in(text, read_at),
        )

    def _read_bytes(self, file: Path) -> bytes:
        """The file's bytes: a regular file only, inside the folder unless links may lead out, at most the limit."""
        real = os.path.realpath(file)
        if not self.follow_links and not _inside(real, os.path.realpath(self.path)):
            raise IngestError("a link to a file outside the folder, not followed (VEILLE_FOLLOW_LINKS)")
        try:
            # O_NONBLOCK: opening a FIFO would otherwise wait for a writer. O_NOFOLLOW: the checked path
            # cannot have become a link since.
            descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise IngestError(f"cannot read: {exc.strerror or exc}") from exc
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
                raise IngestError(f"{kind}, not a regular file: not read")
            if info.st_size > self.max_file_bytes:
                raise self._too_large(str(info.st_size))
            try:
                data = handle.read(self.max_file_bytes + 1)
            except OSError as exc:
                raise IngestError(f"cannot read: {exc.strerror or exc}") from exc
        if len(data) > self.max_file_bytes:  # it grew since fstat
            raise self._too_large(f"more than {self.max_file_bytes}")
        return data

    def _too_large(self, size: str) -> IngestError:
        return IngestError(f"too large: {size} bytes, the limit is {self.max_file_bytes} (VEILLE_MAX_FILE_BYTES)")


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute (for people to read)."""
    # abspath, not resolve(): a symlinked file is named as the user placed it.
    absolute = Path(os.path.abspath(path))
    try:
        return printable_path(absolute.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return printable_path(absolute.as_posix())


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
