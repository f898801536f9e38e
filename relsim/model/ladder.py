"""The relationship ladder (Payne et al., 1997; lecture notes, "Ladder of relationships").

prospect -> customer (first purchase) -> client (repeat purchaser) -> supporter -> advocate
-> partner. A rung is an ``int`` so that per-rung parameters are plain tuples indexed by it
in the simulation's hot loop.
"""

from __future__ import annotations

from enum import IntEnum

from relsim.config.schema import RUNG_KEYS


class Rung(IntEnum):
    """A rung of the relationship ladder; higher means a stronger bond."""

    PROSPECT = 0
    CUSTOMER = 1
    CLIENT = 2
    SUPPORTER = 3
    ADVOCATE = 4
    PARTNER = 5

    @property
    def label(self) -> str:
        """Lower-case name, as used in scenario files and tables."""
        return self.name.lower()


#: Rungs a relationship can stand on (a prospect has no relationship yet).
RELATIONSHIP_RUNGS: tuple[Rung, ...] = tuple(r for r in Rung if r is not Rung.PROSPECT)
RUNG_LABELS: tuple[str, ...] = tuple(r.label for r in Rung)
# The scenario schema names the rungs in its per-rung tables; the two must agree.
if tuple(r.label for r in RELATIONSHIP_RUNGS) != RUNG_KEYS:  # pragma: no cover
    raise ImportError(
        f"the ladder {RUNG_LABELS[1:]} and the scenario schema {RUNG_KEYS} name different rungs"
    )


def per_rung(table: dict[str, float], default: float = 0.0) -> tuple[float, ...]:
    """Turn a ``{rung label: value}`` table into a tuple indexed by :class:`Rung`.

    Parameters
    ----------
    table : dict
        Values keyed by rung label (``"customer"`` ... ``"partner"``).
    default : float
        Value for rungs the table leaves out (the prospect rung always).

    Returns
    -------
    tuple of float
        ``values[rung]`` for every rung, prospect included.
    """
    return tuple(float(table.get(r.label, default)) for r in Rung)
