"""The raw archive beyond one machine: content-addressed objects under one storage URL.

``YUSUAN_STORAGE_URL`` names it (``s3://bucket/prefix``; any fsspec URL). Every raw file a run
stores locally (storage/raw_store.py) is also put there under ``raw/ab/cd/<sha256>``, and a
process that needs a file it did not download (a backfill on another machine, a parse on a
worker that did not download) fetches it from there into its own local store first. Objects are
written whole or not at all (an S3 PUT is atomic), and a file is fetched to a temporary name and
renamed, so neither side ever sees half a file. Why fsspec/s3fs: Prefect already depends on
fsspec, its RemoteFileSystem block (the parse cache's result storage) speaks the same URLs and
options, and s3fs talks to any S3-compatible server (``endpoint_url``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec

from yusuan.settings import Settings


@dataclass(frozen=True, slots=True)
class ObjectStore:
    """``url``: the storage URL (``s3://bucket/prefix``); ``options``: fsspec storage options
    (for S3: ``{"client_kwargs": {"endpoint_url": …}, "key": …, "secret": …}``); plain data, so
    a run context that carries it pickles to Dask workers."""

    url: str
    options: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def from_settings(cls, url: str | None, options_json: str | None) -> ObjectStore | None:
        """None for no URL or a local (``file://``) one: the local raw store is the archive."""
        if not url or url.startswith("file://"):
            return None
        return cls(url.rstrip("/"), json.loads(options_json) if options_json else {})

    def filesystem(self) -> fsspec.AbstractFileSystem:
        protocol = self.url.split("://", 1)[0]
        # A new instance each time: s3fs caches listings per instance, and another machine's
        # upload must be seen at once.
        return fsspec.filesystem(protocol, skip_instance_cache=True, **self.options)

    def key(self, sha256: str) -> str:
        return f"{self.url}/raw/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    @property
    def results_url(self) -> str:
        """Where the parse cache (Prefect's result storage) lives beside the raw files."""
        return f"{self.url}/results"

    def has(self, sha256: str) -> bool:
        return bool(self.filesystem().exists(self.key(sha256)))

    def put(self, local: Path, sha256: str) -> None:
        """Upload a raw file once; an object already there (same bytes, same name) stays."""
        fs = self.filesystem()
        key = self.key(sha256)
        if not fs.exists(key):
            fs.put_file(str(local), key)

    def fetch(self, sha256: str, local: Path) -> Path:
        """Download the object to ``local`` (atomically); FileNotFoundError when it is not there."""
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=local.parent, prefix=".fetching-")
        os.close(fd)
        try:
            self.filesystem().get_file(self.key(sha256), tmp)
            os.replace(tmp, local)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return local


def object_store_of(settings: Settings) -> ObjectStore | None:
    """The object store the settings name (``YUSUAN_STORAGE_URL``), or None."""
    return ObjectStore.from_settings(settings.storage_url, settings.storage_options)
