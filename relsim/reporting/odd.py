"""The model's ODD description (Overview, Design concepts, Details), written from the code.

The ODD protocol (Grimm et al. 2006; updated 2010 and 2020) describes an agent-based model in
seven elements: purpose and patterns; entities, state variables and scales; process overview
and scheduling; design concepts; initialisation; input data; submodels. Everything
specific here is read from the code and the scenario: the entities' state variables from
their slots, the processes and their parameters from :mod:`relsim.model.registry`, the
random streams from :class:`~relsim.model.streams.Mechanism`, the causes, rungs and
channels from their enumerations, every value from the scenario, and the patterns from the
targets file's facts with their sources' grades.
"""

from __future__ import annotations

import inspect
from typing import Any

from relsim.config.loading import get_dotted
from relsim.config.schema import Scenario
from relsim.config.sources import source
from relsim.config.targets import Fact
from relsim.model.causes import Cause
from relsim.model.ladder import RELATIONSHIP_RUNGS
from relsim.model.population import Person
from relsim.model.records import Channel, EventKind
from relsim.model.registry import ACCOUNTING, SUBMODELS, Submodel
from relsim.model.relationship import Relationship
from relsim.model.streams import Mechanism

PURPOSE = (
    "relsim asks how a firm's relationship-marketing strategy (acquisition spending, "
    "attention from account managers, service and complaint handling, prices, loyalty "
    "discounts, coupons, win-back offers) shapes its customer base and its profit when "
    "customers climb and slide on the relationship ladder and leave for named causes. It is "
    "meant for what-if comparisons by strategists, for reproducible experiments by "
    "researchers, and for demonstrating the leaky bucket in class."
)


def _doc(obj: Any) -> str:
    text = inspect.getdoc(obj) or ""
    paragraphs = [p.strip() for p in text.split("\n\n")]
    keep = [
        p for p in paragraphs if p and not p.startswith(("Parameters", "Returns", "Raises", ">>>"))
    ]
    return " ".join(" ".join(keep[:3]).split())


