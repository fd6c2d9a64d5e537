"""The same_host and different_host scheduler hints.

Upstream's SameHostFilter and DifferentHostFilter: a server asked to be
on the same host as servers X and Y goes to a host that runs one of them;
one asked to be on a different host goes to a host that runs none. Each
hint is read only when ``[filter_scheduler] enabled_filters`` names its
filter (neither does by default, as upstream); the hints are stored with
the server, so a resize or cold migration obeys them too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nova.db.models import Instance

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

SAME_HOST = "SameHostFilter"
DIFFERENT_HOST = "DifferentHostFilter"


@dataclasses.dataclass(frozen=True)
class HostHints:
    """``only``: the host must be one of these (None: any);
    ``avoid``: it must be none of these."""

    only: frozenset[str] | None = None
    avoid: frozenset[str] = frozenset()


NONE = HostHints()


def _uuids(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _hosts_of(session: Session, uuids: Collection[str]) -> frozenset[str]:
    return frozenset(session.execute(
        sa.select(Instance.host).where(
            Instance.uuid.in_(list(uuids)), Instance.deleted == 0,
            Instance.host.is_not(None))).scalars())


def from_hints(session: Session, conf: cfg.ConfigOpts,
               hints: Mapping[str, Any]) -> HostHints:
    """The host constraints ``hints`` make under the enabled filters."""
    enabled = set(conf.filter_scheduler.enabled_filters)
    same = _uuids(hints.get("same_host")) if SAME_HOST in enabled else []
    different = (_uuids(hints.get("different_host"))
                 if DIFFERENT_HOST in enabled else [])
    if not same and not different:
        return NONE
    # Servers that are gone (or never were) are on no host: same_host
    # with only such servers leaves no host, as upstream.
    return HostHints(
        only=_hosts_of(session, same) if same else None,
        avoid=_hosts_of(session, different) if different else frozenset())
