#!/usr/bin/env python3
"""Per-test summary of a tempest run from its subunit v2 stream (stdlib only).

    summarise.py RESULTS.subunit [--listed LISTED.txt] [--json OUT.json]

stestr counts a class-level outcome once: a test class whose ``setUpClass``
skipped (tempest's ``skip_checks``) or failed shows up as one entry
``setUpClass (module.Class)`` and its tests never appear. With ``--listed``
(the ids ``tempest run --list-tests`` printed for the same regex) every
listed test of such a class gets that outcome, so the counts are per test,
and a listed test that never reported anything counts as not run (a run
that was cut short).

Prints one line per failed test with its exception line, one line per skip
reason with the number of tests it skipped, then the counts. Exit status:
0 when nothing failed and nothing listed went unrun, 1 otherwise.
"""

import argparse
import collections
import json
import re
import struct
import sys
import zlib

# -- subunit v2 --------------------------------------------------------------
# A packet: 0xb3, 16-bit flags, a varint length (of the whole packet), the
# optional fields in this order (timestamp, test id, tags, mime type, file
# content, route code), then a CRC32 of everything before it.

SIGNATURE = 0xB3
FLAG_TEST_ID = 0x0800
FLAG_ROUTE_CODE = 0x0400
FLAG_TIMESTAMP = 0x0200
FLAG_TAGS = 0x0080
FLAG_FILE_CONTENT = 0x0040
FLAG_MIME_TYPE = 0x0020
STATUSES = (None, "exists", "inprogress", "success", "uxsuccess", "skip",
            "fail", "xfail")


class ParseError(ValueError):
    pass


def _varint(data, pos):
    """(value, new position) of a subunit varint at data[pos]."""
    first = data[pos]
    extra = first >> 6
    value = first & 0x3F
    for i in range(extra):
        value = (value << 8) | data[pos + 1 + i]
    return value, pos + 1 + extra


def _utf8(data, pos):
    length, pos = _varint(data, pos)
    if pos + length > len(data):
        raise ParseError("string runs past the end of its packet")
    return bytes(data[pos:pos + length]).decode("utf-8"), pos + length


def packets(raw):
    """Yield (test_id, status, file_name, file_bytes) for each packet.

    Bytes between packets that are not subunit (stray output) are skipped.
    """
    pos, end = 0, len(raw)
    while pos < end:
        if raw[pos] != SIGNATURE:
            pos += 1
            continue
        if pos + 4 > end:
            raise ParseError(f"truncated packet at offset {pos}")
        (flags,) = struct.unpack(">H", raw[pos + 1:pos + 3])
        if flags >> 12 != 2:
            raise ParseError(f"not subunit v2 at offset {pos}")
        length, body = _varint(raw, pos + 3)
        packet = raw[pos:pos + length]
        if len(packet) != length or length < 8:
            raise ParseError(f"truncated packet at offset {pos}")
        (crc,) = struct.unpack(">I", packet[-4:])
        if zlib.crc32(packet[:-4]) & 0xFFFFFFFF != crc:
            raise ParseError(f"bad checksum at offset {pos}")
        data = packet[:-4]
        cur = body - pos
        test_id = file_name = None
        file_bytes = b""
        if flags & FLAG_TIMESTAMP:
            _nanos, cur = _varint(data, cur + 4)
        if flags & FLAG_TEST_ID:
            test_id, cur = _utf8(data, cur)
        if flags & FLAG_TAGS:
            count, cur = _varint(data, cur)
            for _ in range(count):
                _tag, cur = _utf8(data, cur)
        if flags & FLAG_MIME_TYPE:
            _mime, cur = _utf8(data, cur)
        if flags & FLAG_FILE_CONTENT:
            file_name, cur = _utf8(data, cur)
            size, cur = _varint(data, cur)
            file_bytes = bytes(data[cur:cur + size])
        yield test_id, STATUSES[flags & 0x7], file_name, file_bytes
        pos += length


# -- outcomes ----------------------------------------------------------------

FINAL = {"success", "fail", "skip", "xfail", "uxsuccess"}
CLASS_LEVEL = re.compile(r"^(setUpClass|tearDownClass) \((.+)\)$")


def base_id(test_id):
    """A test id without tempest's ``[id-...,smoke]`` attributes."""
    return re.sub(r"\[[^\]]*\]$", "", test_id.strip())


def outcomes(raw):
    """{test id: (status, {file name: text})} of every finished test."""
    files = collections.defaultdict(lambda: collections.defaultdict(bytes))
    done = {}
    for test_id, status, file_name, file_bytes in packets(raw):
        if test_id is None:
            continue
        if file_name:
            files[test_id][file_name] += file_bytes
        if status in FINAL:
            attached = files.pop(test_id, {})
            done[base_id(test_id)] = (status, {
                name: data.decode("utf-8", "replace")
                for name, data in attached.items()})
    return done


