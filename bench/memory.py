#!/usr/bin/env python3
"""Resident memory under 100,000 junk requests (unknown routes, random
Host headers), one gunicorn worker per API; the target is growth within
5 MB of the RSS after a warm-up.

    .venv/bin/python bench/memory.py                       # both APIs
    .venv/bin/python bench/memory.py --api compute --requests 20000

As root (the served tree is readable by www-data, as in the tests).
"""

import argparse
import pathlib
import sys

# The repository root, for tests.deploy and tests.robustness (the tests'
# helpers are not installed; nova is).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.deploy import servers  # noqa: E402
from tests.robustness import memory  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--api", choices=["compute", "metadata", "both"],
                   default="both")
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--warmup", type=int, default=5_000)
    args = p.parse_args(argv)
    apis = ["compute", "metadata"] if args.api == "both" else [args.api]
    bad = False
    for api in apis:
        workdir = servers.Workdir(prefix="nova-memory-")
        try:
            result = memory.run(workdir, args.requests, args.warmup, api=api)
        finally:
            workdir.cleanup()
        growth = (result["after_kb"] - result["before_kb"]) / 1024
        total = sum(result["statuses"].values())
        print(f"{api}: {total} requests in {result['seconds']:.0f} s "
              f"({total / result['seconds']:.0f}/s), RSS "
              f"{result['before_kb'] / 1024:.1f} MB -> "
              f"{result['after_kb'] / 1024:.1f} MB ({growth:+.2f} MB), "
              f"statuses {dict(sorted(result['statuses'].items()))}")
        bad |= growth >= 5 or any(c >= 500 for c in result["statuses"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
