"""Reusable JSON Schema pieces, with upstream's accepted forms."""

MAX_INT = 2147483647

_TRUE = [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes",
         "yes"]
_FALSE = [False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO",
          "No", "no"]
BOOLEAN = {"type": ["boolean", "string"], "enum": _TRUE + _FALSE}


def to_bool(value):
    return value in _TRUE


# A name: printable, no leading or trailing blanks.
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?![\s])[^\x00-\x1f\x7f]*(?<![\s])$"}
# Upstream's legacy names also allow leading/trailing spaces.
DESCRIPTION = {"type": ["string", "null"], "minLength": 0,
               "maxLength": 65535,
               "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"}


def int_param(minimum, maximum=MAX_INT):
    """An integer, or a string of digits (upstream accepts both)."""
    return {"oneOf": [
        {"type": "integer", "minimum": minimum, "maximum": maximum},
        {"type": "string", "pattern": r"^[0-9]{1,10}$"},
    ]}


def coerce_int(value, name, minimum, maximum=MAX_INT):
    """The integer value of an int_param, range-checked."""
    from nova.api import errors

    number = int(value)
    if not minimum <= number <= maximum:
        raise errors.BadRequest(
            f"Invalid input for field/attribute {name}. Value: {value}. "
            f"{number} is not between {minimum} and {maximum}")
    return number


UUID = {"type": "string", "format": "uuid"}
