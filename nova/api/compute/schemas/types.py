"""Reusable JSON Schema pieces, with upstream's accepted forms."""

MAX_INT = 2147483647

_TRUE = [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes",
         "yes"]
_FALSE = [False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO",
          "No", "no"]
BOOLEAN = {"type": ["boolean", "string"], "enum": _TRUE + _FALSE}


def to_bool(value):
    return value in _TRUE


# Upstream's names and descriptions: printable characters of the Basic
# Multilingual Plane (the formats are in nova.api.validation). A name has
# no blank at either end...
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "format": "name"}
# ... except where upstream takes one (an aggregate's new name), with at
# least one character that is not a blank.
NAME_SPACED = {"type": "string", "minLength": 1, "maxLength": 255,
               "format": "name_with_leading_trailing_spaces"}
# An availability zone: a name without ":".
AZ_NAME = {"type": "string", "minLength": 1, "maxLength": 255,
           "format": "az_name"}
# A flavor's description (a server's is at most 255 characters).
DESCRIPTION = {"type": ["string", "null"], "minLength": 0,
               "maxLength": 65535, "format": "description"}


def int_param(minimum, maximum=MAX_INT):
    """An integer, or a string of digits (upstream accepts both)."""
    return {"oneOf": [
        {"type": "integer", "minimum": minimum, "maximum": maximum},
        {"type": "string", "pattern": r"^[0-9]{1,10}$"},
    ]}


# Upstream's positive_integer: an integer, or a string of digits, with no
# maximum (min_count, max_count, max_server_per_host). The minimum of a
# string ("0") is checked by coerce_int, with upstream's message.
POSITIVE_INTEGER = {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                    "minLength": 1, "minimum": 1}


def coerce_int(value, name, minimum, maximum=MAX_INT):
    """The integer value of an int_param (or, with ``maximum`` None, of a
    POSITIVE_INTEGER), range-checked."""
    from nova.api import errors

    number = int(value)
    if maximum is None:
        if number < minimum:
            raise errors.BadRequest(
                f"Invalid input for field/attribute {name}. Value: {value}. "
                f"{number} is less than the minimum of {minimum}")
    elif not minimum <= number <= maximum:
        raise errors.BadRequest(
            f"Invalid input for field/attribute {name}. Value: {value}. "
            f"{number} is not between {minimum} and {maximum}")
    return number


UUID = {"type": "string", "format": "uuid"}

# 1 to 2147483647, as an integer or a string of digits (leading zeros
# taken): upstream's volume_size, whose minimum and maximum its validator
# applies to numbers given as strings too.
_INT32_DIGITS = (r"^0*([1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}"
                 r"|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}"
                 r"|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
                 r"|21474836[0-3][0-9]|214748364[0-7])$")
POSITIVE_INT32 = {"oneOf": [
    {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    {"type": "string", "pattern": _INT32_DIGITS}]}
