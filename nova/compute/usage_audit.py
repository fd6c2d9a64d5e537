"""The instance usage audit (os-instance_usage_audit_log); independent of
HTTP.

Upstream's compute services audit their servers' usage once per audit
period (``[DEFAULT] instance_usage_audit_period``: an hour, a day, a month
or a year, optionally offset: ``month@15``) and record a task log per host
and period; the API reports the most recently *completed* period before a
time. No audit task runs here (there are no compute services to run one),
so every compute host is reported as not having run: upstream's answer
when no task has run yet.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import TYPE_CHECKING

from nova import exception
from nova.compute import hosts
from nova.conf import default as default_conf

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_PERIOD = re.compile(default_conf.AUDIT_PERIOD_PATTERN)


def _shift_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def last_completed_period(unit: str, before: datetime.datetime
                          ) -> tuple[datetime.datetime, datetime.datetime]:
    """(beginning, ending) of the last audit period of ``unit`` (as the
    option spells it) that ended before ``before`` (naive UTC); a period
    begins where the previous one ended. ``Invalid`` when none does (the
    first days of year 1)."""
    if not _PERIOD.match(unit):
        raise ValueError(f"instance_usage_audit_period {unit!r}")
    try:
        return _period(unit, before)
    except (ValueError, OverflowError):
        raise exception.Invalid(
            f"No audit period ({unit}) ends before {before}.") from None


def _period(unit, before):
    name, _sep, offset_text = unit.partition("@")
    offset = int(offset_text or 0)
    if name == "hour":
        end = before.replace(minute=offset, second=0, microsecond=0)
        if end >= before:
            end -= datetime.timedelta(hours=1)
        return end - datetime.timedelta(hours=1), end
    if name == "day":
        end = before.replace(hour=offset, minute=0, second=0, microsecond=0)
        if end >= before:
            end -= datetime.timedelta(days=1)
        return end - datetime.timedelta(days=1), end
    if name == "month":
        day = offset or 1
        end = datetime.datetime(before.year, before.month, day)
        if end >= before:
            end = datetime.datetime(
                *_shift_months(before.year, before.month, -1), day)
        return datetime.datetime(
            *_shift_months(end.year, end.month, -1), day), end
    month = offset or 1
    end = datetime.datetime(before.year, month, 1)
    if end >= before:
        end = end.replace(year=before.year - 1)
    return end.replace(year=end.year - 1), end


@dataclasses.dataclass(frozen=True)
class AuditLog:
    """One audit period's report across the compute hosts."""

    period_beginning: datetime.datetime
    period_ending: datetime.datetime
    hosts: tuple[str, ...]  # every compute host (disabled ones too)
    done: tuple[str, ...]  # hosts whose audit of the period is done
    running: tuple[str, ...]  # hosts auditing it now
    log: dict[str, dict[str, object]]  # host -> its task log
    total_instances: int
    total_errors: int

    @property
    def not_run(self) -> tuple[str, ...]:
        return tuple(h for h in self.hosts if h not in self.log)

    @property
    def overall_status(self) -> str:
        count = (f"{len(self.done)} of {len(self.hosts)}"
                 if len(self.done) != len(self.hosts) else "ALL")
        return f"{count} hosts done. {self.total_errors} errors."


def audit_log(session: Session, unit: str,
              before: datetime.datetime | None = None) -> AuditLog:
    """The report of the last period of ``unit`` completed before
    ``before`` (default: now). The compute services are every host not
    deleted, disabled ones included (they can have servers); none has a
    task log, since no audit runs here."""
    before = before or datetime.datetime.now(
        datetime.timezone.utc).replace(tzinfo=None)
    beginning, ending = last_completed_period(unit, before)
    names = tuple(sorted({row.host for row, _zone
                          in hosts.list_hosts(session)}))
    return AuditLog(period_beginning=beginning, period_ending=ending,
                    hosts=names, done=(), running=(), log={},
                    total_instances=0, total_errors=0)
