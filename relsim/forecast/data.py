"""Transaction data for forecasting: reading, validation, RFM summaries, calibration/holdout.

A transactions table is customer id, date, amount. It comes from a relsim run directory, or
from any CSV or Parquet file with configurable column names and date format; a simulated log
and a real one go through the same code. Following Fader, Hardie & Lee (2005), purchases on
the same day (or within the same time unit) count as one transaction, the first purchase
starts the customer's clock, and ``frequency`` counts the repeat purchases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.storage.reading import check_regular

UNITS = {"days": 1.0, "weeks": 7.0}
# The years a transaction date may fall in (the forecast adds its horizon to the last one).
FIRST_DATE = pd.Timestamp("1900-01-01")
LAST_DATE = pd.Timestamp("2199-12-31")


@dataclass(frozen=True)
class Columns:
    """Which columns of a source hold the customer id, the date, the amount and the firm."""

    customer: str = "customer_id"
    date: str = "date"
    amount: str | None = "amount"
    firm: str | None = None  # the store or brand of a purchase panel (`relsim brands`)


def read_transactions(
    source: str | Path,
    columns: Columns = Columns(),
    date_format: str | None = None,
    firm: str | None = None,
    sep: str | None = None,
    header: bool = True,
    decimal: str = ".",
) -> pd.DataFrame:
    """Read transactions from a run directory, a CSV file or a Parquet file.

    Parameters
    ----------
    source : str or Path
        A relsim run directory (its ``transactions.parquet``), a ``.csv`` or a ``.parquet``.
    columns : Columns
        Column names of customer id, date and amount in the source.
    date_format : str, optional
        ``strftime`` format of the dates in a CSV (e.g. ``%Y%m%d``); inferred when omitted.
    firm : str, optional
        In a run directory, whose customers to take (default: the focal firm).
    sep : str, optional
        CSV field separator (a regular expression of whitespace for files such as CDNOW's);
        when omitted it is sniffed from the first lines among ``,`` ``;`` tab and ``|``.
    header : bool
        Whether the CSV's first line names the columns; without one, columns are numbered
        from 0 and ``columns`` names them by number (``"0"``, ``"2"``, ...).
    decimal : str
        Decimal mark of the amounts in a CSV (``,`` for ``12,50``).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``date`` (datetime64) and ``amount`` (float, if present).

    Raises
    ------
    ForecastDataError
        If the source is missing, unreadable, lacks a column, or holds bad values.
    """
    path = Path(source)
    name = str(path)
    if path.is_dir():
        from relsim.storage.rundir import focal_firm, read_manifest, read_table

        run_file = path / "transactions.parquet"
        if not run_file.exists():
            raise ForecastDataError(
                f"{name}: a folder, but not a relsim run (no transactions.parquet)"
            )
        meta = read_manifest(path)
        df = read_table(path, "transactions", ["customer_id", "firm", "date", "amount"])
        name = str(run_file)
        if firm is None:
            firm = focal_firm(meta)
        if firm not in set(df["firm"].astype(str)):
            raise ForecastDataError(f"{name}: no transactions of firm '{firm}'")
        df = df[df["firm"].astype(str) == firm]
        columns = Columns()
    elif not path.exists():
        raise ForecastDataError(f"{name}: no such file")
    elif path.suffix.lower() == ".parquet":
        check_regular(path, "transactions", ForecastDataError)
        try:
            df = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several types for a damaged file
            raise ForecastDataError(f"{name}: cannot read Parquet ({err})") from None
    else:
        check_regular(path, "transactions", ForecastDataError)  # not a device or a pipe
        chosen = sep or sniff_separator(path)
        try:
            df = _read_csv(path, chosen, header, columns)
        except (
            pd.errors.ParserError,
            UnicodeDecodeError,
            pd.errors.EmptyDataError,
            ValueError,  # pyarrow's ArrowInvalid (bad UTF-8, say) is a ValueError
        ) as err:
            raise ForecastDataError(f"{name}: cannot read CSV ({err})") from None
        if len(df.columns) == 1:
            other = [c for c in SEPARATORS if c != chosen and c in df.columns[0]]
            if other:
                raise ForecastDataError(
                    f"{name}: one column {df.columns[0]!r} with separator {chosen!r}; the "
                    f"separator looks like {other[0]!r} (give --sep {other[0]!r})"
                )
    return clean_transactions(df, columns, date_format, name, decimal)


def _read_csv(path: Path, sep: str, header: bool, columns: Columns) -> pd.DataFrame:
    """A CSV's columns as text: only those the models need when the file names them.

    A retailer's export carries many more columns than customer, date and amount, and text
    is what makes a big log expensive to hold. pyarrow's reader parses just the named
    columns and still checks every row's field count (pandas' own parser stops checking rows
    once told to keep some columns). Files without a header, or with a pattern for a
    separator, are read whole as before.
    """
    wanted = {columns.customer, columns.date, columns.amount, columns.firm} - {None}
    if header and len(sep) == 1:
        _check_header(path, sep, wanted)
        names = [str(c) for c in pd.read_csv(path, sep=sep, nrows=0).columns]
        if wanted <= set(names):
            return pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                engine="pyarrow",
                usecols=[c for c in names if c in wanted],
            )
    # a column is missing (the message names what is there), no header, or a pattern
    df = pd.read_csv(path, sep=sep, header=0 if header else None, dtype=str)
    df.columns = [str(c) for c in df.columns]
    return df


def _check_header(path: Path, sep: str, wanted: set[str | None]) -> None:
    # pandas renames a repeated name (date, date.1), so a file's header is checked as written.
    import csv
    from collections import Counter

    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        first = next(csv.reader(fh, delimiter=sep), [])
    twice = sorted(n for n, k in Counter(f.strip() for f in first).items() if k > 1)
    if twice:
        used = [n for n in twice if n in wanted]
        raise ForecastDataError(
            f"{path}: column '{(used or twice)[0]}' appears more than once in the header; "
            "every column needs a name of its own (pandas would rename the second one and "
            "relsim read whichever came first): rename the others in the file"
        )


#: Separators a CSV is sniffed for, most likely first.
SEPARATORS = (",", ";", "\t", "|")


def sniff_separator(path: Path) -> str:
    """The field separator of a CSV, from its first lines (``,`` when unsure)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            head = fh.read(64 * 1024)
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except (csv.Error, OSError):
        return ","