def exception_line(text):
    """The exception line of a traceback (with tempest's ``Details:``)."""
    lines = text.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if line[:1].isspace() or line.startswith(("Details:", "Traceback")):
            continue
        if re.match(r"^[A-Za-z_][\w.]*(: |:?$)", line):
            found = line.strip()
            if i + 1 < len(lines) and lines[i + 1].startswith("Details:"):
                found += " | " + lines[i + 1].strip()
            return found[:400]
    return (lines[-1].strip() if lines else "")[:400]


def skip_reason(text):
    """The reason's last line; "<Class> skipped as X" counts as X."""
    lines = [line.strip() for line in text.strip().splitlines()
             if line.strip()]
    if not lines:
        return "(no reason given)"
    return re.sub(r"^\w+ skipped as ", "", lines[-1])


def reason(status, attached):
    if status == "skip":
        return skip_reason(attached.get("reason", ""))
    return exception_line(attached.get("traceback", "")
                          or attached.get("reason", ""))


def per_test(done, listed=None):
    """Every test's (status, reason): class-level outcomes spread per test.

    Returns (tests, class_failures): tests maps each test id to
    (status, reason, source) where status is passed, failed, skipped or
    "not run" and source is the id whose outcome it got; class_failures
    lists the tearDownClass failures (the class's tests keep their own
    outcomes, but the run failed).
    """
    status_of = {"success": "passed", "xfail": "passed", "fail": "failed",
                 "uxsuccess": "failed", "skip": "skipped"}
    classes, class_failures = {}, []
    for test_id, (status, attached) in done.items():
        match = CLASS_LEVEL.match(test_id)
        if not match:
            continue
        if match.group(1) == "setUpClass":
            classes[match.group(2)] = (status, attached, test_id)
        elif status in ("fail", "uxsuccess"):
            class_failures.append((test_id, reason(status, attached)))
    ids = listed if listed is not None else [
        t for t in done if not CLASS_LEVEL.match(t)]
    tests = {}
    for test_id in ids:
        if test_id in done:
            status, attached = done[test_id]
            source = test_id
        elif test_id.rsplit(".", 1)[0] in classes:
            status, attached, source = classes[test_id.rsplit(".", 1)[0]]
        else:
            tests[test_id] = ("not run", "", test_id)
            continue
        tests[test_id] = (status_of[status], reason(status, attached),
                          source)
    if listed is None:
        # Without the list, a class-level outcome counts once.
        for status, attached, source in classes.values():
            if status != "success":
                tests[source] = (status_of[status],
                                 reason(status, attached), source)
    return tests, class_failures


def report(tests, class_failures, out):
    counts = collections.Counter(status for status, _r, _s in
                                 tests.values())
    failed = sorted((t, r) for t, (s, r, _src) in tests.items()
                    if s == "failed")
    if failed:
        print(f"Failed ({len(failed)}):", file=out)
        for test_id, why in failed:
            print(f"  FAILED {test_id} :: {why}", file=out)
    if class_failures:
        print(f"Class clean-up failures ({len(class_failures)}):", file=out)
        for test_id, why in class_failures:
            print(f"  FAILED {test_id} :: {why}", file=out)
    not_run = sorted(t for t, (s, _r, _src) in tests.items()
                     if s == "not run")
    if not_run:
        print(f"Not run ({len(not_run)}), e.g. {not_run[0]}", file=out)
    skips = collections.Counter(r for s, r, _src in tests.values()
                                if s == "skipped")
    if skips:
        print(f"Skipped ({sum(skips.values())}), by reason:", file=out)
        for why, n in sorted(skips.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {why}: {n}", file=out)
    line = (f"Per test: {len(tests)} tests, {counts['passed']} passed, "
            f"{counts['failed']} failed, {counts['skipped']} skipped")
    if not_run:
        line += f", {len(not_run)} not run"
    if class_failures:
        line += f"; {len(class_failures)} class clean-up failure(s)"
    print(line, file=out)
    return {"tests": len(tests), "passed": counts["passed"],
            "failed": counts["failed"], "skipped": counts["skipped"],
            "not_run": len(not_run),
            "failures": [{"test": t, "exception": r} for t, r in failed]
            + [{"test": t, "exception": r} for t, r in class_failures],
            "skip_reasons": dict(skips)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subunit", help="subunit v2 stream (- for stdin)")
    parser.add_argument("--listed", help="file of the listed test ids")
    parser.add_argument("--json", help="also write the summary here")
    args = parser.parse_args(argv)
    if args.subunit == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(args.subunit, "rb") as f:
            raw = f.read()
    listed = None
    if args.listed:
        with open(args.listed, encoding="utf-8") as f:
            listed = [base_id(line) for line in f
                      if line.startswith("tempest.")]
    tests, class_failures = per_test(outcomes(memoryview(raw)), listed)
    summary = report(tests, class_failures, sys.stdout)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    ok = not (summary["failed"] or summary["not_run"] or class_failures)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
