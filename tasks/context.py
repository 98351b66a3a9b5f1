"""What every task needs from its run, as plain values (Prefect records task inputs: no engines,
clients or secrets in parameters).

Tasks that touch the network or the database run with ``cache_policy=NO_CACHE``: "already done"
is decided from the database (a file already loaded by this extractor version is skipped). The
one cached result is the PDF parse (tasks/extract.ParseCache, read and written inside the
document's task run), keyed by plain values: sha256, hint and extractor version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from storage.object_store import ObjectStore, object_store_of
from storage.raw_store import RawStore
from storage.retrying import DbRetry
from tasks.group import current_group
from tasks.limits import HostGate, LimitPlan, ParseSlots
from tasks.stopping import PROCESS_STOP
from yusuan.extract.isolated import ParseBudget
from yusuan.fetch.http import HttpConfig
from yusuan.fetch.offsite import HostPolicy
from yusuan.normalise.regions import Region
from yusuan.settings import Settings, core_count, load_settings

# Defaults for a context built by hand (tests, scripts): in-process limits only.
IN_PROCESS_LIMITS = LimitPlan(shared=False, extraction_slots=core_count(), per_host_slots=2, per_host_min_interval=0.0)


@dataclass(frozen=True, slots=True)
class RunContext:
    run_id: str
    # Resolved at flow start; never a flow parameter, so it is not stored in the Prefect API.
    database_url: str
    raw_dir: Path
    portal: str
    http: HttpConfig
    limits: LimitPlan = IN_PROCESS_LIMITS
    # Shared by every task thread of the run: per-host concurrency and request spacing.
    gate: HostGate = field(default_factory=lambda: HostGate.for_plan(IN_PROCESS_LIMITS), compare=False)
    # How long a cached parse result lives (the cache itself: tasks.extract.ParseCache).
    cache_days: float = 30.0
    # Download unconditionally and parse again, whatever the database and the cache hold.
    full_refresh: bool = False
    # The portal's region (portals.yaml ``region``, resolved once) for agencies whose name does
    # not print one; None when the portal has none configured.
    region: Region | None = None
    # Where this portal's requests may go (hosts, attachment hosts, private addresses).
    hosts: HostPolicy | None = None
    # Time and memory one file's parse may take (yusuan.extract.isolated).
    parse_budget: ParseBudget = field(default_factory=ParseBudget)
    # The crawl's entry URL: a source remembers which crawl lists it, so that a later complete
    # crawl from the same entry can tell that the portal withdrew it. None outside a crawl.
    entry_url: str | None = None
    # How long each database touch retries while the database is away.
    db_retry: DbRetry = field(default_factory=DbRetry)
    # Parses at once in this process (one per core by default), shared by the run's threads.
    parse_slots: ParseSlots = field(
        default_factory=lambda: ParseSlots(IN_PROCESS_LIMITS.extraction_slots), compare=False
    )

    # Pages and attachments read successfully this recently are not requested again
    # (storage.recheck); zero asks for everything.
    recheck_after_hours: float = 0.0
    # True in a group run's entry (tasks/group.py): the parse slots, the extraction limit, the
    # parse results' block and the parse cache's pruning are the group's.
    in_group: bool = False
    # The object store every machine shares the raw files through (YUSUAN_STORAGE_URL); None:
    # this machine's raw store is the archive.
    objects: ObjectStore | None = None

    def raw_store(self) -> RawStore:
        """The raw store of the process the task runs in, mirrored to the object store when
        there is one.

        With an object store, the store is the archive and a machine's directory only a cache of
        it, so the directory is the executing process's own (its ``YUSUAN_DATA_DIR``): a Dask
        worker on another machine has its own disk, where the flow process's path may not exist
        or may be another machine's. Without one, the run's workers share the flow's directory.
        """
        if self.objects is None:
            return RawStore(self.raw_dir, None)
        return RawStore(load_settings().raw_dir.resolve(), self.objects)

    @property
    def prunes_parse_cache(self) -> bool:
        """A run on its own prunes the parse cache when it ends; a group's entries leave it to
        the group, which prunes once when all have run. Pruning reads every record's head, so an
        entry each made a group of n entries over m cached parses read n × m records (317
        entries, 3,142 parses: a million reads; on S3, a million GETs)."""
        return not self.in_group

    def recheck_since(self, now: datetime) -> datetime | None:
        """Readings after this moment stand without a request; None when every URL is asked for."""
        if self.full_refresh or self.recheck_after_hours <= 0:
            return None
        return now - timedelta(hours=self.recheck_after_hours)

    @classmethod
    def for_run(
        cls,
        settings: Settings,
        run_id: str,
        database_url: str,
        portal: str,
        full_refresh: bool = False,
        region: Region | None = None,
        hosts: HostPolicy | None = None,
        entry_url: str | None = None,
    ) -> RunContext:
        limits = LimitPlan.from_settings(settings)
        group = current_group()
        return cls(
            run_id,
            database_url,
            settings.raw_dir.resolve(),
            portal,
            HttpConfig.from_settings(settings),
            limits,
            HostGate.for_plan(limits),
            settings.extraction_cache_days,
            full_refresh,
            region,
            hosts,
            ParseBudget(settings.parse_deadline_seconds, settings.parse_memory_mb),
            entry_url,
            DbRetry(settings.database_retry_seconds, interrupt=PROCESS_STOP),
            group.parse_slots if group is not None else ParseSlots.for_plan(limits),
            settings.recheck_after_hours,
            in_group=group is not None,
            objects=object_store_of(settings),
        )

    def close(self) -> None:
        """The run is over: the global limit slots it still holds go back to the server."""
        self.gate.close()
        if not self.in_group:
            self.parse_slots.close()

    def __repr__(self) -> str:  # keeps the URL (and any password in it) out of logs and reprs
        return f"RunContext(run_id={self.run_id!r}, portal={self.portal!r})"
