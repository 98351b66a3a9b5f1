"""The Prefect storage block the parse results go to (tasks/extract.ParseCache): saved once per
place, read once per run (or once per group run: tasks/group.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from prefect.filesystems import LocalFileSystem, RemoteFileSystem, WritableFileSystem

from storage.object_store import ObjectStore


def _block_name(basepath: str) -> str:
    return "yusuan-results-" + hashlib.sha1(basepath.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class ResultStorage:
    """The saved Prefect storage block of the parse results: its slug (its address on the
    Prefect server, for ``Block.load``) and the block itself, loaded once."""

    slug: str
    block: WritableFileSystem


def ensure_result_storage(results_dir: Path, objects: ObjectStore | None = None) -> ResultStorage:
    """Save (once per place) the Prefect storage block the parse results go to. Prefect wants
    result storage saved server-side, so that any process of a run (a Dask worker, a retry, a
    worker on another machine) finds the same place; the name derives from the place, so two
    data directories (or stores) on one Prefect server never share a block. With an object
    store the results live there, beside the raw files, for every machine. A block already
    saved as it should be is only read (one request, where a save is several)."""
    if objects is not None:
        name = _block_name(objects.results_url)
        wanted = RemoteFileSystem(basepath=objects.results_url, settings=objects.options)
        slug = f"remote-file-system/{name}"
    else:
        name = _block_name(str(results_dir.resolve()))
        wanted = LocalFileSystem(basepath=str(results_dir.resolve()))
        slug = f"local-file-system/{name}"
    try:
        saved = type(wanted).load(name)
    except ValueError:  # not saved yet on this server
        saved = None
    fields = set(type(wanted).model_fields)  # the block's own, not the saved document's id and name
    if saved is not None and saved.model_dump(include=fields) == wanted.model_dump(include=fields):
        return ResultStorage(slug, saved)
    # New, or the store's options changed (its credentials, say): saved as they are now.
    wanted.save(name, overwrite=True)
    return ResultStorage(slug, wanted)
