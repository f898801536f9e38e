"""Reading scenario files: TOML, ``extends`` chains, bundled scenarios, ``--set`` overrides.

A scenario file may say ``extends = "baseline.toml"`` (a path relative to its own folder) or
``extends = "relsim:baseline"`` (any scenario bundled with relsim, from any folder) and then
give only what differs; tables are merged key by key over the base's. Values can be overridden
with ``KEY=VALUE`` strings (dotted keys, TOML values), as ``relsim ... --set`` takes them.
Every problem is one :class:`~relsim.errors.ScenarioError` (or the error type the caller
names) that says which file, which key and what was expected.
"""

from __future__ import annotations

import copy
import re
import tomllib
import typing
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from relsim.config.schema import Scenario, Spec, validate
from relsim.errors import InputError, ScenarioError
from relsim.storage.names import slugify

DEFAULT_SCENARIO = "baseline"
#: Prefix of a reference to a scenario bundled with relsim (``relsim:baseline``).
BUNDLED_PREFIX = "relsim:"
#: Largest scenario, experiment or sweep file relsim reads (they are a few kilobytes).
MAX_FILE_BYTES = 5_000_000
#: Deepest ``extends`` chain relsim follows.
MAX_EXTENDS = 64

M = TypeVar("M", bound=Spec)


def bundled_dir() -> Path:
    """The folder of scenarios shipped inside the package."""
    return Path(str(resources.files("relsim.config") / "scenarios"))


def bundled_names() -> list[str]:
    """Names of the bundled scenarios (usable as ``relsim:NAME``)."""
    return sorted(p.stem for p in bundled_dir().glob("*.toml") if "." not in p.stem)


def default_scenario_path() -> Path:
    """Path of the bundled default scenario."""
    return bundled_dir() / f"{DEFAULT_SCENARIO}.toml"


def resolve_reference(
    ref: str, relative_to: Path | None, error: type[InputError] = ScenarioError, where: str = ""
) -> Path:
    """The file a scenario reference names.

    Parameters
    ----------
    ref : str
        ``relsim:NAME`` for a bundled scenario, else a path.
    relative_to : Path, optional
        Folder a relative path is taken from (the referring file's); the current folder when
        None.
    error : type
        Exception raised when the reference names nothing.
    where : str
        Prefix of the message (the referring file and key).
    """
    if ref.startswith(BUNDLED_PREFIX):
        name = ref[len(BUNDLED_PREFIX) :]
        path = bundled_dir() / f"{name}.toml"
        if name not in bundled_names():
            raise error(
                f"{where}no bundled scenario '{name}' (bundled: "
                f"{', '.join(BUNDLED_PREFIX + n for n in bundled_names())})"
            )
        return path
    path = Path(ref)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        raise error(f"{where}no scenario file {path}")
    return path


_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "object": "a table",
    "array": "an array",
    "null": "nothing",
}


def _field_type(cls: Any, name: str) -> Any:
    """The declared type of field ``name`` of struct ``cls`` (Annotated and Optional unwrapped)."""
    try:
        hints = typing.get_type_hints(cls, include_extras=False)
    except Exception:  # noqa: BLE001 - not a struct: nothing to resolve
        return None
    return hints.get(name)


def _locate(data: Any, spec: Any, where: str) -> tuple[str, Any, Any]:
    """Turn msgspec's ``$.firms[...].promotion`` into ``firms.focal.promotion``.

    msgspec hides the key of a failing dict entry; each entry is validated again on its own
    to name it. Returns the dotted key, the value found there and the struct class whose
    field it is (for messages that list allowed values).
    """
    parts = re.findall(r"\w+(?:\[[^\]]*\])*", where.removeprefix("$"))
    keys: list[str] = []
    obj, cls, owner = data, spec, None
    for part in parts:
        m = re.fullmatch(r"(\w+)((?:\[[^\]]*\])*)", part)
        if not m:
            keys.append(part)
            continue
        name, subs = m.group(1), re.findall(r"\[([^\]]*)\]", m.group(2))
        keys.append(name)
        owner = cls
        ftype = _field_type(cls, name) if cls is not None else None
        obj = obj.get(name) if isinstance(obj, dict) else None
        cls = ftype
        for sub in subs:
            args = typing.get_args(cls) if cls is not None else ()
            value_type = args[-1] if args else None
            if sub == "..." and isinstance(obj, dict):
                bad = (
                    next((k for k, v in obj.items() if not _converts(v, value_type)), None)
                    if value_type is not None
                    else None
                )
                keys.append(str(bad) if bad is not None else "?")
                obj = obj.get(bad) if bad is not None else None
            else:
                keys.append(sub)
                try:
                    obj = obj[int(sub)] if isinstance(obj, list) else None
                except (ValueError, IndexError):
                    obj = None
            owner, cls = cls, value_type
    return ".".join(keys), obj, owner


