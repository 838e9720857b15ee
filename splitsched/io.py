"""JSON files: instances, schedules and device profiles, validated on read.

Every read goes through a pydantic model in strict mode (``"628008"`` or
``true`` is not an integer, NaN and infinities are refused), then through the
constructors of :mod:`splitsched.problem`, which hold the instance invariants
and bounds once; a malformed file is refused with :class:`InputError` naming
the file, the field path and the reason. Reads refuse what is not a regular
file and files above :data:`MAX_INPUT_BYTES`; JSON nested deeper than
:data:`MAX_JSON_DEPTH` is refused; a key given twice in one object is refused
(JSON readers would keep the last silently). Text is UTF-8, an optional BOM
stripped (:func:`decode_text`, the one rule for every reader of text: JSON
here, the profile importers). Every write is strict JSON and atomic
(temporary file, fsync, rename; a symlink is followed and keeps pointing at
the new content; a device or FIFO such as ``/dev/null`` is written through,
never replaced); nothing is half-written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from splitsched.problem import (
    Instance,
    InvariantError,
    Job,
    JobPlan,
    Network,
    Schedule,
    check_id,
    counted,
)

INSTANCE_FORMAT = "splitsched-instance"
SCHEDULE_FORMAT = "splitsched-schedule"
PROFILE_FORMAT = "splitsched-profile"
FORMAT_VERSION = 1


# Largest file any reader accepts (bytes); SPLITSCHED_MAX_INPUT_BYTES overrides it
# (read at each call, so that a bad value is an InputError, not a crash at import).
MAX_INPUT_BYTES = 1 << 30
MAX_INPUT_ENV = "SPLITSCHED_MAX_INPUT_BYTES"


def max_input_bytes() -> int:
    """The input size cap: ``SPLITSCHED_MAX_INPUT_BYTES`` when set, else :data:`MAX_INPUT_BYTES`.

    Raises
    ------
    InputError
        The variable is set but not a positive integer.
    """
    raw = os.environ.get(MAX_INPUT_ENV)
    if raw is None:
        return MAX_INPUT_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InputError("", MAX_INPUT_ENV, f"environment variable is {raw!r}; expected a "
                         "positive whole number of bytes")
    return value
# Deepest nesting of arrays and objects accepted in a JSON file (the formats need 5).
MAX_JSON_DEPTH = 64


class InputError(ValueError):
    """Bad input: which file, which field, and why. The CLI exits with status 2.

    ``path`` is "" for a command-line option or function parameter (``field``
    then names the parameter).
    """

    def __init__(self, path: str | os.PathLike[str] | None, field: str, reason: str) -> None:
        self.path = str(path) if path is not None else ""  # "" for a command-line option
        self.field = field
        self.reason = reason
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{field}: {reason}")


# --------------------------------------------------------------------------- models
# The models check types and structure only (strictly: no "2" or true for an int, no
# NaN); the rules of the problem (bounds, windows, references) live in
# splitsched.problem and are mapped to file fields by _build below.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class LayerModel(_Strict):
    name: str
    gpu_us: int
    cpu_us: int
    gpu_sd_us: float | None = None
    cpu_sd_us: float | None = None


class NetworkModel(_Strict):
    name: str = Field(min_length=1)
    layers: list[LayerModel] = Field(min_length=1)
    handoff_us: list[int]
    provenance: dict[str, Any] = Field(default_factory=dict)


class JobModel(_Strict):
    id: str = Field(min_length=1)
    network: str
    release: int
    deadline: int
    weight: int = 1


class InstanceModel(_Strict):
    format: Literal["splitsched-instance"]
    version: Literal[1]
    id: str = Field(min_length=1)
    networks: list[NetworkModel] = Field(min_length=1)
    jobs: list[JobModel]
    provenance: dict[str, Any] = Field(default_factory=dict)


class PlanModel(_Strict):
    job: str
    cut: int | None = None
    gpu_start: int | None = None
    cpu_start: int | None = None


class ScheduleModel(_Strict):
    format: Literal["splitsched-schedule"]
    version: Literal[1]
    instance_id: str
    instance_sha256: str = ""
    solver: str
    plans: list[PlanModel]
    meta: dict[str, Any] = Field(default_factory=dict)


class ProfileModel(_Strict):
    format: Literal["splitsched-profile"]
    version: Literal[1]
    device: str = Field(min_length=1)
    soc: str = ""
    networks: list[NetworkModel] = Field(min_length=1)
    provenance: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(root)"


def _join(prefix: str, field: str) -> str:
    if not prefix:
        return field
    return prefix + field if field.startswith("[") else f"{prefix}.{field}"


KNOWN_FORMATS = {INSTANCE_FORMAT: "an instance", SCHEDULE_FORMAT: "a schedule",
                 PROFILE_FORMAT: "a device profile", "splitsched-trace": "a replay trace",
                 "splitsched-run": "run records, a runs.jsonl",
                 "splitsched-online-run": "run records, a runs.jsonl"}
"""The ``format`` (or ``schema``) values of the project's files, and what each file is."""


