"""The audit periods of os-instance_usage_audit_log
(``nova.compute.usage_audit.last_completed_period``) and the option that
names them, as upstream computes them: the last period of the unit that
*ended* before the given time, each beginning where the previous ended."""

import datetime

import pytest
from oslo_config import cfg

from nova import exception
from nova.compute.usage_audit import last_completed_period
from nova.conf import default

T = datetime.datetime


@pytest.mark.parametrize("unit, before, period", [
    ("month", T(2026, 8, 21, 10), (T(2026, 7, 1), T(2026, 8, 1))),
    # the end of a period is not yet "before" it
    ("month", T(2026, 8, 1), (T(2026, 6, 1), T(2026, 7, 1))),
    ("month", T(2026, 8, 1, 0, 0, 0, 1), (T(2026, 7, 1), T(2026, 8, 1))),
    ("month", T(2026, 1, 5), (T(2025, 12, 1), T(2026, 1, 1))),
    ("month", T(2026, 1, 1), (T(2025, 11, 1), T(2025, 12, 1))),
    ("month@15", T(2026, 3, 10), (T(2026, 1, 15), T(2026, 2, 15))),
    ("month@15", T(2026, 3, 20), (T(2026, 2, 15), T(2026, 3, 15))),
    ("month@0", T(2026, 3, 20), (T(2026, 2, 1), T(2026, 3, 1))),
    ("year", T(2026, 3, 10), (T(2025, 1, 1), T(2026, 1, 1))),
    ("year", T(2026, 1, 1), (T(2024, 1, 1), T(2025, 1, 1))),
    ("year@4", T(2026, 3, 10), (T(2024, 4, 1), T(2025, 4, 1))),
    ("year@4", T(2026, 5, 10), (T(2025, 4, 1), T(2026, 4, 1))),
    ("day", T(2026, 3, 10, 5), (T(2026, 3, 9), T(2026, 3, 10))),
    ("day", T(2026, 3, 1), (T(2026, 2, 27), T(2026, 2, 28))),
    ("day@6", T(2026, 3, 10, 5), (T(2026, 3, 8, 6), T(2026, 3, 9, 6))),
    ("day@6", T(2026, 3, 10, 7), (T(2026, 3, 9, 6), T(2026, 3, 10, 6))),
    ("hour", T(2026, 3, 10, 5, 30), (T(2026, 3, 10, 4), T(2026, 3, 10, 5))),
    ("hour", T(2026, 3, 10, 0, 0), (T(2026, 3, 9, 22), T(2026, 3, 9, 23))),
    ("hour@45", T(2026, 3, 10, 5, 30),
     (T(2026, 3, 10, 3, 45), T(2026, 3, 10, 4, 45))),
])
def test_last_completed_period(unit, before, period):
    assert last_completed_period(unit, before) == period


@pytest.mark.parametrize("unit", ["month", "year", "day", "hour"])
def test_no_period_before_year_one(unit):
    with pytest.raises(exception.Invalid, match="No audit period"):
        last_completed_period(unit, T(1, 1, 1))


@pytest.mark.parametrize("value, ok", [
    ("month", True), ("month@28", True), ("month@29", False),
    ("month@31", False), ("hour@59", True), ("hour@60", False),
    ("day@23", True), ("day@24", False), ("year@12", True),
    ("year@13", False), ("week", False), ("month@", False), ("", False),
])
def test_the_option_refuses_periods_that_cannot_be_computed(value, ok):
    conf = cfg.ConfigOpts()
    default.register_opts(conf)
    conf([], default_config_files=[])
    try:
        conf.set_override("instance_usage_audit_period", value)
    except ValueError:
        assert not ok
    else:
        assert ok and conf.instance_usage_audit_period == value
        assert last_completed_period(value, T(2026, 3, 10))
