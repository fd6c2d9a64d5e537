#!/usr/bin/env python3
"""The long fuzzing run: schemathesis against the compute API under gunicorn.

    .venv/bin/python tools/fuzz.py                  # >= 50,000 requests
    .venv/bin/python tools/fuzz.py --max-examples 20 --max-time 60

Serves the API with the shipped gunicorn config (noauth2, SQLite), seeds a
flavor, image, keypair and server, and runs schemathesis from
docs/api/compute-openapi.json (examples, coverage and fuzzing phases; the
coverage phase walks every schema boundary and every microversion value
of the header) as the admin, a member of the seeded project and a member
of another project, round after round with new seeds until the server
has answered --min-requests requests. Prints the figures; exits 1 on any
5xx (counted from the server's access log) or any response that violates
the description.
As root (the server's tree is readable by www-data); bounded by
--max-time per identity.
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.deploy import servers  # noqa: E402
from tests.robustness import fuzzing  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-examples", type=int, default=300,
                   help="generated cases per operation and phase")
    p.add_argument("--max-time", type=int, default=600,
                   help="seconds per identity and round at most")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--min-requests", type=int, default=50_000,
                   help="run more rounds (new seeds) until the server has "
                        "answered this many requests")
    p.add_argument("--max-total-time", type=int, default=3600,
                   help="no new round after this many seconds")
    args = p.parse_args(argv)
    started = time.monotonic()
    workdir = servers.Workdir(prefix="nova-fuzz-")
    try:
        outcome = fuzzing.run(workdir, args.max_examples,
                              workers=args.workers, max_time=args.max_time,
                              seed_value=args.seed,
                              timeout=args.max_time + 120,
                              min_requests=args.min_requests,
                              deadline=started + args.max_total_time)
    finally:
        workdir.cleanup()
    print(outcome.summary())
    print(f"total {time.monotonic() - started:.0f} s")
    bad = outcome.server_errors or any(r.failures for r in outcome.runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
