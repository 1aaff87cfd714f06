"""Zip archives of exports, read member by member as if each member were a file in the archive's folder.

A member's lineage names the archive and the member: `shop/exports.zip!2025/orders.csv` (the
separator is MEMBER_SEPARATOR). A broken member (corrupt, encrypted, an archive inside the
archive, an unknown layout) costs only that member: it is one row-0 quarantine entry under its
own name and the other members still load. An archive that would unpack beyond MAX_UNPACKED_BYTES
or MAX_MEMBERS files (a zip bomb, or simply too much) is refused whole, before anything is unpacked.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from sources.formats import is_archive_file
from sources.reading import FileResult

MEMBER_SEPARATOR = "!"
MAX_UNPACKED_BYTES = 2 * 1024**3  # what all members add up to once unpacked
MAX_MEMBERS = 10_000
SKIPPED_PARTS = ("__MACOSX",)  # the resource forks macOS's Archive Utility adds
SKIPPED_NAMES = (".DS_Store", "Thumbs.db")
UTF8_NAME_FLAG = 0x800  # a zip member's name is UTF-8; without it, Windows wrote it in the local code page

ReadMember = Callable[[Path, str], FileResult]  # (unpacked member file, lineage name) -> its result


def member_name(archive: str, member: str) -> str:
    return f"{archive}{MEMBER_SEPARATOR}{member}"


def read_archive(
    path: Path, name: str, content: str, kind: str, read_member: ReadMember, described: Callable[[Path], set[Path]]
) -> list[FileResult]:
    """One result per member file, each read by `read_member` from an unpacked copy laid out as
    `<kind>/<member>`; `described(root)` names the members a mapping reads (not read on their own).
    An archive that cannot be opened, or is too large, is one rejected result under its own name."""
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="unify-zip-") as tmp:
            members = [(info, member_path(info)) for info in archive.infolist() if not info.is_dir()]
            members = [(info, member) for info, member in members if not _skipped(member)]
            problem = archive_problem([info for info, _ in members])
            if problem:
                return [rejected(name, name, content, problem)]
            root = Path(tmp)
            results, unpacked = _unpack(archive, members, root / kind, name, content)
            skip = described(root)
            for member, target in unpacked:
                if target.resolve() not in skip:
                    results.append(_read(target, member_name(name, member), name, content, read_member))
            return sorted(results, key=lambda r: r.source_file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        return [rejected(name, name, content, f"not a readable zip archive (corrupt or truncated): {exc}")]


def archive_problem(members: list[zipfile.ZipInfo]) -> str | None:
    """Why an archive is refused before it is unpacked: too many members or too many bytes."""
    if len(members) > MAX_MEMBERS:
        return f"zip archive holds {len(members):,} files, over the limit of {MAX_MEMBERS:,}: refused unread (split it)"
    unpacked = sum(info.file_size for info in members)
    if unpacked > MAX_UNPACKED_BYTES:
        return (
            f"zip archive would unpack to {unpacked / 1024**3:.1f} GB, over the limit of "
            f"{MAX_UNPACKED_BYTES / 1024**3:.0f} GB (a zip bomb?): refused unread"
        )
    if not members:
        return "zip archive holds no files"
    return None


def member_path(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: names without the UTF-8 flag are decoded as UTF-8 or,
    as Chinese Windows writes them, GB18030 (zipfile reads them as cp437)."""
    text = info.filename
    if not info.flag_bits & UTF8_NAME_FLAG:
        raw = text.encode("cp437", errors="replace")
        for encoding in ("utf-8", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return "/".join(part for part in text.replace("\\", "/").split("/") if part not in ("", "."))


def _skipped(member: str) -> bool:
    parts = PurePosixPath(member).parts
    return any(p in SKIPPED_PARTS for p in parts) or parts[-1] in SKIPPED_NAMES or parts[-1].startswith(("~$", "._"))


def _unpack(archive: zipfile.ZipFile, members: list, folder: Path, name: str, content: str):
    """(rejected results, [(member, unpacked file)]): each member unpacked on its own, so one that
    cannot be unpacked (corrupt, encrypted, an unsafe path) costs only itself."""
    results, unpacked = [], []
    for info, member in members:
        lineage = member_name(name, member)
        if ".." in PurePosixPath(member).parts:
            results.append(rejected(lineage, name, content, "member path leaves the archive ('..'): not unpacked"))
            continue
        target = folder / member
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as sink:
                # zipfile stops at the size the member declares (and checks its CRC), so
                # archive_problem's sum bounds what is written
                shutil.copyfileobj(source, sink, 1024 * 1024)
        except RuntimeError as exc:  # zipfile's word for an encrypted member
            results.append(rejected(lineage, name, content, f"member is password-protected: {exc}"))
            continue
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as exc:
            results.append(rejected(lineage, name, content, f"member could not be unpacked (corrupt?): {exc}"))
            continue
        unpacked.append((member, target))
    return results, unpacked


def _read(target: Path, lineage: str, archive: str, content: str, read_member: ReadMember) -> FileResult:
    if is_archive_file(target):
        return rejected(lineage, archive, content, "a zip archive inside a zip archive is not read: unpack it first")
    result = read_member(target, lineage)
    result.origin = archive  # the file that was read; its fingerprint decides whether to read it again
    return result


def rejected(source_file: str, origin: str, content: str, reason: str) -> FileResult:
    result = FileResult(source_file=source_file, origin=origin, source_format="zip", fingerprint=content)
    result.reject_file(reason)
    return result
