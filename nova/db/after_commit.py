"""Work that must wait for a write transaction's commit.

A call to another service (Neutron) never runs inside a transaction:
what a transaction decided (a server deleted, reclaimed, failed) is
given to ``after_commit(session, job)``, and ``job()`` runs once the
session's transaction committed, never when it rolled back. Its errors
(the project's exceptions) are logged: the commit already happened.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

LOG = logging.getLogger(__name__)

_KEY = "nova_after_commit"
_LISTENING = "nova_after_commit_listening"


def after_commit(session: Session, job: Callable[[], object]) -> None:
    """Run ``job()`` once ``session``'s transaction committed."""
    if not session.info.get(_LISTENING):
        sa.event.listen(session, "after_commit", _run)
        sa.event.listen(session, "after_rollback", _drop)
        session.info[_LISTENING] = True
    session.info.setdefault(_KEY, []).append(job)


def _run(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: not the commit
    for job in session.info.pop(_KEY, []):
        try:
            job()
        except exception.NovaError as exc:
            LOG.warning("After a commit: %s", exc.message)


def _drop(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_KEY, None)