def _fmt(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _parameters(sub: Submodel, data: dict[str, Any]) -> list[str]:
    rows = []
    for key in sub.parameters:
        if key.startswith("firms.*."):
            rest = key[len("firms.*.") :]
            vals = "; ".join(
                f"{f}: {_fmt(get_dotted(st, rest))}" for f, st in data["firms"].items()
            )
            rows.append(f"| `{key}` | {vals} |")
        else:
            rows.append(f"| `{key}` | {_fmt(get_dotted(data, key))} |")
    return rows


def odd_markdown(sc: Scenario, facts: list[Fact] | None = None) -> str:
    """The ODD description of ``sc`` as Markdown.

    Parameters
    ----------
    sc : Scenario
        The scenario whose values the description quotes.
    facts : list of Fact, optional
        The patterns the model is meant to reproduce (a targets file's facts).

    Returns
    -------
    str
    """
    data = sc.to_dict()
    simu = sc.simulation
    out = [
        f"# ODD description of relsim, scenario `{sc.name}`",
        "",
        "Written by `relsim describe` from the code's registry of submodels and the "
        "scenario's values (the ODD protocol: Grimm et al. 2006, 2010, 2020).",
        "",
    ]
    out += ["## 1. Purpose and patterns", "", PURPOSE, ""]
    if facts:
        out += [
            "Patterns the model is evaluated by, with the role of each (an *input* was "
            "set from its figure, a *calibrated* one was a target of the fit, only a "
            "*predicted* one is evidence for the mechanisms) and the grade of its source:",
            "",
            "| pattern | range | role | source | grade |",
            "|---|---|---|---|---|",
        ]
        for f in facts:
            src = source(f.source)
            var = (
                f" (variant: {', '.join(f'{k} = {v}' for k, v in f.variant.items())})"
                if f.variant
                else ""
            )
            out.append(
                f"| {f.name}{var} | {f.low:g} to {f.high:g} | {f.role} | {src.short} | "
                f"{src.grade} |"
            )
        out.append("")
    out += [
        "## 2. Entities, state variables and scales",
        "",
        f"- **People** ({simu.people:,}, a fixed number; each leaver is replaced by a "
        f"newcomer). State: {', '.join(f'`{s}`' for s in Person.__slots__)}.",
        f"- **Relationships** between one person and one firm. State: "
        f"{', '.join(f'`{s}`' for s in Relationship.__slots__)}.",
        f"- **Firms** ({', '.join(sc.firms)}; focal `{sc.market.focal}`), each run by its "
        "strategy, with an account team and a service desk.",
        "- **The pool**: people who are nobody's customer, whom firms acquire from.",
        f"- Rungs of the ladder: {', '.join(r.label for r in RELATIONSHIP_RUNGS)}. "
        f"Causes of leaving: {', '.join(c.label for c in Cause)}. Channels a relationship "
        f"begins by: {', '.join(c.label for c in Channel)}.",
        f"- **Scales.** Continuous time in days. {simu.warmup_days:g} days of warm-up, then "
        f"{simu.days:g} days measured from {simu.start_date}. Firms, staff and the market "
        "act in daily rounds; relationships act at event times.",
        "",
    ]
    out += ["## 3. Process overview and scheduling", "", "| process | when |", "|---|---|"]
    out += [f"| {s.name} | {s.schedule} |" for s in SUBMODELS]
    out += [
        "",
        "At each whole day the account teams work first (their processes start "
        "before the market's), then the market's round (counters, acquisition, "
        "referrals, win-back offers, exits from the pool); relationship events and "
        "complaints fall between rounds at their own times. Everything that lowers a "
        "relationship's hazards while it waits is allowed for by thinning, so no process "
        "needs to be woken.",
        "",
    ]
    out += [
        "## 4. Design concepts",
        "",
        "- **Basic principles.** Customers leave for competing, cause-specific reasons "
        "(price, neglect, dissatisfaction, relocation, other), each with its own "
        "mechanism, so a strategy acts on the cause it addresses.",
        "- **Emergence.** The mix of causes, the customer count, the ladder's stock, "
        "profit and the leaky bucket emerge; none is set.",
        "- **Adaptation and objectives.** Firms follow fixed strategies (no adaptation). "
        "People do not optimise: they compare prices at occasions and choose among rivals "
        "by a logit of price and service.",
        "- **Learning and prediction.** None.",
        "- **Sensing.** People sense rivals' prices at comparison occasions, their own "
        "grievances and the attention they get.",
        "- **Interaction.** Firms compete for the same pool; advocates and partners refer; "
        "customers share the account team's and the desk's capacity (queues).",
        f"- **Stochasticity.** One root seed; each mechanism draws from its own stream, "
        f"`SeedSequence(seed, (replication, mechanism))`: "
        f"{', '.join(m.name.lower() for m in Mechanism)}.",
        "- **Collectives.** A firm's customers, by rung.",
        f"- **Observation.** After the warm-up: every purchase, every state change "
        f"({len(EventKind)} kinds), each relationship, and daily counters per firm; from "
        "them money, figures per run, and the MSER-5 check of the warm-up.",
        "",
    ]
    rungs = sc.market.initial_rung_shares.as_dict()
    out += [
        "## 5. Initialisation",
        "",
        "At the start of the warm-up every person is drawn from the population; "
        + ", ".join(
            f"{f} starts with {st.initial_customers:,} customers" for f, st in sc.firms.items()
        )
        + ", placed on rungs with shares "
        + ", ".join(f"{k} {v:.1%}" for k, v in rungs.items())
        + "; the rest are in the pool. Last contacts and next due contacts are spread "
        "over each rung's cadence. The warm-up lets the market settle before "
        "anything is measured.",
        "",
    ]
    out += [
        "## 6. Input data",
        "",
        "No external time series drives the model. Its values are the scenario file's; "
        "each says in the file where it comes from (an id of the sources register, with "
        "its evidence grade, or a modelling assumption).",
        "",
    ]
    out += ["## 7. Submodels", ""]
    for s in SUBMODELS:
        out += [
            f"### {s.name}",
            "",
            _doc(s.code),
            "",
            f"*When:* {s.schedule}.",
            "",
            "| value | here |",
            "|---|---|",
            *_parameters(s, data),
            "",
        ]
    out += [
        "### Accounts",
        "",
        "Read by the accounts of a run, not by any process: "
        + ", ".join(f"`{k}`" for k in ACCOUNTING)
        + ".",
        "",
    ]
    return "\n".join(out)
