"""What every user-written input shares: strict numbers, short error values, safe JSON files.

Configs, augmentation specs and ablation definitions all come from people (a JSON file, the
dashboard, the CLI). This module holds the rules they share, so that each is written once:

- `Int` and `Float`: numbers that refuse booleans (`"epochs": true` is a mistake, not 1) and,
  for floats, NaN and infinity (a NaN compares false with every bound, so a range check alone
  lets it through).
- `short_repr`: a value quoted in an error message, cut to a readable length.
- `pydantic_problems`: pydantic's errors as (field, message) pairs with short values.
- `read_json_file`: any bytes give either data or one line saying what is wrong with them:
  not UTF-8, UTF-16, a JSON syntax error, NaN, or nesting too deep.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AllowInfNan, Strict, ValidationError

#: An integer field: JSON integers only (no booleans, no 3.0, no "3").
Int = Annotated[int, Strict()]
#: A boolean field: true or false only (not 1, not "yes").
Bool = Annotated[bool, Strict()]
#: A float field: JSON numbers only (integers welcome), never a boolean, NaN or infinity.
Float = Annotated[float, Strict(), AllowInfNan(False)]

#: Longest quoted value in an error message.
MAX_QUOTED_CHARS = 120
#: Deepest nesting a user's JSON file may have. Real configs nest four levels.
MAX_JSON_DEPTH = 32


def short_repr(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """`repr(value)`, cut in the middle to at most about `limit` characters.

    A 50 MB name must not become a 50 MB error line; the ends stay, so the value is still
    recognisable.
    """
    text = _bounded_repr(value, limit)
    if len(text) <= limit:
        return text
    keep = max(limit - 24, 8)
    return f"{text[: keep // 2 + keep % 2]}…{text[-(keep // 2) :]} ({_size(value)})"


def _bounded_repr(value: object, limit: int) -> str:
    # repr() of a huge string or list is as huge: cut strings before quoting them.
    if isinstance(value, str) and len(value) > 4 * limit:
        value = value[: 2 * limit] + value[-2 * limit :]
    elif isinstance(value, list | tuple | dict) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value):,} items>"
    return repr(value)


def _size(value: object) -> str:
    if isinstance(value, str | bytes | list | tuple | dict):
        return f"{len(value):,} {'characters' if isinstance(value, str) else 'items'}"
    return type(value).__name__


#: pydantic's prefix for errors our own validators raise.
_VALUE_ERROR = "Value error, "


def pydantic_problems(
    exc: ValidationError, *, field_sep: str | None = None
) -> list[tuple[str, str]]:
    """pydantic's errors as (dotted field, message) pairs, with the value received (cut short).

    Args:
        exc: the validation error.
        field_sep: a validator that checks several fields may raise "field<sep>message" to
            name the field it means; the pair then names that field.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        msg = err["msg"].removeprefix(_VALUE_ERROR)
        if field_sep and field_sep in msg:
            sub, msg = msg.split(field_sep, 1)
            loc = sub if loc == "(root)" else f"{loc}.{sub}"
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; `python -m boost schema` lists the fields)"
        elif err["type"] == "missing":
            msg = "required"
        if "input" in err and err["type"] not in ("value_error", "missing"):
            msg = f"{msg}; got {short_repr(err['input'])}"
        problems.append((loc, msg))
    return problems


class JSONFileError(ValueError):
    """A user's JSON file that cannot be read. The message is one line naming the file."""


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file written by a person, whatever its bytes.

    A UTF-8 byte-order mark is accepted (Windows editors write one).

    Raises:
        JSONFileError: one line naming the file and what is wrong: it cannot be read, is not
            UTF-8 (UTF-16 is named as such), is not valid JSON (with line and column), holds
            NaN or Infinity, or nests deeper than MAX_JSON_DEPTH.
    """
    p = Path(path)
    name = short_repr(str(p))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise JSONFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if raw.startswith(_WIDE_BOMS) or _looks_wide(raw[:4]):
        raise JSONFileError(f"{name} is UTF-16 or UTF-32 text; save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise JSONFileError(
            f"{name} is not UTF-8 text (byte 0x{bad} at offset {exc.start:,}); save it as UTF-8"
        ) from None
    return parse_json(text, name)


def parse_json(text: str, name: str = "the JSON text") -> Any:
    """`json.loads` with the same one-line errors as `read_json_file`.

    Raises:
        JSONFileError: not valid JSON, NaN or Infinity, or nested too deeply.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise JSONFileError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except _NotANumber as exc:
        raise JSONFileError(
            f"{name} holds {exc}, which JSON does not allow; write a number"
        ) from None
    except RecursionError:
        raise JSONFileError(f"{name} nests more than {MAX_JSON_DEPTH} levels deep") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise JSONFileError(f"{name} nests more than {MAX_JSON_DEPTH} levels deep")
    return data


#: Byte-order marks of UTF-16 and UTF-32 (little and big endian).
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _looks_wide(head: bytes) -> bool:
    """UTF-16/32 without a BOM: JSON starts with ASCII, so every other byte of it is zero."""
    return len(head) == 4 and (head[1] == head[3] == 0 or head[0] == head[2] == 0)


class _NotANumber(ValueError):
    pass


def _refuse_constant(token: str) -> Any:
    raise _NotANumber(token)


def _depth(data: Any) -> int:
    """Nesting depth of lists and dicts, without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((child, depth + 1) for child in node)
    return deepest
