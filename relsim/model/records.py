"""What a run records while it runs: state-change events, purchase segments, snapshots.

Recording is kept to appending to typed columns; the tables are built once at the end
(:mod:`relsim.analysis.tables`). Ordinary purchases are not recorded one by one: a relationship's
purchases between two state changes form a Poisson process whose rate is fixed, so only the
segment (start, end, rate, rung) is kept and the purchases are drawn in bulk afterwards.
"""

from __future__ import annotations

from array import array
from enum import IntEnum


class EventKind(IntEnum):
    """Kinds of state change written to the ``events`` table."""

    ENTERED_MARKET = 0
    LEFT_MARKET = 1
    ACQUIRED = 2
    RUNG_UP = 3
    RUNG_DOWN = 4
    SERVICE_FAILURE = 5
    COMPLAINT = 6
    COMPLAINT_RESOLVED = 7
    COMPLAINT_ABANDONED = 8
    CONTACT = 9
    GRIEVANCE_FADED = 10
    DEFECTED = 11
    RECOVERED = 12  # a handled complaint undid the grievance behind it

    @property
    def label(self) -> str:
        """Lower-case name, as used in tables."""
        return self.name.lower()


class Channel(IntEnum):
    """How a relationship began."""

    INITIAL = 0  # already a customer when the run starts
    PAID = 1  # acquisition spend
    REFERRAL = 2  # recommended by an advocate or partner
    SWITCH = 3  # came over from a rival after defecting there
    COUPON = 4  # paid acquisition whose trial purchase used a coupon
    WIN_BACK = 5  # a former customer who took a win-back offer

    @property
    def label(self) -> str:
        """Lower-case name, as used in tables."""
        return self.name.lower()


NO_ID = -1


class RunLog:
    """Everything a run appends while it runs, in typed columns (``array.array``).

    Typed columns take 8 bytes per float, 4 per id (ids are below 2**31: a market of two
    billion people is out of reach anyway) and 1 per code, instead of a Python object per
    value, and the cyclic garbage collector never scans them, so a long run neither bloats
    memory nor slows down as its records grow. :mod:`relsim.analysis.tables` reads them as
    numpy arrays without copying.
    """

    #: Codes stored per event, in this order.
    EVENT_CODES = ("firm", "kind", "rung_from", "rung_to", "cause", "channel")

    def __init__(self) -> None:
        # events: time, person, relationship, and six small codes (EVENT_CODES)
        self.ev_time = array("d")
        self.ev_person = array("i")
        self.ev_rel = array("i")
        self.ev_codes = array("b")
        # bulk purchase segments: relationship, start, end, rate per day, rung
        self.seg_rel = array("i")
        self.seg_start = array("d")
        self.seg_end = array("d")
        self.seg_rate = array("d")
        self.seg_rung = array("b")
        # purchases that are events in their own right: relationship, time, rung, failed,
        # and the discount of a coupon or win-back offer (else 0)
        self.buy_rel = array("i")
        self.buy_time = array("d")
        self.buy_rung = array("b")
        self.buy_failed = array("b")
        self.buy_offer = array("d")
        # daily snapshots per firm, one row of numbers after another (see Market.snapshot);
        # as tuples, a day's numbers would be small objects strewn among the model's, keeping
        # the allocator's arenas from going back to the system once the model is let go
        self.snapshots = array("d")

    def drop_events(self) -> None:
        """Let go of the events once they are tabled (a big run's largest records)."""
        self.ev_time, self.ev_person, self.ev_rel = array("d"), array("i"), array("i")
        self.ev_codes = array("b")

    def drop_purchases(self) -> None:
        """Let go of the segments and evented purchases once the purchases are drawn."""
        self.seg_rel, self.seg_start, self.seg_end = array("i"), array("d"), array("d")
        self.seg_rate, self.seg_rung = array("d"), array("b")
        self.buy_rel, self.buy_time, self.buy_rung = array("i"), array("d"), array("b")
        self.buy_failed, self.buy_offer = array("b"), array("d")

    def event(
        self,
        t: float,
        person: int,
        rel: int,
        firm: int,
        kind: int,
        rung_from: int = -1,
        rung_to: int = -1,
        cause: int = -1,
        channel: int = -1,
    ) -> None:
        """Append one state-change event."""
        self.ev_time.append(t)
        self.ev_person.append(person)
        self.ev_rel.append(rel)
        self.ev_codes.extend((firm, kind, rung_from, rung_to, cause, channel))

    def open_segment(self, rel: int, t: float, rate: float, rung: int) -> int:
        """Start a bulk-purchase segment; returns its index so it can be closed later."""
        self.seg_rel.append(rel)
        self.seg_start.append(t)
        self.seg_end.append(t)
        self.seg_rate.append(rate)
        self.seg_rung.append(rung)
        return len(self.seg_rel) - 1

    def close_segment(self, index: int, t: float) -> None:
        """End a bulk-purchase segment at time ``t``."""
        self.seg_end[index] = t

    def purchase(self, rel: int, t: float, rung: int, failed: bool, offer: float = 0.0) -> None:
        """Record a purchase that is an event (first, first repeat, or a failed episode)."""
        self.buy_rel.append(rel)
        self.buy_time.append(t)
        self.buy_rung.append(rung)
        self.buy_failed.append(failed)
        self.buy_offer.append(offer)