def _date_formats() -> list[str]:
    # Every layout of day, month and year that exports use; ISO 8601 (with or without time
    # and offset) is pandas' own reader. Day-first and month-first both stay candidates: the
    # data decide between them, or the user does.
    dates = ["%Y%m%d", "%Y/%m/%d", "%Y.%m.%d"]
    for sep in "/.-":
        for year in ("%Y", "%y"):
            dates += [f"%d{sep}%m{sep}{year}", f"%m{sep}%d{sep}{year}"]
    for year in ("%Y", "%y"):
        dates += [f"%d %b {year}", f"%d %B {year}", f"%d-%b-{year}", f"%b %d {year}"]
        dates += [f"%b %d, {year}", f"%B %d, {year}", f"%d %b, {year}"]
    times = ["", " %H:%M", " %H:%M:%S", "T%H:%M:%S", " %I:%M %p", " %I:%M:%S %p"]
    return ["ISO8601"] + [d + t for d in dates for t in times]


def read_dates(values: pd.Series, date_format: str | None, source: str, column: str) -> pd.Series:
    """Read a column of dates written as text one way, the same for every row.

    With ``date_format`` the dates are read in exactly that format. Without it, every
    common layout is tried on the column as a whole and kept only if it reads every date;
    when two layouts that read every date disagree (``03/04/2024`` is 3 April day-first and
    4 March month-first, and no day in the column is above 12) the column is ambiguous and
    refused. A date is never guessed row by row.

    Parameters
    ----------
    values : pandas.Series
        The column as read (text or numbers such as ``20240301``).
    date_format : str, optional
        ``strftime`` format of every date.
    source, column : str
        The file and column, for messages.

    Returns
    -------
    pandas.Series
        datetime64 values; dates with a UTC offset are converted to UTC, others taken as
        they are.

    Raises
    ------
    ForecastDataError
        If a date does not read in the format given, no one format reads them all, or two
        formats read them all differently.
    """
    text = values.astype(str).str.strip()
    has_offset = bool(text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True).any())
    where = f"{source}: column '{column}'"

    def parse(v: pd.Series, fmt: str) -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                out = pd.to_datetime(v, format=fmt, errors="coerce", utc=has_offset)
            except (ValueError, TypeError, OverflowError):
                return pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
        return out.dt.tz_localize(None) if has_offset else out

    def unreadable(parsed: pd.Series, hint: str) -> ForecastDataError:
        bad = parsed.isna().to_numpy()
        i = int(np.flatnonzero(bad)[0])
        return ForecastDataError(
            f"{where}: {int(bad.sum())} unparseable date(s), the first {values.iloc[i]!r} in "
            f"row {i + 1} ({hint})"
        )

    empty = (values.isna() | text.eq("")).to_numpy()
    if empty.any():
        raise ForecastDataError(
            f"{where}: {int(empty.sum())} empty date(s), the first in row "
            f"{int(np.flatnonzero(empty)[0]) + 1}"
        )
    if date_format:
        parsed = parse(text, date_format)
        if parsed.isna().any():
            raise unreadable(parsed, f"expected format {date_format}")
        return parsed
    uniq = pd.Series(text.unique())
    readings: list[tuple[str, pd.Series]] = []
    best: tuple[int, str] = (-1, "")
    for fmt in _date_formats():
        got = parse(uniq, fmt)
        n = int(got.notna().sum())
        if n == len(uniq):
            readings.append((fmt, got))
        elif n > best[0]:
            best = (n, fmt)
    if not readings:
        parsed = parse(text, best[1]) if best[0] > 0 else parse(text, "ISO8601")
        raise unreadable(
            parsed,
            "no one format reads every date in the column; give it with --date-format, "
            "e.g. %Y-%m-%d or %d/%m/%Y",
        )
    first_fmt, first = readings[0]
    for fmt, got in readings[1:]:
        differ = (got != first).to_numpy()
        if differ.any():
            j = int(np.flatnonzero(differ)[0])
            raise ForecastDataError(
                f"{where}: the dates can be read two ways ({uniq.iloc[j]!r} is "
                f"{first.iloc[j]:%d %B %Y} as {first_fmt} and {got.iloc[j]:%d %B %Y} as "
                f"{fmt}); say which with --date-format {first_fmt} or --date-format {fmt}"
            )
    return parse(text, first_fmt)