def _converts(value: Any, typ: Any) -> bool:
    try:
        msgspec.convert(value, typ)
    except (msgspec.ValidationError, TypeError, ValueError):
        return False
    return True


def format_errors(
    source: str,
    err: msgspec.ValidationError,
    data: Any,
    spec: Any,
    what: str = "scenario",
    examples: str = "scenarios/baseline.toml",
) -> str:
    """A validation error as one line naming the file, the key and what was expected."""
    text = str(err)
    msg, sep, where = text.rpartition(" - at `")
    if not sep:
        msg, where = text, "$"
    key, value, owner = _locate(data, spec, where.rstrip("`"))
    got = f" (got {_short(value)})" if value is not None and not isinstance(value, dict) else ""
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", msg):
        key, got = ".".join(x for x in (key, m.group(1)) if x), ""
        msg = f"unknown key (check the spelling; see {examples} for every key)"
    elif m := re.fullmatch(r"Object missing required field `(.+)`", msg):
        key, got, msg = ".".join(x for x in (key, m.group(1)) if x), "", "required key is missing"
    elif m := re.fullmatch(r"Expected `(\w+)`(.*?)(?:, got `(\w+)`)?", msg):
        word = _TYPE_WORDS.get(m.group(1), m.group(1))
        msg = f"expected {word}{m.group(2)}"
    elif msg.startswith("Invalid enum value"):
        field_name = key.rsplit(".", 1)[-1]
        allowed = typing.get_args(_field_type(owner, field_name)) if owner is not None else ()
        msg = "expected one of " + ", ".join(map(str, allowed)) if allowed else msg
    elif msg.startswith("Invalid RFC3339"):
        msg = "expected a date as YYYY-MM-DD"
    elif m := re.fullmatch(r"([\w.]+): (.*)", msg, re.S):
        # A rule of the struct at ``key``: its message names the field it is about.
        key = ".".join(x for x in (key, m.group(1)) if x)
        msg, got = m.group(2), ""
    return f"{source}: invalid {what}: {key or '(top level)'}: {msg}{got}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_toml(
    path: str | Path, what: str = "scenario", error: type[InputError] = ScenarioError
) -> dict[str, Any]:
    """A TOML file's data; ``error`` names the file when it is unreadable or not TOML."""
    from relsim.storage.reading import read_bounded

    p = Path(path)
    raw = read_bounded(p, what, error, MAX_FILE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(
            f"{p}: not a {what} file: expected UTF-8 TOML text, found byte "
            f"0x{raw[err.start]:02x} at position {err.start}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{p}: not valid TOML: {err}") from None
    except RecursionError:
        raise error(
            f"{p}: not a usable {what} file: its tables or arrays are nested too deeply"
        ) from None


def _set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            prefix = ".".join(parts[: i + 1])
            raise ScenarioError(f"{source}: {key}: '{prefix}' is a value, not a table")
        node = child
    node[parts[-1]] = value


def get_dotted(data: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of nested data (``KeyError`` if it is not there)."""
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``KEY=VALUE`` override; the value is read as TOML, else taken as a string.

    Parameters
    ----------
    text : str
        For example ``firms.focal.account_managers=8`` or ``name="big-staff"``.

    Returns
    -------
    tuple
        The dotted key and the parsed value.

    Raises
    ------
    ScenarioError
        If the text is not ``KEY=VALUE`` with a dotted key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not p.strip() for p in key.split(".")):
        raise ScenarioError(
            f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. "
            "firms.focal.account_managers=8"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        raise ScenarioError(f"--set {key}: the value is nested too deeply") from None
    return key, value


def apply_values(data: dict[str, Any], values: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of ``data`` with dotted-key ``values`` set in it."""
    data = copy.deepcopy(data)
    for key, value in values.items():
        if not key or any(not p for p in key.split(".")):
            raise ScenarioError(
                f"{source}: {key!r}: expected a dotted key such as firms.focal.account_managers"
            )
        _set_dotted(data, key, value, source)
    return data


def scenario_from_dict(
    data: dict[str, Any],
    source: str = "<scenario>",
    overrides: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Scenario:
    """Validate scenario data, after applying ``KEY=VALUE`` overrides and dotted-key values.

    Parameters
    ----------
    data : dict
        Parsed TOML.
    source : str
        Where the data came from, for error messages.
    overrides : list of str, optional
        ``KEY=VALUE`` strings applied before validation.
    values : dict, optional
        Dotted keys and their values, applied after ``overrides``.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem listed by key.
    """
    if overrides:
        source = f"{source} with --set {' '.join(overrides)}"
        data = apply_values(data, dict(parse_override(t) for t in overrides), source)
    if values:
        data = apply_values(data, values, source)
    try:
        return validate(data, Scenario)
    except msgspec.ValidationError as err:
        raise ScenarioError(format_errors(source, err, data, Scenario)) from None
    except RecursionError:
        raise ScenarioError(f"{source}: values nested too deeply") from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """A scenario file's data with its ``extends`` chain resolved (not yet validated).

    Its ``name`` defaults to the file's stem made into a slug. The chain is followed one
    file at a time (no recursion), at most :data:`MAX_EXTENDS` files deep.

    Raises
    ------
    ScenarioError
        If a file in the chain is missing, unreadable or not TOML, the chain loops, or it is
        deeper than :data:`MAX_EXTENDS`.
    """
    p = Path(path)
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    while True:
        here = p.resolve()
        if here in chain:
            looped = " -> ".join(str(x) for x in (*chain, here))
            raise ScenarioError(f"{p}: extends: the chain loops ({looped})")
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                f"{path}: extends: the chain is more than {MAX_EXTENDS} files deep (at {p}); "
                "a scenario builds on a few others"
            )
        chain.append(here)
        data = read_toml(p)
        data.setdefault("name", slugify(p.stem))
        base = data.pop("extends", None)
        layers.append(data)
        if base is None:
            break
        if not isinstance(base, str) or not base:
            raise ScenarioError(
                f"{p}: extends: expected the path of a scenario file or relsim:NAME, got {base!r}"
            )
        p = resolve_reference(base, p.parent, where=f"{p}: extends: ")
    merged = layers.pop()
    while layers:
        merged.pop("name", None)
        merged.pop("description", None)
        merged = _deep_merge(merged, layers.pop())
    return merged


def load_scenario(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML scenario file, or ``relsim:NAME`` for a bundled one; the bundled default
        (``relsim:baseline``) when omitted.
    overrides : list of str, optional
        ``KEY=VALUE`` overrides (dotted keys, TOML values).
    values : dict, optional
        Dotted keys and values set after the overrides.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, not TOML, or does not validate.
    """
    label = f"{BUNDLED_PREFIX}{DEFAULT_SCENARIO}" if path is None else str(path)
    if path is None:
        p = default_scenario_path()
    elif label.startswith(BUNDLED_PREFIX):
        p = resolve_reference(label, None)
    else:
        p = Path(path)
        if not p.exists():
            raise ScenarioError(
                f"{p}: no such scenario file (bundled ones: "
                f"{', '.join(BUNDLED_PREFIX + n for n in bundled_names())})"
            )
    return scenario_from_dict(read_scenario_data(p), label, overrides, values)


def load_model_file(
    path: str | Path, model: type[M], what: str, examples: str, error: type[InputError]
) -> M:
    """Read a TOML file into a schema ``model`` (its ``name`` defaults to the file's stem).

    Every problem is raised as one ``error`` naming the file, each key and what was expected.
    """
    p = Path(path)
    data = read_toml(p, what, error)
    data.setdefault("name", slugify(p.stem, what))
    try:
        return validate(data, model)
    except msgspec.ValidationError as err:
        raise error(format_errors(str(p), err, data, model, what, examples)) from None
    except RecursionError:
        raise error(f"{p}: values nested too deeply") from None
