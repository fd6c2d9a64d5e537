"""nova-wsgi-reload: reload an API under Apache mod_wsgi, losing nothing.

    nova-wsgi-reload                      # every API of the kit running here
    nova-wsgi-reload compute              # nova-compute-api only
    nova-wsgi-reload --rolling            # one daemon after the other
    nova-wsgi-reload --group my-group     # a process group of your own
    nova-wsgi-reload --pidfile /run/httpd/httpd.pid --timeout 120 compute

It finds the mod_wsgi daemon processes of each API's process group in
/proc, sends each of them SIGUSR1 (mod_wsgi's graceful daemon restart: the
daemon finishes the request it holds, within graceful-timeout, and exits;
Apache starts a new one at once), then waits, at most ``--timeout``
seconds, until the group has as many new daemons as it had, each of them
serving, and the old ones are gone. Apache keeps the daemons' socket open
throughout, so requests made meanwhile wait in its queue and are answered
by the new daemons: nothing is lost, where ``apachectl graceful``
(``systemctl reload``) removes that socket for an instant and answers 503
(docs/operations.md, "Reloading without losing requests"). ``--rolling``
replaces one daemon at a time, so the others keep answering and no request
waits for the API to load.

A new daemon serves once mod_wsgi has started its threads: it starts them
after loading what the daemon preloads (the kit's ``WSGIScriptAlias`` has
``process-group`` and ``application-group``, so the API), and until then
the daemon has a single thread.

Only processes whose name says they are daemons of the group are ever
signalled: Apache's parent (for which SIGUSR1 *is* a graceful restart) and
its workers are never touched. The kit's vhosts name the daemons with
``display-name=%{GROUP}``: ``(wsgi:nova-compute-api)``, cut to the length
of Apache's own ``argv[0]`` (``ps`` shows ``(wsgi:nova-comput`` under
``/usr/sbin/apache2``, ``(wsgi:nova-comp`` under ``/usr/sbin/httpd``); a
cut name matches every group it begins, so give groups of your own names
that differ early.

One line per API; exit status 0 when every API asked for was reloaded, 1
otherwise (none of its daemons found, permission denied, timed out), 2 for
a usage error. Run it as root or as the daemons' user.

Standard library only, Python 3.9 or later, nothing else of ``nova``
imported: it runs from a source tree (``python3 -m
nova.packaging.reload``), as the console script, or from a zipapp.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pwd
import signal
import sys
import time

# The kit's process groups (nova.packaging.render.APIS[...].name; not
# imported, see above; a unit test keeps the two the same).
GROUPS = {"compute": "nova-compute-api", "metadata": "nova-metadata"}
PREFIX = "(wsgi:"
DEFAULT_TIMEOUT = 120.0
POLL = 0.1


@dataclasses.dataclass(frozen=True)
class Daemon:
    pid: int
    ppid: int  # the Apache parent
    start: int  # start time in clock ticks: tells a reused pid apart
    uid: int
    shown: str  # the group name as the process shows it, maybe cut
    cut: bool  # the name was cut to the length of Apache's argv[0]

    def of(self, group: str) -> bool:
        """Whether this daemon can be one of ``group``'s."""
        if not self.cut:
            return self.shown == group
        return bool(self.shown) and group.startswith(self.shown)


