"""``nova-openapi``: write the compute API's OpenAPI 3.1 description.

    nova-openapi                         # JSON to stdout
    nova-openapi -o docs/api/compute-openapi.json
    nova-openapi -o docs/api/compute-openapi.json --check   # exit 1 if stale

The description is generated from the route table and the request schemas
(``nova.api.openapi``); the repository's copy is refreshed with the second
form after routes or schemas change.
"""

import argparse
import pathlib
import sys


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="nova-openapi",
        description="Write the OpenAPI 3.1 description of the compute API, "
                    "generated from its route table and request schemas.")
    p.add_argument("-o", "--output", default=None,
                   help="file to write (default: standard output)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if OUTPUT differs from what "
                        "would be written")
    args = p.parse_args(argv)

    from nova.api import openapi

    text = openapi.dumps(openapi.build())
    if args.output is None:
        if args.check:
            p.error("--check needs --output")
        sys.stdout.write(text)
        return 0
    path = pathlib.Path(args.output)
    if args.check:
        current = path.read_text() if path.exists() else None
        if current != text:
            print(f"{path} is stale: run nova-openapi -o {path}",
                  file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
