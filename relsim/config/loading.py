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
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from relsim.config.schema import Scenario
from relsim.errors import InputError, ScenarioError
from relsim.storage.names import slugify

DEFAULT_SCENARIO = "baseline"
#: Prefix of a reference to a scenario bundled with relsim (``relsim:baseline``).
BUNDLED_PREFIX = "relsim:"
#: Largest scenario, experiment or sweep file relsim reads (they are a few kilobytes).
MAX_FILE_BYTES = 5_000_000

M = TypeVar("M", bound=BaseModel)


def bundled_dir() -> Path:
    """The folder of scenarios shipped inside the package."""
    return Path(str(resources.files("relsim.config") / "scenarios"))


def bundled_names() -> list[str]:
    """Names of the bundled scenarios (usable as ``relsim:NAME``)."""
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def default_scenario_path() -> Path:
    """Path of the bundled default scenario."""
    return bundled_dir() / f"{DEFAULT_SCENARIO}.toml"


def resolve_reference(ref: str, relative_to: Path | None,
                      error: type[InputError] = ScenarioError, where: str = "") -> Path:
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
        name = ref[len(BUNDLED_PREFIX):]
        path = bundled_dir() / f"{name}.toml"
        if name not in bundled_names():
            raise error(f"{where}no bundled scenario '{name}' (bundled: "
                        f"{', '.join(BUNDLED_PREFIX + n for n in bundled_names())})")
        return path
    path = Path(ref)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        raise error(f"{where}no scenario file {path}")
    return path


def format_errors(source: str, err: ValidationError, what: str = "scenario",
                  examples: str = "scenarios/baseline.toml") -> str:
    """A pydantic validation error as one line naming the file, each key and what was expected."""
    items = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key (check the spelling; see {examples} for every key)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "finite_number":
            msg = "expected a finite number (not nan or inf)"
        quiet = e["type"] in ("missing", "extra_forbidden") or isinstance(e["input"], dict)
        got = "" if quiet else f" (got {_short(e['input'])})"
        items.append(f"{key}: {msg}{got}")
    return f"{source}: invalid {what}: " + "; ".join(items)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_toml(path: str | Path, what: str = "scenario",
              error: type[InputError] = ScenarioError) -> dict[str, Any]:
    """A TOML file's data; ``error`` names the file when it is unreadable or not TOML."""
    p = Path(path)
    try:
        if p.is_dir():
            raise error(f"{p}: a folder, not a {what} file")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise error(f"{p}: {p.stat().st_size:,} bytes; a {what} file is TOML text of a few "
                        "kilobytes")
        raw = p.read_bytes()
    except OSError as err:
        raise error(f"{p}: cannot read {what} file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(f"{p}: not a {what} file: expected UTF-8 TOML text, found byte "
                    f"0x{raw[err.start]:02x} at position {err.start}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{p}: not valid TOML: {err}") from None
    except RecursionError:
        raise error(f"{p}: not a usable {what} file: its tables or arrays are nested too "
                    "deeply") from None


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
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. "
                            "firms.focal.account_managers=8")
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
            raise ScenarioError(f"{source}: {key!r}: expected a dotted key such as "
                                "firms.focal.account_managers")
        _set_dotted(data, key, value, source)
    return data


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>",
                       overrides: list[str] | None = None,
                       values: dict[str, Any] | None = None) -> Scenario:
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
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_errors(source, err)) from None
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


def read_scenario_data(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's data with its ``extends`` chain resolved (not yet validated).

    Its ``name`` defaults to the file's stem made into a slug.

    Raises
    ------
    ScenarioError
        If a file in the chain is missing, unreadable or not TOML, or the chain loops.
    """
    p = Path(path)
    if p.resolve() in _seen:
        chain = " -> ".join(str(x) for x in (*_seen, p.resolve()))
        raise ScenarioError(f"{p}: extends: the chain loops ({chain})")
    data = read_toml(p)
    data.setdefault("name", slugify(p.stem))
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base:
        raise ScenarioError(f"{p}: extends: expected the path of a scenario file or "
                            f"relsim:NAME, got {base!r}")
    base_path = resolve_reference(base, p.parent, where=f"{p}: extends: ")
    parent = read_scenario_data(base_path, (*_seen, p.resolve()))
    parent.pop("name", None)
    parent.pop("description", None)
    return _deep_merge(parent, data)


def load_scenario(path: str | Path | None = None, overrides: list[str] | None = None,
                  values: dict[str, Any] | None = None) -> Scenario:
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
            raise ScenarioError(f"{p}: no such scenario file (bundled ones: "
                                f"{', '.join(BUNDLED_PREFIX + n for n in bundled_names())})")
    return scenario_from_dict(read_scenario_data(p), label, overrides, values)


def load_model_file(path: str | Path, model: type[M], what: str, examples: str,
                    error: type[InputError]) -> M:
    """Read a TOML file into a pydantic ``model`` (its ``name`` defaults to the file's stem).

    Every problem is raised as one ``error`` naming the file, each key and what was expected.
    """
    p = Path(path)
    data = read_toml(p, what, error)
    data.setdefault("name", slugify(p.stem, what))
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise error(format_errors(str(p), err, what, examples)) from None
    except RecursionError:
        raise error(f"{p}: values nested too deeply") from None