def _stat(proc: str, pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of ``pid``, None when it is gone."""
    try:
        with open(f"{proc}/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[1]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _daemon(proc: str, pid: int) -> Daemon | None:
    try:
        with open(f"{proc}/{pid}/cmdline", "rb") as fh:
            argv0 = fh.read().split(b"\0", 1)[0]
        uid = os.stat(f"{proc}/{pid}").st_uid
    except OSError:
        return None
    name = argv0.decode("utf-8", "replace").rstrip(" ")
    if not name.startswith(PREFIX):
        return None
    stat = _stat(proc, pid)
    if stat is None or stat[0] in ("Z", "X"):
        return None
    shown = name[len(PREFIX):]
    cut = not shown.endswith(")")
    return Daemon(pid, stat[1], stat[2], uid,
                  shown if cut else shown[:-1], cut)


def scan(proc: str = "/proc") -> list[Daemon]:
    """Every live mod_wsgi daemon process with a display name."""
    found = []
    try:
        entries = os.listdir(proc)
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit():
            daemon = _daemon(proc, int(entry))
            if daemon is not None:
                found.append(daemon)
    return sorted(found, key=lambda d: d.pid)


def alive(daemon: Daemon, proc: str = "/proc") -> bool:
    stat = _stat(proc, daemon.pid)
    return stat is not None and stat[2] == daemon.start \
        and stat[0] not in ("Z", "X")


def serving(daemon: Daemon, proc: str = "/proc") -> bool:
    """Whether mod_wsgi has started the daemon's threads: it does so once
    the daemon has loaded what it preloads (the kit's WSGIScriptAlias has
    process-group and application-group: the API), so until then the
    daemon has one thread and requests wait for it."""
    try:
        with open(f"{proc}/{daemon.pid}/status") as fh:
            for line in fh:
                if line.startswith("Threads:"):
                    return int(line.split()[1]) > 1
    except (OSError, ValueError, IndexError):
        pass
    return False


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _pids(daemons: list[Daemon]) -> str:
    return " ".join(str(d.pid) for d in daemons)


def _shown(daemons: list[Daemon]) -> str:
    counts: dict[str, int] = {}
    for d in daemons:
        label = PREFIX + d.shown + ("" if d.cut else ")")
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label!r} x{n}" for label, n in sorted(counts.items()))


class Reload:
    """Reload one process group: ``run()`` returns (ok, one line).

    At once (the default): SIGUSR1 to every daemon, then wait until as
    many new ones serve and the old ones are gone. ``rolling``: one daemon
    after the other, each replaced and serving before the next is
    signalled, so the group never stops answering."""

    def __init__(self, group: str, parent: int | None, timeout: float,
                 proc: str = "/proc", dry_run: bool = False,
                 rolling: bool = False):
        self.group, self.parent, self.timeout = group, parent, timeout
        self.proc, self.dry_run, self.rolling = proc, dry_run, rolling

    def current(self) -> list[Daemon]:
        return [d for d in scan(self.proc) if d.of(self.group)
                and (self.parent is None or d.ppid == self.parent)]

    def not_found(self) -> str:
        where = (f" under Apache {self.parent}" if self.parent is not None
                 else "")
        others = [d for d in scan(self.proc)
                  if self.parent is None or d.ppid == self.parent]
        if others:
            seen = f"; daemons seen: {_shown(others)}"
        else:
            seen = ("; no mod_wsgi daemon process at all: is Apache "
                    "running? (with /proc mounted hidepid, run as root)")
        return (f"{self.group}: no daemon process of this group found"
                f"{where} (no process in /proc named "
                f"'{PREFIX}{self.group})'){seen}")

    def run(self) -> tuple[bool, str]:
        old = self.current()
        if not old:
            return False, self.not_found()
        apache = "Apache " + ", ".join(
            str(p) for p in sorted({d.ppid for d in old}))
        if self.dry_run:
            return True, (f"{self.group}: would signal {len(old)} daemon "
                          f"processes of {apache} (pids {_pids(old)})")
        began = time.monotonic()
        deadline = began + self.timeout
        steps = [[d] for d in old] if self.rolling else [old]
        signalled: list[Daemon] = []
        for step in steps:
            for daemon in step:
                error = self._signal(daemon, signalled)
                if error:
                    return False, error
                signalled.append(daemon)
            ok, line = self._wait(old, signalled, deadline)
            if not ok:
                return False, line
        took = time.monotonic() - began
        new = [d for d in self.current() if d not in old]
        how = ", one by one" if self.rolling else ""
        return True, (f"{self.group}: reloaded {len(old)} daemon processes "
                      f"of {apache} in {took:.1f} s{how} (pids {_pids(old)}"
                      f" -> {_pids(new)})")

    def _signal(self, daemon: Daemon, signalled: list[Daemon]) -> str:
        """SIGUSR1 to ``daemon``; the error line, or '' when sent."""
        if not alive(daemon, self.proc):
            return ""  # gone already: Apache replaces it
        try:
            os.kill(daemon.pid, signal.SIGUSR1)
        except ProcessLookupError:
            return ""
        except PermissionError:
            user = _user(daemon.uid)
            done = (f" ({len(signalled)} signalled already: pids "
                    f"{_pids(signalled)})" if signalled else "")
            return (f"{self.group}: permission denied sending SIGUSR1 to "
                    f"pid {daemon.pid} (user {user}): run as root or as "
                    f"{user}{done}")
        return ""

    def _wait(self, old: list[Daemon], signalled: list[Daemon],
              deadline: float) -> tuple[bool, str]:
        """Until every daemon of ``signalled`` is gone and, under each
        Apache, as many new daemons as were signalled there serve."""
        expected: dict[int, int] = {}
        for d in signalled:
            expected[d.ppid] = expected.get(d.ppid, 0) + 1
        while True:
            new = [d for d in self.current()
                   if d.ppid in expected and d not in old]
            left = [d for d in signalled if alive(d, self.proc)]
            loading = [d for d in new if not serving(d, self.proc)]
            serving_new = [d for d in new if d not in loading]
            if not left and all(
                    sum(1 for d in serving_new if d.ppid == p) >= n
                    for p, n in expected.items()):
                return True, ""
            if time.monotonic() >= deadline:
                return False, (
                    f"{self.group}: timed out after {self.timeout:g} s: "
                    f"{len(left)} of {len(signalled)} signalled daemon "
                    f"processes still running (pids {_pids(left) or '-'}),"
                    f" {len(new)} new (pids {_pids(new) or '-'}), "
                    f"{len(loading)} of them still loading; see Apache's "
                    f"error log")
            time.sleep(POLL)


def _read_pidfile(path: str) -> int:
    with open(path) as fh:
        return int(fh.read().split()[0])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nova-wsgi-reload",
        description="Reload the compute and metadata APIs under Apache "
                    "mod_wsgi without losing a request: SIGUSR1 to each "
                    "daemon process of their process groups (never to "
                    "Apache itself), then wait until new daemons have "
                    "replaced them all and serve.",
        epilog="With no API and no --group: every API of the kit that has "
               "daemon processes here (an error only when none has). "
               "Exit status: 0 reloaded, 1 not found, permission denied or "
               "timed out, 2 usage.")
    p.add_argument("api", nargs="*", metavar="API",
                   help="compute (process group nova-compute-api) or "
                        "metadata (nova-metadata)")
    p.add_argument("--group", action="append", default=[], metavar="NAME",
                   help="a WSGIDaemonProcess name of your own (repeatable)")
    p.add_argument("--pidfile", metavar="FILE",
                   help="only the daemons of the Apache whose PidFile this "
                        "is (default: of every Apache on this machine)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   metavar="SECONDS",
                   help="how long to wait for the new daemons of each "
                        f"group (default {DEFAULT_TIMEOUT:g}; the old ones "
                        "first finish their requests, up to the vhost's "
                        "graceful-timeout)")
    p.add_argument("--rolling", action="store_true",
                   help="one daemon after the other, each replaced and "
                        "serving before the next: the group keeps "
                        "answering throughout (slower; old and new code "
                        "answer side by side meanwhile)")
    p.add_argument("--dry-run", action="store_true",
                   help="show the daemon processes, signal nothing")
    return p


def main(argv: list[str] | None = None, out=None) -> int:
    out = sys.stdout if out is None else out
    p = parser()
    args = p.parse_args(argv)
    if args.timeout <= 0:
        p.error("--timeout must be more than 0")
    parent = None
    if args.pidfile:
        try:
            parent = _read_pidfile(args.pidfile)
        except (OSError, ValueError, IndexError) as exc:
            print(f"nova-wsgi-reload: cannot read the pid file "
                  f"{args.pidfile}: {exc}", file=out)
            return 1
    unknown = [api for api in args.api if api not in GROUPS]
    if unknown:
        p.error(f"unknown API {unknown[0]!r} (choose from "
                f"{', '.join(GROUPS)}; --group NAME for a process group "
                "of your own)")
    explicit = [GROUPS[api] for api in args.api] + args.group
    jobs = [Reload(group, parent, args.timeout, dry_run=args.dry_run,
                   rolling=args.rolling)
            for group in dict.fromkeys(explicit or GROUPS.values())]
    if not explicit:
        present = [job for job in jobs if job.current()]
        if not present:
            for job in jobs:
                print(job.not_found(), file=out)
            return 1
        for job in jobs:
            if job not in present:
                print(f"{job.group}: no daemon process here, skipped",
                      file=out)
        jobs = present
    ok = True
    for job in jobs:
        done, line = job.run()
        print(line, file=out, flush=True)
        ok = ok and done
    return 0 if ok else 1

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