def clean_transactions(
    df: pd.DataFrame,
    columns: Columns = Columns(),
    date_format: str | None = None,
    source: str = "<data>",
    decimal: str = ".",
) -> pd.DataFrame:
    """Validate a transactions DataFrame and return it in the standard column names.

    Parameters
    ----------
    df : pandas.DataFrame
        Raw transactions.
    columns : Columns
        Which columns hold customer id, date and amount.
    date_format : str, optional
        Format for parsing string dates.
    source : str
        Name of the source, for error messages.
    decimal : str
        Decimal mark of text amounts.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``date`` and, when the source has amounts, ``amount``: NaN where an
        amount is not a number (it then counts as a purchase but is left out of the spend
        model); negative amounts (returns) stay, to be netted per customer and day. What was
        set aside is described in ``attrs["notes"]``.
    """
    if isinstance(columns, dict):
        columns = Columns(**columns)
    wanted = [columns.customer, columns.date] + ([columns.amount] if columns.amount else [])
    wanted += [columns.firm] if columns.firm else []
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        flags = "--customer-col/--date-col/" + ("--firm-col" if columns.firm else "--amount-col")
        raise ForecastDataError(
            f"{source}: missing column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, df.columns))} (name the columns with {flags})"
        )
    if len(df) == 0:
        raise ForecastDataError(f"{source}: no transactions")
    out = pd.DataFrame({"customer_id": df[columns.customer].astype(str).str.strip()})
    dates = df[columns.date]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = read_dates(dates, date_format, source, columns.date)
    elif isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    dates = pd.Series(pd.to_datetime(dates), index=df.index)
    # Outside these years a date is a typo, and pandas' nanosecond dates end in 2262.
    far = dates.notna() & ((dates < FIRST_DATE) | (dates > LAST_DATE))
    if far.any():
        i = int(np.flatnonzero(far.to_numpy())[0])
        raise ForecastDataError(
            f"{source}: column '{columns.date}': {int(far.sum())} date(s) outside "
            f"{FIRST_DATE.year} to {LAST_DATE.year}, the first {df[columns.date].iloc[i]!r} "
            f"in row {i + 1}"
        )
    out["date"] = dates.to_numpy(dtype="datetime64[ns]")
    if columns.firm:
        firm = df[columns.firm]
        blank = (firm.isna() | (firm.astype(str).str.strip() == "")).to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise ForecastDataError(
                f"{source}: column '{columns.firm}': {int(blank.sum())} purchase(s) without a "
                f"firm, the first in row {i + 1}; expected the store or brand of every purchase"
            )
        out["firm"] = firm.astype(str).str.strip().to_numpy()
    notes: list[str] = []
    if columns.amount:
        raw = df[columns.amount]
        if decimal != "." and not pd.api.types.is_numeric_dtype(raw):
            # 1.234,50 -> 1234.50: thousands marks go, the decimal mark becomes a point
            # a point (or space, apostrophe) is a thousands mark only before three digits;
            # "1.5" is then no number and is reported as such rather than read as 15
            text = raw.astype(str).str.strip().str.replace(r"[\s.'](?=\d{3}(?!\d))", "", regex=True)
            raw = text.str.replace(decimal, ".", regex=False)
        amount = pd.to_numeric(raw, errors="coerce")
        bad = (amount.isna() | ~np.isfinite(amount)).to_numpy()
        if bad.all():
            first = df[columns.amount].iloc[0]
            hint = (
                " (decimal commas? give --decimal ,)"
                if decimal == "." and "," in str(first)
                else ""
            )
            raise ForecastDataError(
                f"{source}: column '{columns.amount}': no amount is a number, the first "
                f"{first!r}{hint}"
            )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            notes.append(
                f"{int(bad.sum()):,} amount(s) in column '{columns.amount}' are not numbers (the "
                f"first {df[columns.amount].iloc[i]!r} in row {i + 1}); those purchases count "
                "for the frequency models but are left out of the spend model."
            )
        out["amount"] = np.where(bad, np.nan, amount.to_numpy(dtype=float))
    out = out.reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


