"""Content-addressed store for raw downloads: one file per sha256, written atomically (the
``BlobSink`` the downloader writes through)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from storage.object_store import ObjectStore
from yusuan.models import StoredBlob


class RawStore:
    """The raw files on this machine, and (``mirror``) the object store that keeps them for
    every machine: what is put here is put there too, and what is missing here is fetched."""

    def __init__(self, root: Path, mirror: ObjectStore | None = None) -> None:
        self.root = root
        self.mirror = mirror

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file() or (self.mirror is not None and self.mirror.has(sha256))

    def local(self, sha256: str) -> Path:
        """The file on this machine, fetched from the object store when another machine stored it;
        FileNotFoundError when neither has it."""
        path = self.path_for(sha256)
        if path.is_file():
            return path
        if self.mirror is None:
            raise FileNotFoundError(f"raw file {sha256} is not in {self.root}")
        try:
            return self.mirror.fetch(sha256, path)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"raw file {sha256} is neither in {self.root} nor in {self.mirror.url}") from exc

    def put_chunks(self, chunks: Iterable[bytes]) -> StoredBlob:
        """Write a stream while hashing it; the blob appears under its hash only when complete."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
            sha256 = digest.hexdigest()
            target = self.path_for(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        except OSError as exc:
            Path(tmp_name).unlink(missing_ok=True)
            # Name the store, not the temporary file: "disk full: /data/raw" is what to act on.
            raise OSError(exc.errno, exc.strerror, str(self.root)) from exc
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        if self.mirror is not None:
            try:
                self.mirror.put(target, sha256)
            except Exception as exc:  # s3fs and botocore errors alike: one recorded reason
                raise OSError(f"object store {self.mirror.url}: {type(exc).__name__}: {exc}") from exc
        return StoredBlob(sha256, size, target)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_chunks([data])