def _json_kind(data: Any) -> str:
    """What a parsed JSON value is, in words (``a list``, ``a string``, ``null``)."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return f"{str(data).lower()} (a boolean)"
    if isinstance(data, (int, float)):
        return "a number"
    if isinstance(data, str):
        return "a string"
    return "a list" if isinstance(data, list) else type(data).__name__


def check_format(data: Any, expected: str, path: str | os.PathLike[str] | None) -> None:
    """Refuse a valid JSON file of another kind, saying which kind it is.

    ``data`` is the parsed file; a JSON object whose ``format`` (or ``schema``)
    field names another of the project's formats (:data:`KNOWN_FORMATS`) is
    refused; anything else (a typo in the field) is left to the model's
    validation.

    Raises
    ------
    InputError
        Field ``format``: ``this is a splitsched-schedule file (a schedule);
        expected a splitsched-instance file (an instance)``; field ``(root)`` when
        ``data`` is not a JSON object (``expected a JSON object (a
        splitsched-instance file), got a list``).
    """
    if not isinstance(data, dict):
        raise InputError(path, "(root)", f"expected a JSON object (a {expected} file), got "
                                         f"{_json_kind(data)}")
    for key in ("format", "schema"):
        found = data.get(key)
        if isinstance(found, str) and found != expected and found in KNOWN_FORMATS:
            raise InputError(path, key, f"this is a {found} file ({KNOWN_FORMATS[found]}); "
                                        f"expected a {expected} file "
                                        f"({KNOWN_FORMATS[expected]})")


def check_lines_format(data: bytes, expected: str, path: str | os.PathLike[str] | None,
                       own: Sequence[str] = ()) -> None:
    """Refuse a JSON file of another kind given where a JSON-lines file is expected.

    For the readers of JSON lines (a replay trace, a ``runs.jsonl``), called
    when a line does not read as one of theirs: a pretty-printed instance
    fails on its first line (``{``) and would be reported as "not valid
    JSON". ``data`` is the whole file; when it parses as one JSON document,
    or its first non-blank line does, and that names another of the
    project's formats (:func:`check_format`), the file is refused naming its
    kind; otherwise this returns and the reader raises its own error. Formats
    in ``own`` are left to the reader (it has a better message for them).

    Raises
    ------
    InputError
        Field ``format`` (or ``schema``): ``this is a splitsched-instance
        file (an instance); expected a splitsched-trace file (a replay trace)``.
    """
    candidates: list[bytes] = [data]
    first = next((line for line in data.split(b"\n") if line.strip()), None)
    if first is not None and first != data:
        candidates.append(first)
    for text in candidates:
        try:
            parsed = parse_json_text(text, path)
        except InputError:
            continue
        if not isinstance(parsed, dict):
            continue  # not another kind of file: the reader names the line
        if any(parsed.get(k) in own for k in ("format", "schema")):
            return
        check_format(parsed, expected, path)


def _validate(model: type[BaseModel], data: Any, path: str | os.PathLike[str] | None) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = (f" (and {counted(len(exc.errors()) - 1, 'more error')})"
            if len(exc.errors()) > 1 else "")
        raise InputError(path, _field_path(tuple(err["loc"])), err["msg"] + more) from None


def read_regular_bytes(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, refusing what could hang or exhaust memory.

    Raises
    ------
    InputError
        No such file, a directory, not a regular file (FIFO, device, socket:
        reading one may never end), unreadable, or larger than ``max_bytes``
        (default :func:`max_input_bytes`); a bad ``SPLITSCHED_MAX_INPUT_BYTES``.
    """
    p = Path(path)
    cap = max_input_bytes() if max_bytes is None else max_bytes
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(p, "(file)", "no such file") from None
    except OSError as exc:
        raise InputError(p, "(file)", f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(p, "(file)", "is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(p, "(file)", "not a regular file (a FIFO, device or socket is "
                                      "refused: reading it may never end)")
    if st.st_size > cap:
        raise InputError(p, "(file)", f"is {st.st_size} bytes, more than the limit of {cap} "
                                      "bytes (SPLITSCHED_MAX_INPUT_BYTES)")
    try:
        with open(p, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise InputError(p, "(file)", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > cap:
        raise InputError(p, "(file)", f"grew past the limit of {cap} bytes while read")
    return data


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_HINT = "UTF-16 encoded (a PowerShell redirect?); save it as UTF-8"


class TextDecodeError(ValueError):
    """Bytes that are not UTF-8 text: ``line`` (1-based, or None for the whole file), ``reason``."""

    def __init__(self, line: int | None, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


def _looks_utf16(data: bytes) -> bool:
    """Whether ``data`` (no BOM) reads as UTF-16 text: NULs at every other byte of its start."""
    head = data[:256]
    if len(head) < 2:
        return False
    for first in (0, 1):  # big-endian ASCII has NUL first, little-endian second
        half = head[first::2]
        if half.count(0) >= 0.75 * len(half):
            return True
    return False


def decode_text(data: bytes) -> str:
    """The text of a file's bytes: UTF-8, one leading byte-order mark stripped.

    The one decoding rule of every text reader (JSON files, the HOPE, LiteRT
    and CSV profile importers): a BOM written by Windows tools must not become
    part of the first field, and a wrong encoding must be refused, never
    replaced by U+FFFD (that silently renames operators and drops columns).

    Raises
    ------
    TextDecodeError
        UTF-16 (a ``FF FE`` / ``FE FF`` byte-order mark, or NUL bytes at every
        other position: what PowerShell's ``>`` writes) is named as such; a NUL
        byte elsewhere means a binary file; any other undecodable byte is named
        with its value and its line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TextDecodeError(None, UTF16_HINT)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    nul = data.find(b"\0")
    if nul >= 0:
        if _looks_utf16(data):
            raise TextDecodeError(None, UTF16_HINT)
        raise TextDecodeError(data.count(b"\n", 0, nul) + 1,
                              "a NUL byte: this is a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TextDecodeError(line, f"byte 0x{data[exc.start]:02x} at byte {column} of the "
                                    "line is not UTF-8 (a Latin-1 or Windows-1252 file?); "
                                    "save it as UTF-8") from None
    if text.startswith("\ufeff"):  # JSON's reader would say "decode using utf-8-sig"
        raise TextDecodeError(1, "a second byte-order mark (U+FEFF) after the first; save "
                                 "the file as UTF-8 without them")
    return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (non-finite numbers are refused)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a double")
    return value


class _LongInteger(ValueError):
    """An integer literal longer than Python reads (valid JSON, over the limit)."""


def _bounded_int(text: str) -> int:
    # int() of a longer string raises advice for programmers (sys.set_int_max_str_digits)
    digits = len(text) - text.startswith("-")
    if digits > sys.get_int_max_str_digits() > 0:
        raise _LongInteger(f"an integer of {digits} digits (at most "
                         f"{sys.get_int_max_str_digits()} are read)")
    return int(text)


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


class _TwiceDict(dict[str, Any]):
    """A JSON object in which ``twice`` was given more than once (found after the parse)."""

    twice: str = ""


def _first_twice(data: Any) -> tuple[str, str] | None:
    """(field path of the object, key) of the first object holding a key twice, or None."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _TwiceDict):
            return where or "(root)", node.twice
        if isinstance(node, dict):
            stack.extend((v, _join(where, str(k))) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(node))))
    return None


def parse_json_text(text: str | bytes, path: str | os.PathLike[str] | None,
                    where: str = "") -> Any:
    """Strict JSON: NaN/Infinity, out-of-range numbers and repeated keys refused, depth capped.

    Bytes are decoded by :func:`decode_text` (UTF-8, an optional BOM stripped);
    a ``str`` may start with a BOM too. ``where`` names the line for a
    JSON-lines file (``line 7``).

    Raises
    ------
    InputError
        Not UTF-8 (naming the line), not JSON (line and column), a
        non-finite number, a key given twice in one object (naming the
        object's field path and the key), or nesting deeper than
        :data:`MAX_JSON_DEPTH`.
    """
    if isinstance(text, bytes):
        try:
            text = decode_text(text)
        except TextDecodeError as exc:
            field = where or (f"line {exc.line}" if exc.line is not None else "(encoding)")
            raise InputError(path, field, exc.reason) from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(path, where or "(file)",
                         ("empty" if where else "the file is empty")
                         + (" (only whitespace)" if text else ""))
    found: list[bool] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        marked = _TwiceDict(obj)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.twice = key
                break
            seen.add(key)
        found.append(True)
        return marked

    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          parse_int=_bounded_int, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        field = where or f"line {exc.lineno} column {exc.colno}"
        hint = _lines_hint(text) if exc.msg == "Extra data" and not where else ""
        raise InputError(path, field, f"not valid JSON: {exc.msg}{hint}") from None
    except UnicodeDecodeError:
        raise InputError(path, where or "(file)", "not UTF-8 text") from None
    except RecursionError:
        raise InputError(path, where or "(file)",
                         f"JSON nested too deeply (limit {MAX_JSON_DEPTH})") from None
    except _LongInteger as exc:
        raise InputError(path, where or "(file)", str(exc)) from None
    except ValueError as exc:
        raise InputError(path, where or "(file)", f"not valid JSON: {exc}") from None
    if json_depth_exceeds(data, MAX_JSON_DEPTH):
        raise InputError(path, where or "(file)",
                         f"JSON nested too deeply (limit {MAX_JSON_DEPTH})")
    if found:
        hit = _first_twice(data)
        assert hit is not None
        obj, key = hit
        field = _join("" if obj == "(root)" else obj, key)
        raise InputError(path, f"{where}, {field}" if where else field,
                         f"key {key!r} given twice in one object (which value is meant? "
                         "JSON readers keep the last silently): give it once")
    return data


def _lines_hint(text: str) -> str:
    """For a JSON file with a second value after the first: when its first line is a JSON
    object on its own, the file is JSON lines (a ``runs.jsonl``, a replay trace), given
    where one JSON document is expected; say so, naming the kind when the line does."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        parsed = json.loads(first)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    kind = next((KNOWN_FORMATS[v] for v in (parsed.get("format"), parsed.get("schema"))
                 if isinstance(v, str) and v in KNOWN_FORMATS), None)
    what = f" of {kind}" if kind else ""
    return (f" (one JSON value per line: this is a JSON-lines file{what}; one JSON document "
            "is expected here)")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file strictly (see :func:`read_regular_bytes`, :func:`parse_json_text`)."""
    return parse_json_text(read_regular_bytes(path), path)


def _write_through(p: Path, data: bytes, st: os.stat_result) -> None:
    """Write to an existing non-regular file (device, FIFO) in place; never replace it."""
    flags = os.O_WRONLY
    if stat.S_ISFIFO(st.st_mode):
        flags |= os.O_NONBLOCK  # fail at once instead of waiting for a reader
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(p, "(file)", "a FIFO with no reader") from None
        raise InputError(p, "(file)", f"cannot write: {exc.strerror or exc}") from None
    try:
        if flags & os.O_NONBLOCK:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise InputError(p, "(file)", f"cannot write: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def refuse_folder_text(path: str | os.PathLike[str], field: str = "(file)") -> None:
    """Refuse an output file given as text that names no file: ``""`` (``Path`` reads it as
    the current folder) or a text ending in ``/`` (``Path("new/")`` is ``new``: a file named
    like the folder was written). A ``Path`` has lost both; the CLI keeps the typed text
    (``cli/options.typed_path``)."""
    if not isinstance(path, str):
        return
    if path == "":
        raise InputError(None, field, "an empty path; give a file name")
    if path.endswith(("/", os.sep)):
        raise InputError(path, field, "ends in '/', so it names a folder; give a file name")


def check_output_path(path: str | os.PathLike[str], field: str = "(file)",
                      inputs: Sequence[str | os.PathLike[str]] = ()) -> None:
    """Refuse, before any work, an output that :func:`atomic_write_text` could not write.

    Checks: not empty and not ending in ``/`` (given as text: :func:`refuse_folder_text`);
    not a directory; not one of the command's ``inputs`` (the same
    file, through any path or link: writing it would destroy the input);
    for an existing regular file (or a link to one) or a new file, the
    directory that will hold it exists or can be created and is writable; an
    existing device or FIFO is writable.

    Raises
    ------
    InputError
        Naming ``path`` and ``field`` (e.g. the option that gave the path).
    """
    refuse_folder_text(path, field)
    p = Path(path)
    if os.fspath(path) == "-":  # a file literally named "-" is never what was meant
        raise InputError(p, field, "'-' (standard output) is not supported here; give a "
                         "file name")
    try:
        st: os.stat_result | None = os.stat(p)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise InputError(p, field, "a part of the path is not a directory") from None
    except OSError as exc:
        raise InputError(p, field, f"cannot write here: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(p, field, "is a directory; give a file name")
    if st is not None and stat.S_ISREG(st.st_mode):
        for src in inputs:
            try:
                same = os.path.samefile(p, src)
            except OSError:
                same = False
            if same:
                raise InputError(p, field, f"is the input file {src}; writing it would "
                                 "destroy the input: give another output path")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not os.access(p, os.W_OK):
            raise InputError(p, field, "not writable")
        return
    parent = Path(os.path.realpath(p)).parent
    probe = parent
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(p, field, f"{probe} is not a directory")
    _refuse_unwritable_dir(probe, p, field, f"directory {probe} is not writable")


def _refuse_unwritable_dir(directory: Path, p: Path, field: str, denied: str) -> None:
    """An :class:`InputError` (``denied`` as its reason when the permission bits refuse)
    unless a file can be made in ``directory``: access() answers for the permission bits
    only, and root passes it on /proc, /sys or a read-only mount, where the write failed
    after the whole solve (a review); so a probe file is made and removed."""
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(p, field, denied)
    try:
        fd, name = tempfile.mkstemp(prefix=".splitsched-probe-", dir=directory)
    except OSError as exc:
        raise InputError(p, field, f"cannot create a file in directory {directory}: "
                         f"{exc.strerror or exc}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def check_output_dir(path: str | os.PathLike[str], field: str = "-o") -> None:
    """Refuse, before any work, a run directory that cannot be used or created.

    An existing ``path`` must be a writable directory; a missing one must be
    creatable: no file stands where one of its folders should be, and the
    nearest existing folder above it is writable (not a read-only file system).

    Raises
    ------
    InputError
        Naming ``path`` and ``field`` (the option that gave it) and the reason.
    """
    if path == "":
        raise InputError(None, field, "an empty path; give a folder name")
    p = Path(path)
    if os.fspath(path) == "-":
        raise InputError(p, field, "'-' is not a run directory; give a folder name")
    if p.exists():
        if not p.is_dir():
            raise InputError(p, field, "exists and is not a directory")
        _refuse_unwritable_dir(p, p, field, "directory is not writable")
        return
    try:
        check_output_path(p / "probe", field)
    except InputError as exc:
        raise InputError(p, field, exc.reason) from None


class AtomicWriter:
    """Write a text file piece by piece, atomically (see :func:`atomic_write_text`).

    ``with AtomicWriter(path) as out: out.write(...)``: the pieces go to a
    temporary file next to the target (a symlink's target), which replaces it
    only when the block ends without an exception; on an exception the target
    is untouched. An existing device or FIFO receives the content when the
    block ends (written through, never replaced). A directory is refused at
    once.

    Raises
    ------
    InputError
        The path is a directory, or a write failed (``ENOSPC``, permission).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        refuse_folder_text(path)
        self.path = Path(path)
        try:
            self._st: os.stat_result | None = os.stat(self.path)  # follows links
        except FileNotFoundError:
            self._st = None
        except OSError as exc:
            raise InputError(self.path, "(file)", f"cannot write: {exc.strerror or exc}") \
                from None
        if self._st is not None and stat.S_ISDIR(self._st.st_mode):
            raise InputError(self.path, "(file)", "is a directory; give a file name")
        self._through = self._st is not None and not stat.S_ISREG(self._st.st_mode)
        self._target = Path(os.path.realpath(self.path))
        self._tmp: str | None = None
        self._fh: Any = None

    def __enter__(self) -> AtomicWriter:
        try:
            directory = self._target.parent if not self._through else Path(tempfile.gettempdir())
            directory.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self._target.name}.", suffix=".tmp",
                                             dir=directory)
            self._fh = os.fdopen(fd, "w+b" if self._through else "wb")
        except OSError as exc:
            self._cleanup()
            raise InputError(self.path, "(file)", f"cannot write: {exc.strerror or exc}") \
                from None
        return self

    def write(self, text: str) -> None:
        try:
            self._fh.write(text.encode("utf-8"))
        except OSError as exc:
            raise InputError(self.path, "(file)", f"cannot write: {exc.strerror or exc}") \
                from None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            self._cleanup()

    def _commit(self) -> None:
        assert self._tmp is not None
        try:
            self._fh.flush()
            if self._through:
                assert self._st is not None
                self._fh.seek(0)
                _write_through(self.path, self._fh.read(), self._st)
                return
            os.fsync(self._fh.fileno())
            self._fh.close()
            if self._st is not None:
                mode = stat.S_IMODE(self._st.st_mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask  # mkstemp makes 0600; give the usual file mode
            os.chmod(self._tmp, mode)
            os.replace(self._tmp, self._target)
            self._tmp = None
        except OSError as exc:
            raise InputError(self.path, "(file)", f"cannot write: {exc.strerror or exc}") \
                from None

    def _cleanup(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a file so that readers see either the old or the whole new content.

    A symlink is followed (the link stays and points at the new content); an
    existing device or FIFO (``/dev/null``, ``/dev/stdout``) is written
    through, never replaced; a directory is refused. Keeps the mode of a file
    it replaces.

    Raises
    ------
    InputError
        The path is a directory, or the write failed (``ENOSPC``, permission):
        the old content is then untouched.
    """
    refuse_folder_text(path)
    p = Path(path)
    try:
        st: os.stat_result | None = os.stat(p)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        _write_through(p, text.encode("utf-8"), st)  # no temporary copy needed
        return
    with AtomicWriter(p) as out:
        out.write(text)


def _nonfinite_at(data: Any, prefix: str = "") -> str | None:
    stack: list[tuple[Any, str]] = [(data, prefix)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return where or "(root)"
        if isinstance(node, dict):
            stack.extend((v, _join(where, str(k))) for k, v in node.items())
        elif isinstance(node, list | tuple):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
    return None


class NonFiniteError(ValueError):
    """Data to be written holds NaN or an infinity (strict JSON has neither)."""


def strict_json(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` that refuses NaN and infinities, naming where one is.

    Raises
    ------
    NonFiniteError
        With the field path of the first non-finite number.
    """
    try:
        return json.dumps(data, allow_nan=False, **kwargs)
    except ValueError as exc:
        _refuse_nonfinite(data, exc)


def _refuse_nonfinite(data: Any, exc: ValueError) -> NoReturn:
    """The encoder's ``ValueError`` as a :class:`NonFiniteError` naming the field path of
    the first non-finite number in ``data`` (``exc`` itself if there is none)."""
    where = _nonfinite_at(data)
    if where is None:
        raise exc
    raise NonFiniteError(f"{where}: non-finite number; strict JSON has no NaN or "
                         "Infinity") from None


def dumps(data: Any) -> str:
    """Canonical strict JSON text: sorted keys, two-space indent, trailing newline."""
    return strict_json(data, indent=2, sort_keys=True) + "\n"


def dumps_pieces(data: Any) -> Iterator[str]:
    """:func:`dumps`'s text in pieces, as the encoder makes them: joined, the same
    characters (``json.dumps`` joins the same encoder's pieces), never all in memory.

    Raises
    ------
    NonFiniteError
        As :func:`strict_json`, once the pieces before the number were given.
    """
    encoder = json.JSONEncoder(allow_nan=False, indent=2, sort_keys=True)
    try:
        yield from encoder.iterencode(data)
    except ValueError as exc:
        _refuse_nonfinite(data, exc)
    yield "\n"


WRITE_PIECE_CHARS = 1 << 20
"""Characters gathered before each write of :func:`write_json_pieces` (and each call of
its ``progress`` hook)."""


def write_json_pieces(path: str | os.PathLike[str], data: Any,
                      progress: Callable[[int], None]) -> None:
    """Write ``data`` as :func:`dumps` does (the same bytes), atomically
    (:class:`AtomicWriter`), in pieces of about :data:`WRITE_PIECE_CHARS` characters,
    calling ``progress`` with the characters written so far after each.

    Raises
    ------
    InputError
        As :class:`AtomicWriter` (the old file is then untouched).
    NonFiniteError
        As :func:`strict_json` (nothing written).
    """
    written = 0
    with AtomicWriter(path) as out:
        pieces: list[str] = []
        size = 0
        for piece in dumps_pieces(data):
            pieces.append(piece)
            size += len(piece)
            if size >= WRITE_PIECE_CHARS:
                out.write("".join(pieces))
                written += size
                progress(written)
                pieces.clear()
                size = 0
        out.write("".join(pieces))
        written += size
    progress(written)


def sha256_of(data: Any) -> str:
    """Hash of the canonical compact JSON of ``data``."""
    compact = strict_json(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


def _build(path: str | os.PathLike[str] | None, prefix: str, make: Any) -> Any:
    """Call a constructor of splitsched.problem; its InvariantError becomes an InputError."""
    try:
        return make()
    except InvariantError as exc:
        raise InputError(path, _join(prefix, exc.field), exc.reason) from None


# --------------------------------------------------------------------------- networks
def network_to_dict(net: Network) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    for i, name in enumerate(net.layer_names):
        layer: dict[str, Any] = {"name": name, "gpu_us": int(net.gpu_us[i]),
                                 "cpu_us": int(net.cpu_us[i])}
        if net.gpu_sd_us:
            layer["gpu_sd_us"] = round(float(net.gpu_sd_us[i]), 3)
        if net.cpu_sd_us:
            layer["cpu_sd_us"] = round(float(net.cpu_sd_us[i]), 3)
        layers.append(layer)
    return {"name": net.name, "layers": layers,
            "handoff_us": [int(v) for v in net.handoff_us],
            "provenance": dict(net.provenance)}


def _spread(m: NetworkModel, label: str) -> tuple[float, ...]:
    """A per-layer spread given on every layer, or on none (partial is an error)."""
    values = [getattr(layer, label) for layer in m.layers]
    given = [v is not None for v in values]
    if any(given) and not all(given):
        j = given.index(False)
        first = given.index(True)
        raise InvariantError(f"network {m.name!r}", f"layers[{j}].{label}",
                             f"missing, while layers[{first}] gives it: give {label} on "
                             "every layer of the network or on none")
    return tuple(float(v) for v in values) if all(given) else ()


def network_from_model(m: NetworkModel, path: str | os.PathLike[str] | None = None,
                       prefix: str = "") -> Network:
    """A validated :class:`Network`; InputError names ``prefix`` + the field."""
    return _build(path, prefix, lambda: Network(
        name=m.name,
        layer_names=tuple(layer.name for layer in m.layers),
        gpu_us=tuple(layer.gpu_us for layer in m.layers),
        cpu_us=tuple(layer.cpu_us for layer in m.layers),
        handoff_us=tuple(m.handoff_us),
        gpu_sd_us=_spread(m, "gpu_sd_us"),
        cpu_sd_us=_spread(m, "cpu_sd_us"),
        provenance=m.provenance,
    ))


# --------------------------------------------------------------------------- instances
def instance_to_dict(inst: Instance) -> dict[str, Any]:
    return {
        "format": INSTANCE_FORMAT,
        "version": FORMAT_VERSION,
        "id": inst.id,
        "networks": [network_to_dict(n) for n in inst.networks],
        "jobs": [{"id": j.id, "network": j.network, "release": j.release,
                  "deadline": j.deadline, "weight": j.weight} for j in inst.jobs],
        "provenance": dict(inst.provenance),
    }


def instance_from_dict(data: Any, path: str | os.PathLike[str] | None = None) -> Instance:
    """Build a validated :class:`Instance` from its JSON data (InputError names the field)."""
    check_format(data, INSTANCE_FORMAT, path)
    m: InstanceModel = _validate(InstanceModel, data, path)
    networks = tuple(network_from_model(n, path, f"networks[{i}]")
                     for i, n in enumerate(m.networks))
    jobs = tuple(_build(path, f"jobs[{i}]", lambda j=j: Job(
        id=j.id, network=j.network, release=j.release, deadline=j.deadline, weight=j.weight))
        for i, j in enumerate(m.jobs))
    return _build(path, "", lambda: Instance(id=m.id, networks=networks, jobs=jobs,
                                             provenance=m.provenance))


def instance_sha256(inst: Instance) -> str:
    """SHA-256 (hex) of the instance's canonical JSON: what a schedule file records."""
    return sha256_of(instance_to_dict(inst))


def read_instance(path: str | os.PathLike[str]) -> Instance:
    """Read and validate an instance JSON file (format: ``splitsched schema instance``).

    Returns the frozen :class:`~splitsched.problem.Instance` (times in us).
    Raises :class:`InputError` naming the file, the field and the reason.
    """
    return instance_from_dict(read_json(path), path)


def write_instance(inst: Instance, path: str | os.PathLike[str],
                   progress: Callable[[int], None] | None = None) -> None:
    """Write an instance as canonical JSON, atomically (parent folders are created).

    ``progress``: when given, the text is written in pieces
    (:func:`write_json_pieces`: the same bytes) and ``progress`` is called with the
    characters written so far (a large instance's progress display).
    """
    if progress is not None:
        write_json_pieces(path, instance_to_dict(inst), progress)
        return
    atomic_write_text(path, dumps(instance_to_dict(inst)))


# --------------------------------------------------------------------------- schedules
def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return {
        "format": SCHEDULE_FORMAT,
        "version": FORMAT_VERSION,
        "instance_id": s.instance_id,
        "instance_sha256": s.instance_sha256,
        "solver": s.solver,
        "plans": [{"job": p.job, "cut": p.cut, "gpu_start": p.gpu_start,
                   "cpu_start": p.cpu_start} for p in s.plans],
        "meta": dict(s.meta),
    }


def schedule_from_dict(data: Any, path: str | os.PathLike[str] | None = None) -> Schedule:
    """Build a :class:`Schedule` from its JSON data (InputError names the field)."""
    check_format(data, SCHEDULE_FORMAT, path)
    m: ScheduleModel = _validate(ScheduleModel, data, path)
    plans = tuple(_build(path, f"plans[{i}]", lambda p=p: JobPlan(
        job=p.job, cut=p.cut, gpu_start=p.gpu_start, cpu_start=p.cpu_start))
        for i, p in enumerate(m.plans))
    return Schedule(instance_id=m.instance_id, solver=m.solver, plans=plans,
                    instance_sha256=m.instance_sha256, meta=m.meta)


def read_schedule(path: str | os.PathLike[str]) -> Schedule:
    """Read and validate a schedule JSON file (format: ``splitsched schema schedule``).

    Checks the file's structure only; :func:`check_schedule_matches` checks it
    belongs to an instance and :func:`splitsched.evaluate.evaluate` checks the
    rules. Raises :class:`InputError` naming the file, the field and the reason.
    """
    return schedule_from_dict(read_json(path), path)


def write_schedule(s: Schedule, path: str | os.PathLike[str]) -> None:
    """Write a schedule as canonical JSON, atomically (parent folders are created)."""
    atomic_write_text(path, dumps(schedule_to_dict(s)))


def schedule_sha256(s: Schedule) -> str:
    """Hash of what a schedule decides (instance id, solver, plans; not its meta)."""
    d = schedule_to_dict(s)
    return sha256_of({k: d[k] for k in ("instance_id", "solver", "plans")})


def check_schedule_matches(inst: Instance, s: Schedule, path: str | os.PathLike[str]) -> None:
    """Refuse a schedule made for another instance (id or content hash differ)."""
    if s.instance_id != inst.id:
        raise InputError(path, "instance_id",
                         f"schedule is for instance {s.instance_id!r}, not {inst.id!r}")
    if s.instance_sha256 and s.instance_sha256 != instance_sha256(inst):
        raise InputError(path, "instance_sha256",
                         "schedule was made for a different version of this instance")


# --------------------------------------------------------------------------- profiles
def profile_to_dict(device: str, soc: str, networks: list[Network],
                    provenance: dict[str, Any]) -> dict[str, Any]:
    return {"format": PROFILE_FORMAT, "version": FORMAT_VERSION, "device": device, "soc": soc,
            "networks": [network_to_dict(n) for n in networks], "provenance": provenance}


def read_profile(path: str | os.PathLike[str]) -> ProfileModel:
    """Read a device profile file (validated); networks via :func:`profile_networks`."""
    data = read_json(path)
    check_format(data, PROFILE_FORMAT, path)
    m: ProfileModel = _validate(ProfileModel, data, path)
    _build(path, "", lambda: check_id(m.device, f"profile {m.device!r}", "device"))
    return m


def profile_networks(m: ProfileModel, path: str | os.PathLike[str] | None = None
                     ) -> list[Network]:
    """The validated networks of a profile (InputError names ``networks[i]....``)."""
    return [network_from_model(n, path, f"networks[{i}]") for i, n in enumerate(m.networks)]
