"""The versioned list of portals (``portals.yaml``): what to crawl, where discovery may go, how much."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field


class PortalConfig(BaseModel):
    name: str
    # Portals that are scheduled together (one deployment per group).
    group: str = "default"
    description: str = ""
    entry_urls: list[str] = Field(min_length=1)
    allowed_hosts: list[str] = Field(default_factory=list)
    # Hosts that serve this portal's attachments only (a file server, a second government host).
    attachment_hosts: list[str] = Field(default_factory=list)
    # Hosts on private, loopback or link-local addresses are refused unless this says otherwise
    # (the demo portal on 127.0.0.1 / localhost does).
    allow_private_addresses: bool = False
    max_pages: int = Field(default=200, gt=0)
    # Where the portal's agencies are (a 6-digit division code or a name such as 河南省郑州市):
    # names that print no region of their own ("发展和改革局") are placed here.
    region: str | None = None
    # Politeness for this portal's hosts; unset: the settings (YUSUAN_PER_HOST_CONCURRENCY …).
    per_host_concurrency: int | None = Field(default=None, gt=0)
    request_interval_seconds: float | None = Field(default=None, ge=0)


class PortalsFile(BaseModel):
    version: int
    portals: list[PortalConfig]

    def get(self, name: str) -> PortalConfig:
        for portal in self.portals:
            if portal.name == name:
                return portal
        raise KeyError(f"no portal named {name!r}; known: {', '.join(p.name for p in self.portals)}")

    def select(self, group: str | None = None, names: list[str] | None = None) -> list[PortalConfig]:
        """The portals of ``group`` and/or named in ``names``; every portal when neither is given."""
        if names:
            chosen = [self.get(name) for name in names]
            return [p for p in chosen if group is None or p.group == group]
        if group is not None:
            chosen = [p for p in self.portals if p.group == group]
            if not chosen:
                raise KeyError(f"no portal in group {group!r}; groups: {sorted({p.group for p in self.portals})}")
            return chosen
        return list(self.portals)


def load_portals(path: Path) -> PortalsFile:
    config = PortalsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    names = [p.name for p in config.portals]
    if len(names) != len(set(names)):
        raise ValueError(f"duplicate portal names in {path}")
    return config