def purchase_days(transactions: pd.DataFrame) -> pd.DataFrame:
    """Each customer's purchase days, with the day's net amount.

    Purchases on the same day are one transaction (Fader, Hardie & Lee 2005). Returns
    (negative amounts) are netted against the day's purchases; a day whose amounts net to zero
    or less and that had a return is no purchase at all. A day with an amount that is not a
    number keeps its purchase, with an unknown (NaN) amount.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``day`` and, with amounts, ``amount``; ``attrs["returns_days"]``
        counts the customer-days dropped as returns.
    """
    daily = transactions.assign(day=transactions["date"].dt.normalize())
    if "amount" not in daily.columns:
        out = daily.groupby(["customer_id", "day"], sort=True).size().to_frame("n").reset_index()
        out.attrs["returns_days"] = 0
        return out
    amount = daily["amount"]
    daily = daily.assign(
        unknown=amount.isna().astype(np.int64), negative=(amount < 0).astype(np.int64)
    )
    out = (
        daily.groupby(["customer_id", "day"], sort=True)
        .agg(amount=("amount", "sum"), unknown=("unknown", "sum"), negative=("negative", "sum"))
        .reset_index()
    )
    returns = (out["negative"] > 0) & (out["amount"] <= 0) & (out["unknown"] == 0)
    out.loc[out["unknown"] > 0, "amount"] = np.nan
    out = out.loc[~returns, ["customer_id", "day", "amount"]].reset_index(drop=True)
    out.attrs["returns_days"] = int(returns.sum())
    return out


def rfm_summary(
    transactions: pd.DataFrame,
    observation_end: pd.Timestamp | str,
    unit: str = "weeks",
    source: str = "<data>",
) -> pd.DataFrame:
    """Summarise each customer's transactions up to ``observation_end`` as RFM statistics.

    Purchases on the same day are one transaction. ``frequency`` is the number of repeat
    transactions, ``recency`` the time from the first to the last one, ``T`` the time from
    the first one to ``observation_end``, and ``monetary_value`` the mean amount of the
    repeat transactions (0 without any), all in ``unit``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        From :func:`read_transactions` or :func:`clean_transactions`.
    observation_end : Timestamp or str
        End of the observation (calibration) period, inclusive.
    unit : {"weeks", "days"}
        Time unit of recency and T.
    source : str
        Name of the source, for error messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``frequency``, ``recency``, ``T``, ``monetary_value``.
    """
    if unit not in UNITS:
        raise ForecastDataError(f"unit: expected one of {', '.join(UNITS)}, got {unit!r}")
    end = pd.Timestamp(observation_end)
    tx = transactions[transactions["date"] <= end + pd.Timedelta(days=1) - pd.Timedelta(1)]
    if tx.empty:
        raise ForecastDataError(f"{source}: no transactions on or before {end.date()}")
    daily = purchase_days(tx)
    g = daily.groupby("customer_id", sort=True)
    first, last = g["day"].min(), g["day"].max()
    per = UNITS[unit]
    out = pd.DataFrame(
        {
            "frequency": (g.size() - 1).astype(np.int64),
            "recency": (last - first).dt.days / per,
            "T": (end.normalize() - first).dt.days / per,
        }
    )
    if "amount" in daily.columns:
        repeat = daily[daily.groupby("customer_id").cumcount() > 0]
        rg = repeat.groupby("customer_id")["amount"]
        # a customer with an unusable amount has no known mean: NaN leaves them out of
        # the spend model only
        mean = rg.mean().where(rg.count() == rg.size())
        out["monetary_value"] = mean.reindex(out.index, fill_value=0.0)
    out.index.name = "customer_id"
    out.attrs["returns_days"] = daily.attrs.get("returns_days", 0)
    return out


