#!/usr/bin/env bash
# Build the RPMs of a spec of rpm/ from this checkout.
#
#   tools/build-rpms.sh [--spec SPEC] [--topdir DIR] [--ref REF] [--srpm]
#                       [--nocheck] [--check-python PY] [--lint]
#
# --spec: rpm/nova-wsgi.spec (the default: this project's packages) or
# rpm/openstack-nova-wsgi.spec (upstream Nova's WSGI files, for RDO).
#
# 1. Source0, nova-wsgi-VERSION.tar.gz (VERSION: the spec's), is
#    `git archive` of the tree under nova-wsgi-VERSION/: by default the
#    work tree's tracked files as they are now (uncommitted changes
#    included, untracked files not), or the commit/tag --ref names. The
#    other sources are the files of rpm/; both specs use the same.
# 2. rpmbuild -ba into --topdir (default: ./rpmbuild): SRPMS/ and
#    RPMS/noarch/ (--srpm: rpmbuild -bs, the SRPM only, e.g. for mock).
#    Where the RPM database does not know rpm itself (Debian), BuildRequires
#    cannot be resolved and rpmbuild gets --nodeps; on Fedora or RHEL
#    rebuild the SRPM with mock, or install them first (dnf builddep).
# 3. --lint: rpmlint with the spec's rpmlintrc (rpm/NAME.rpmlintrc, when
#    there is one) on the spec and the packages built
#    (an error for a filter that matched nothing, too), its spelling check
#    on (tools/rpmlint-spelling.py: it needs python3-enchant and an en_US
#    dictionary, hunspell-en-us).
#
# nova-wsgi.spec's %check runs the unit tests; it needs an interpreter
# whose site-packages hold the runtime and test dependencies:
# /usr/bin/python3 with Fedora's BuildRequires, this checkout's .venv (made
# from /usr/bin/python3 by tools/bootstrap.sh) where Fedora's Python macros
# are missing, or --check-python. --nocheck skips %check. The last lines
# printed are the packages written, SRPM first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SPEC=$ROOT/rpm/nova-wsgi.spec
TOPDIR=$ROOT/rpmbuild
REF=
CHECK=yes
MODE=-ba
CHECK_PYTHON=
LINT=no
while [ $# -gt 0 ]; do
    case "$1" in
        --spec) SPEC=$(realpath -m "$2"); shift 2 ;;
        --topdir) TOPDIR=$(realpath -m "$2"); shift 2 ;;
        --ref) REF=$2; shift 2 ;;
        --srpm) MODE=-bs; shift ;;
        --nocheck) CHECK=no; shift ;;
        --check-python) CHECK_PYTHON=$2; shift 2 ;;
        --lint) LINT=yes; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "build-rpms: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$MODE" = -bs ] && [ "$LINT" = yes ]; then
    # rpmlint reports the filters of the rpmlintrc that no message matched.
    echo "build-rpms: --lint needs the binary packages, not --srpm" >&2
    exit 2
fi
for tool in git rpmbuild; do
    command -v "$tool" >/dev/null || {
        echo "build-rpms: $tool is missing (Debian: apt-get install rpm; Fedora: dnf install rpm-build)" >&2
        exit 1; }
done

[ -f "$SPEC" ] || { echo "build-rpms: no spec $SPEC" >&2; exit 2; }
VERSION=$(rpmspec -q --srpm --qf '%{VERSION}\n' "$SPEC" 2>/dev/null | head -1 \
          || sed -n 's/^Version:[[:space:]]*//p' "$SPEC")
NAME=nova-wsgi-$VERSION
RPMLINTRC=${SPEC%.spec}.rpmlintrc

mkdir -p "$TOPDIR"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

# -- Source0 from git ---------------------------------------------------------
if [ -z "$REF" ]; then
    # A commit object of the work tree's tracked files (nothing is changed:
    # no stash entry, no index update); HEAD when the tree is clean.
    REF=$(git stash create 2>/dev/null || true)
    REF=${REF:-HEAD}
fi
git archive --format=tar --prefix="$NAME/" "$REF" \
    | gzip -n > "$TOPDIR/SOURCES/$NAME.tar.gz"
for source in rpm/*; do
    case "$source" in
        *.spec|*.rpmlintrc) ;;
        *) cp -p "$source" "$TOPDIR/SOURCES/" ;;
    esac
done
cp -p "$SPEC" "$TOPDIR/SPECS/"

# -- rpmbuild -----------------------------------------------------------------
args=("$MODE" --define "_topdir $TOPDIR")
if ! rpm -q rpm >/dev/null 2>&1; then
    # Not an RPM-based system: its RPM database is empty, so no
    # BuildRequires can be satisfied. Build with the tools at hand.
    args+=(--nodeps)
fi
if [ "$CHECK" = no ]; then
    args+=(--nocheck)
else
    if [ -z "$CHECK_PYTHON" ] && [ -z "$(rpm --eval '%{?pyproject_wheel:yes}')" ] \
            && [ -x "$ROOT/.venv/bin/python" ]; then
        CHECK_PYTHON=$ROOT/.venv/bin/python
    fi
    if [ -n "$CHECK_PYTHON" ]; then
        args+=(--define "nova_check_python $CHECK_PYTHON")
    fi
fi
# What this build wrote (rpmbuild says "Wrote: PATH" for each package),
# not whatever else the topdir holds.
LOG=$TOPDIR/rpmbuild-$(basename "$SPEC" .spec).log
rpmbuild "${args[@]}" "$TOPDIR/SPECS/$(basename "$SPEC")" | tee "$LOG"
mapfile -t WROTE < <(sed -n 's/^Wrote: //p' "$LOG")
SRPMS=() RPMS=()
for package in "${WROTE[@]}"; do
    case "$package" in
        *.src.rpm) SRPMS+=("$package") ;;
        *) RPMS+=("$package") ;;
    esac
done
printf '%s\n' "${SRPMS[@]}" "${RPMS[@]}"

# -- rpmlint ------------------------------------------------------------------
if [ "$LINT" = yes ]; then
    rcfile=()
    [ -f "$RPMLINTRC" ] && rcfile=(-r "$RPMLINTRC")
    /usr/bin/python3 "$ROOT/tools/rpmlint-spelling.py" \
        "${rcfile[@]}" "$SPEC" "${SRPMS[@]}" "${RPMS[@]}"
fi
