"""The sources register: where each figure relsim uses comes from, and how far to trust it.

The register itself is data, ``relsim/config/sources.toml``; ``docs/sources.md`` is its page.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from relsim.config.schema import Spec

#: Evidence grades, strongest first.
GRADES = (
    "peer-reviewed measurement",
    "practitioner survey",
    "vendor-sponsored survey",
    "consultancy case figures",
    "textbook/conceptual",
    "untraced folklore",
    "modelling assumption",
)


class Source(Spec, kw_only=True, frozen=True):
    """One entry of the register."""

    id: str
    citation: str
    statement: str
    grade: str
    figures: dict[str, Any] = {}
    disputes: str = ""
    verified: bool = False
    verified_where: str = ""

    def check(self) -> None:
        """The grade is one of :data:`GRADES`."""
        if self.grade not in GRADES:
            raise ValueError(f"grade: expected one of {', '.join(GRADES)} (got {self.grade!r})")

    @property
    def short(self) -> str:
        """Authors and year, as a reader cites it; the id when the citation has no year."""
        m = re.match(r"^(.{1,120}?\(\d{4}[a-z]?\))", self.citation)
        return m.group(1) if m else self.id


class _Register(Spec, kw_only=True, frozen=True):
    source: list[Source]


def register_path() -> Path:
    """The bundled register file."""
    return Path(__file__).with_name("sources.toml")


@lru_cache(maxsize=1)
def sources() -> dict[str, Source]:
    """Every source of the register by id."""
    data = tomllib.loads(register_path().read_text(encoding="utf-8"))
    return {s.id: s for s in msgspec.convert(data, _Register).source}


def source(source_id: str) -> Source:
    """One source by id (``KeyError`` naming the known ids if it is not registered)."""
    reg = sources()
    if source_id not in reg:
        raise KeyError(f"no source '{source_id}' in the register {register_path()}")
    return reg[source_id]
