"""Download a GGUF model into OS1's models folder: resumable, checked, installed atomically.

Bytes go to `FILE.gguf.part`; a broken connection resumes with an HTTP Range request, and
only a complete file whose sha256 matches the hub's published checksum is renamed to
`FILE.gguf`. A failed or cancelled pull therefore never leaves a half-written model in use.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from os1.errors import ChecksumMismatch, DownloadError, ModelNotFound, StorageFull
from os1.models.catalog import catalog, lookup

CHUNK = 1 << 20
DISK_MARGIN = 64 << 20  # leave a little room: a full disk breaks everything else too
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Source:
    """Where a model comes from and what it should be."""

    url: str
    filename: str
    sha256: str | None = None


def resolve(name: str, hf_endpoint: str) -> Source:
    """A catalog name, `hf:OWNER/REPO/FILE.gguf` or an http(s) URL, as a download source."""
    endpoint = hf_endpoint.rstrip("/")
    known = lookup(name)
    if known is not None:
        url = f"{endpoint}/{known.hf_repo}/resolve/main/{known.hf_file}"
        return Source(url, known.hf_file, known.sha256)
    if name.startswith("hf:"):
        owner, _, rest = name[3:].partition("/")
        repo, _, file = rest.partition("/")
        if not (owner and repo and file.endswith(".gguf")):
            raise ModelNotFound(
                f"{name!r} should look like hf:OWNER/REPO/FILE.gguf",
                hint="For example hf:bartowski/Llama-3.2-1B-Instruct-GGUF/"
                "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            )
        return Source(f"{endpoint}/{owner}/{repo}/resolve/main/{file}", Path(file).name)
    if name.startswith(("http://", "https://")):
        filename = Path(unquote(urlsplit(name).path)).name
        if not filename.endswith(".gguf"):
            raise ModelNotFound(f"{name} does not name a .gguf file")
        return Source(name, filename)
    names = ", ".join(m.name for m in catalog())
    raise ModelNotFound(
        f"no model called {name!r} in OS1's catalog",
        hint=f"Try one of {names}, hf:OWNER/REPO/FILE.gguf, or a URL of a .gguf file.",
    )


@dataclass(frozen=True)
class Remote:
    size: int | None
    sha256: str | None


def _published(client: httpx.Client, url: str) -> Remote:
    """Size and checksum as the hub publishes them: on its redirect for LFS files
    (X-Linked-Size, X-Linked-Etag), else on the file itself (Content-Length, ETag)."""
    seen: list[httpx.Response] = []
    try:
        response = client.head(url, follow_redirects=False)
        # The hub's redirect carries the checksum; its CDN links are signed for GET only, so
        # stop there. Other servers are followed to the file itself.
        while response.is_redirect and "x-linked-size" not in response.headers:
            if len(seen) >= 5:
                raise DownloadError(f"{_host(url)} redirects too often")
            seen.append(response)
            response = client.head(response.url.join(response.headers["location"]))
    except httpx.HTTPError as exc:
        raise DownloadError(f"could not reach {_host(url)}: {exc}") from None
    if response.status_code in (401, 403, 404):
        raise ModelNotFound(
            f"{_host(url)} has no file at {url} (HTTP {response.status_code})",
            hint="Check the name; gated models need you to accept their licence on the hub.",
        )
    if response.status_code >= 400:
        raise DownloadError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
    size: int | None = None
    sha: str | None = None
    for r in [*seen, response]:
        linked = r.headers.get("x-linked-size")
        if size is None and linked and linked.isdigit():
            size = int(linked)
        for header in ("x-linked-etag", "etag"):
            tag = r.headers.get(header, "").removeprefix("W/").strip('"').lower()
            if sha is None and _SHA256.match(tag):
                sha = tag
    length = response.headers.get("content-length")
    if size is None and length and length.isdigit():
        size = int(length)
    return Remote(size, sha)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def check_disk_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed + DISK_MARGIN:
        raise StorageFull(
            f"not enough disk space: the model needs {needed / 1e9:.1f} GB, "
            f"{free / 1e9:.1f} GB are free in {folder}",
        )


def pull(
    source: Source,
    folder: Path,
    *,
    progress: Progress | None = None,
    retries: int = 3,
    client: httpx.Client | None = None,
) -> Path:
    """Download `source` into `folder` and return the installed file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / source.filename
    if final.is_file():
        return final
    part = folder / (source.filename + ".part")
    own = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
    try:
        remote = _published(http, source.url)
        expected = source.sha256 or remote.sha256
        have = part.stat().st_size if part.exists() else 0
        if remote.size is not None and have > remote.size:
            part.unlink()  # not a prefix of this file
            have = 0
        if remote.size is not None:
            check_disk_space(folder, remote.size - have)
        for attempt in range(retries + 1):
            try:
                _fetch(http, source.url, part, remote.size, progress)
                break
            except httpx.TransportError as exc:
                if attempt == retries:
                    got = part.stat().st_size if part.exists() else 0
                    raise DownloadError(
                        f"the download of {source.filename} broke off at "
                        f"{got / 1e6:.0f} of {(remote.size or 0) / 1e6:.0f} MB ({exc})"
                    ) from None
    finally:
        if own:
            http.close()
    _verify(part, remote.size, expected, source.filename)
    os.replace(part, final)
    return final


def _fetch(
    client: httpx.Client, url: str, part: Path, size: int | None, progress: Progress | None
) -> None:
    """Fetch the rest of the file into `part`, resuming from what it holds."""
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have == size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
        if response.status_code == 206:
            start = _range_start(response.headers.get("content-range", ""))
            if start != have:
                raise DownloadError(f"{_host(url)} resumed at byte {start}, not {have}")
            mode = "ab"
        elif response.status_code == 200:
            mode, have = "wb", 0  # the server ignored the range: start over
        elif response.status_code == 416 and size is None:
            return  # nothing left to fetch
        else:
            raise DownloadError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
        if progress:
            progress(have, size)
        with part.open(mode) as f:
            for chunk in response.iter_bytes():  # as it arrives: a drop loses nothing
                f.write(chunk)
                have += len(chunk)
                if progress:
                    progress(have, size)
    if size is not None and have < size:
        raise httpx.RemoteProtocolError(f"connection closed after {have} of {size} bytes")


def _range_start(content_range: str) -> int:
    match = re.match(r"bytes (\d+)-", content_range)
    return int(match.group(1)) if match else -1


def _verify(part: Path, size: int | None, sha256: str | None, filename: str) -> None:
    """A damaged file is removed: resuming from it could only repeat the damage."""
    problem = None
    if size is not None and part.stat().st_size != size:
        problem = f"{filename} is {part.stat().st_size} bytes, the hub says {size}"
    elif sha256 is not None and file_sha256(part) != sha256:
        problem = f"{filename} failed its sha256 check"
    else:
        with part.open("rb") as f:
            if f.read(4) != b"GGUF":
                problem = f"{filename} is not a GGUF model file"
    if problem:
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(problem)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()
