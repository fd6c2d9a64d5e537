"""JSON Schema validation of request bodies and query strings.

A route's ``body`` or ``query`` is a schema (a dict), or ``Versioned`` for
schemas that change with the microversion. Query strings are validated as
``{name: [value, ...]}`` (every parameter may repeat), as upstream does.
Errors read like upstream's: "Invalid input for field/attribute X. Value:
V. <reason>", with the value cut short so a hostile body cannot flood logs.
"""

import base64
import functools
import re
import unicodedata
import uuid

import jsonschema

from nova.api import errors, microversions

_MAX_VALUE_TEXT = 200


class Versioned:
    """Schemas by microversion:
    ``Versioned(("2.1", "2.54", s1), ("2.55", None, s2))``."""

    def __init__(self, *ranges):
        self.ranges = tuple(
            (microversions.parse(lo),
             microversions.parse(hi) if hi else None, schema)
            for lo, hi, schema in ranges)

    def for_version(self, version):
        for lo, hi, schema in self.ranges:
            if lo <= version and (hi is None or version <= hi):
                return schema
        return None

    def all(self):
        return [schema for _lo, _hi, schema in self.ranges]


_VALIDATORS = {}


def _validator(schema):
    """The validator of ``schema``, made on its first use.

    The schema itself is not checked against its metaschema here (that
    cost tens of milliseconds on the first request of a route): every
    schema of the code is checked by tests/unit/test_route_table.py.
    """
    key = id(schema)
    entry = _VALIDATORS.get(key)
    if entry is None or entry[0] is not schema:
        cls = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator)
        entry = (schema, cls(schema, format_checker=FORMAT_CHECKER))
        _VALIDATORS[key] = entry
    return entry[1]


FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("base64", raises=ValueError)
def _is_base64(instance):
    """Base64 as upstream reads it: characters outside the alphabet (line
    breaks of ``base64 file``, blanks) are dropped, the rest must be whole
    and padded. Anything but ASCII is refused (upstream's decoder fails on
    it with a 500)."""
    if not isinstance(instance, str):
        return True
    # UnicodeEncodeError and binascii.Error are ValueErrors.
    base64.b64decode(instance.encode("ascii"))
    return True


@FORMAT_CHECKER.checks("regex")
def _is_regex(instance):
    """A filter's regular expression, as upstream's format: not empty (it
    would match everything), and one Python's re compiles."""
    if not isinstance(instance, str):
        return True
    try:
        re.compile(instance)
    except (re.error, RecursionError, OverflowError):
        return False
    return bool(instance)


@FORMAT_CHECKER.checks("uuid")
def is_uuid_like(instance):
    """A UUID as upstream's is_uuid_like takes it: any spelling Python's
    UUID reads (no hyphens, "{...}", "urn:uuid:...", upper case, hyphens
    anywhere) that holds nothing else. The value is used as given, as
    upstream does: a lookup matches the stored (canonical) id only."""
    if not isinstance(instance, str):
        return True
    try:
        parsed = uuid.UUID(instance)
    except ValueError:
        return False
    bare = instance.replace("urn:", "").replace("uuid:", "").strip("{}")
    return parsed.hex == bare.replace("-", "").lower()


# -- upstream's name and description formats ---------------------------------
#
# A printable character, for upstream: one of the Basic Multilingual Plane
# (U+0000 to U+FFFE; nothing above, emoji included) whose Unicode category
# is neither "other" (C*: controls, format characters such as U+200B and
# U+FEFF, surrogates, private use, unassigned) nor a line or paragraph
# separator (Zl, Zp: U+2028, U+2029); space separators (Zs) are printable.
# A name has no "blank" (a non-printable or a space separator) at either
# end. The expressions are built the way upstream builds them (ranges of
# code points; a search, so "$" also matches before a final line feed) and
# compiled on first use.


