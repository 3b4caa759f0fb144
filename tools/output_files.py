"""Files written where a user points (`--out`, `--rejects`): never through a symbolic link, and never over an
existing file unless they say so (`--force`).

A link at the path could send the write anywhere the process may write (a shell profile, a cron
file); an existing file could be someone's data. The file is written to a temporary name beside the
target and then moved into place: a link appearing meanwhile is replaced, never followed, and without
`force` the move can't clobber a file that appeared after the check.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tools.errors import TierwiseError


def check_output(path: str | Path, *, force: bool = False) -> Path:
    """The path, if a file may be written there; otherwise a sentence saying why not and what to do."""
    target = Path(path).expanduser()
    if target.is_symlink():
        raise TierwiseError(f"{target} is a symbolic link; Tierwise doesn't write through links. "
                            "Give the path of a regular file.")
    if target.exists():
        if target.is_dir():
            raise TierwiseError(f"{target} is a folder; give a file name.")
        if not force:
            raise TierwiseError(f"{target} already exists; add --force to overwrite it.")
    return target


@contextmanager
def output_file(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes `path` (checked before and after)."""
    target = check_output(path, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        check_output(target, force=force)
        if force:
            os.replace(temporary, target)  # replaces the entry itself: a link there is not followed
        else:
            try:
                os.link(temporary, target)  # fails if anything appeared at the path meanwhile
            except FileExistsError:
                raise TierwiseError(f"{target} already exists; add --force to overwrite it.") from None
            except OSError:  # a file system without hard links: the check above stands
                os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def check_output_dir(path: str | Path, names: list[str], *, force: bool = False) -> Path:
    """A folder files of these names may be written into: not a link, none of them a link or, without force,
    an existing file."""
    folder = Path(path).expanduser()
    if folder.is_symlink():
        raise TierwiseError(f"{folder} is a symbolic link; Tierwise doesn't write through links. "
                            "Give the path of a regular folder.")
    if folder.exists() and not folder.is_dir():
        raise TierwiseError(f"{folder} is a file, not a folder.")
    for name in names:
        inside = folder
        for part in Path(name).parts[:-1]:  # truth/future_orders.csv: the truth folder may not be a link either
            inside = inside / part
            if inside.is_symlink():
                raise TierwiseError(f"{inside} is a symbolic link; Tierwise doesn't write through links.")
        check_output(folder / name, force=force)
    return folder