def calibration_holdout(
    transactions: pd.DataFrame,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    unit: str = "weeks",
    source: str = "<data>",
) -> pd.DataFrame:
    """RFM summary of a calibration period plus what each customer did in the holdout.

    Customers are those who bought in the calibration period. Columns are those of
    :func:`rfm_summary` plus ``frequency_holdout`` (transactions, same-day purchases counted
    once), ``monetary_value_holdout`` and ``duration_holdout`` (in ``unit``).

    Raises
    ------
    ForecastDataError
        If the calibration end is outside the data or the holdout is empty.
    """
    cal_end = pd.Timestamp(calibration_end)
    first, last = transactions["date"].min(), transactions["date"].max()
    if not first <= cal_end < last:
        raise ForecastDataError(
            f"{source}: calibration end {cal_end.date()} is outside the data, which runs from "
            f"{first.date()} to {last.date()} (it must leave some data for the holdout)"
        )
    hold_end = last.normalize() if holdout_end is None else pd.Timestamp(holdout_end)
    cal = rfm_summary(transactions, cal_end, unit, source)
    hold = transactions[
        (transactions["date"] > cal_end + pd.Timedelta(days=1) - pd.Timedelta(1))
        & (transactions["date"] <= hold_end + pd.Timedelta(days=1) - pd.Timedelta(1))
    ]
    hold = hold[hold["customer_id"].isin(cal.index)]
    per_day = (
        purchase_days(hold)
        if len(hold)
        else pd.DataFrame(
            {"customer_id": pd.Series(dtype=str), "day": pd.Series(dtype="datetime64[ns]")}
        )
    )
    g = per_day.groupby("customer_id")
    cal["frequency_holdout"] = g.size().reindex(cal.index, fill_value=0).astype(np.int64)
    if "amount" in transactions.columns and "amount" in per_day.columns:
        cal["monetary_value_holdout"] = g["amount"].mean().reindex(cal.index, fill_value=0.0)
    cal.attrs["returns_days"] = cal.attrs.get("returns_days", 0) + per_day.attrs.get(
        "returns_days", 0
    )
    cal["duration_holdout"] = (hold_end.normalize() - cal_end.normalize()).days / UNITS[unit]
    return cal


def check_summary(summary: pd.DataFrame, source: str = "<data>") -> pd.DataFrame:
    """Check an RFM summary (from a file or from :func:`rfm_summary`) before fitting.

    Raises
    ------
    ForecastDataError
        On missing columns, negative or non-finite values, recency beyond T, or no repeat
        purchases at all (the models cannot be identified without them).
    """
    for col in ("frequency", "recency", "T"):
        if col not in summary.columns:
            raise ForecastDataError(f"{source}: missing column '{col}' of an RFM summary")
        values = pd.to_numeric(summary[col], errors="coerce")
        if values.isna().any() or (values < 0).any() or not np.isfinite(values).all():
            raise ForecastDataError(f"{source}: column '{col}' must hold non-negative numbers")
    if (summary["recency"] > summary["T"] + 1e-9).any():
        raise ForecastDataError(f"{source}: recency exceeds T for some customers")
    if (summary["frequency"] == 0).all():
        raise ForecastDataError(
            f"{source}: no customer made a repeat purchase; purchase frequency cannot be estimated"
        )
    return summary