def _char_class(mask):
    """The regex character class body of the code points U+0000..U+FFFE
    whose ``mask`` entry is true."""
    parts, start = [], None
    for code, inside in enumerate([*mask, False]):
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            parts.append(re.escape(chr(start)) if start == code - 1 else
                         f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return "".join(parts)


@functools.cache
def _format_regexes():
    categories = [unicodedata.category(chr(code)) for code in range(0xFFFF)]
    printable = [cat[0] != "C" and cat not in ("Zl", "Zp")
                 for cat in categories]
    solid = [ok and cat != "Zs"
             for ok, cat in zip(printable, categories, strict=True)]
    no_colon = list(printable)
    no_colon[ord(":")] = False
    printable, blank, solid, no_colon = (
        _char_class(printable), _char_class([not ok for ok in solid]),
        _char_class(solid), _char_class(no_colon))
    return {name: re.compile(pattern) for name, pattern in {
        "name": f"^(?![{blank}])[{printable}]*(?<![{blank}])$",
        "az_name": f"^(?![{blank}])[{no_colon}]*(?<![{blank}])$",
        "name_with_leading_trailing_spaces":
            f"^[{printable}]*[{solid}]+[{printable}]*$|"
            f"^[{printable}]*[{solid}][{solid}{printable}]+[{solid}]"
            f"[{printable}]*$",
        "description": f"^[{printable}]*$",
    }.items()}


# Upstream's messages (its InvalidName) for the name formats.
_NAME_RULES = {
    "name": "printable characters. Can not start or end with whitespace.",
    "az_name": "printable characters except :.Can not start or end with "
               "whitespace.",
    "name_with_leading_trailing_spaces":
        "printable characters with at least one non space character",
}


def _checks_regex(name):
    @FORMAT_CHECKER.checks(name)
    def check(instance):
        return not isinstance(instance, str) or \
            _format_regexes()[name].search(instance) is not None
    return check


for _name in ("name", "az_name", "name_with_leading_trailing_spaces",
              "description"):
    _checks_regex(_name)


def _resolve(spec, version):
    if isinstance(spec, Versioned):
        return spec.for_version(version)
    return spec


def _short(value):
    text = str(value)
    if len(text) > _MAX_VALUE_TEXT:
        text = text[:_MAX_VALUE_TEXT] + "..."
    return text


def _message(error):
    best = jsonschema.exceptions.best_match([error])
    if best.validator == "format" and best.validator_value in _NAME_RULES:
        return ("An invalid 'name' value was provided. The name must be: "
                + _NAME_RULES[best.validator_value])
    reason = best.message
    if len(reason) > 2 * _MAX_VALUE_TEXT:
        reason = reason[:2 * _MAX_VALUE_TEXT] + "..."
    path = [p for p in best.path if not isinstance(p, int)]
    if path:
        return (f"Invalid input for field/attribute {path[-1]}. "
                f"Value: {_short(best.instance)}. {reason}")
    return f"Invalid input for field/attribute. {reason}"


# (schema id, repr of a small document) of the documents found valid: the
# same bodies and queries come again and again (an action's body, an
# empty query). repr is exact for what JSON and query strings give (dict,
# list, str, int, float, bool, None: no two of them print the same), and
# the schemas are module constants (their id stays theirs).
_VALID = set()
_VALID_MAX = 4096
_VALID_TEXT = 512


def check(schema, instance):
    if schema is None:
        return
    key = None
    if isinstance(instance, dict) and len(instance) < 16:
        text = repr(instance)
        if len(text) <= _VALID_TEXT:
            key = (id(schema), text)
            if key in _VALID:
                return
    validator = _validator(schema)
    error = next(iter(validator.iter_errors(instance)), None)
    if error is not None:
        raise errors.BadRequest(_message(error))
    if key is not None:
        if len(_VALID) >= _VALID_MAX:
            _VALID.clear()
        _VALID.add(key)


_TAKES_NULL = {}


def takes_null(spec, version):
    """Whether the body schema of ``version`` takes null, so that a request
    may come without a body (PUT /servers/{id}/tags/{tag})."""
    schema = _resolve(spec, version)
    if schema is None:
        return True
    entry = _TAKES_NULL.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _TAKES_NULL[id(schema)] = (
            schema, _validator(schema).is_valid(None))
    return entry[1]


def validate_body(spec, body, version):
    check(_resolve(spec, version), body)


def validate_query(spec, req, version):
    """The query as ``{name: [values]}`` after validation."""
    query = {}
    try:
        items = list(req.GET.items())
    except UnicodeError:  # not UTF-8 (or, from a lax server, not Latin-1)
        raise errors.BadRequest(
            "The query string is not valid UTF-8.") from None
    for key, value in items:
        if "\x00" in key or "\x00" in value:
            raise errors.BadRequest(
                "The query string must not contain NUL characters.")
        query.setdefault(key, []).append(value)
    schema = _resolve(spec, version)
    if schema is not None:
        check(schema, query)
    return query
