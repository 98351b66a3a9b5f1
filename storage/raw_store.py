"""Content-addressed store for raw downloads: one file per sha256, written atomically (the
``BlobSink`` the downloader writes through)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from yusuan.models import StoredBlob


class RawStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

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
        return StoredBlob(sha256, size, target)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_chunks([data])
