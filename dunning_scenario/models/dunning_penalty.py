# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Late-payment interest arithmetic, without the ORM.

Day counting (the one used everywhere in the addon): interest runs for every
day *after* a start date up to and including an end date, so the period
``(start, end]`` counts ``end - start`` days. For a business invoice the start
is the due date and the end the reminder's date: an invoice due on 31 January
and reminded on 17 March is 45 days late (1 February to 17 March), which is
also its "days overdue" on the reminder.

A payment made on day P stops the interest on the amount paid after day P:
the amount paid was P - due date days late, exactly as a whole invoice paid
on P would be. Payments dated on or before the start reduce the base from the
start; payments dated after the end are not known yet and are ignored.

The formula is the legal one: base x annual rate x days / 365, summed piece by
piece and rounded once per invoice by the caller.
"""

from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)

# Points added by law to the ECB main refinancing rate (these are fixed by the
# law, not published rates: the rates themselves are data, dunning.interest.rate).
BUSINESS_ECB_MARGIN = 10.0  # Code de commerce, L441-10
PUBLIC_ECB_MARGIN = 8.0  # Code de la commande publique, R2192-31


def half_year_start(day):
    """First day of the half-year of ``day`` (1 January or 1 July)."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day):
    """Last day of the half-year of ``day`` (30 June or 31 December)."""
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def half_year_label(day, lang=None):
    """``2026 H2`` for any day of the second half of 2026; ``2026 S2`` in French
    (semestre), whatever the language code's country (fr_FR, fr_BE...)."""
    letter = "S" if (lang or "").startswith("fr") else "H"
    return f"{day.year} {letter}{1 if day.month <= 6 else 2}"


@dataclass(frozen=True)
class Piece:
    """Days ``first_day`` to ``last_day`` (both included) on a constant base."""

    first_day: date
    last_day: date
    base: float
    rate: float = 0.0
    # First day of the half-year whose legal floor replaced a lower contractual
    # rate (3 x the legal interest rate), None when the rate is not a floor.
    floor_period: date | None = None

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1

    @property
    def interest(self):
        return self.base * self.rate / 100.0 * self.days / 365.0


def late_pieces(start, end, amount, payments):
    """Split the days after ``start`` up to ``end`` into pieces of constant base.

    :param start: the day after which interest runs (due date, formal notice)
    :param end: the last day counted (the reminder's date)
    :param amount: the amount due at the start, before any payment
    :param payments: iterable of (date, amount paid)
    :return: list of Piece (rate 0.0) with a positive base, in date order
    """
    if not payments:
        # (the loop below, without a cut)
        return [Piece(start + ONE_DAY, end, amount)] if end > start and amount > 0 else []
    payments = [(day, paid) for day, paid in payments if day <= end]
    base = amount - sum(paid for day, paid in payments if day <= start)
    cuts = sorted({day for day, __ in payments if start < day < end})
    pieces = []
    previous = start
    for cut in [*cuts, end]:
        if cut > previous and base > 0:
            pieces.append(Piece(previous + ONE_DAY, cut, base))
        base -= sum(paid for day, paid in payments if day == cut)
        previous = cut
    return pieces


def split_half_years(pieces):
    """Cut the pieces at 30 June / 31 December, so each lies in one half-year."""
    result = []
    for piece in pieces:
        first = piece.first_day
        while first <= piece.last_day:
            last = min(piece.last_day, half_year_end(first))
            result.append(Piece(first, last, piece.base, piece.rate))
            first = last + ONE_DAY
    return result


def with_rates(pieces, rate_of):
    """Give each piece the rate ``rate_of(piece)`` (which may raise)."""
    return [Piece(p.first_day, p.last_day, p.base, rate_of(p)) for p in pieces]


def with_contract_rate(pieces, contract_rate, floor_of):
    """Give each piece (lying in one half-year, see split_half_years) the
    contractual rate, or the legal floor of its half-year ``floor_of(piece)``
    when the contractual rate is below it (L441-10: at least 3 times the legal
    interest rate). ``floor_of`` may raise: a floor that cannot be checked is
    not assumed."""
    result = []
    for piece in pieces:
        floor = floor_of(piece)
        if round(floor - contract_rate, 2) > 0:
            result.append(
                Piece(
                    piece.first_day,
                    piece.last_day,
                    piece.base,
                    floor,
                    half_year_start(piece.first_day),
                )
            )
        else:
            result.append(Piece(piece.first_day, piece.last_day, piece.base, contract_rate))
    return result


def allocate_payments(installments, payments):
    """Allocate payments not matched in the books to the installments of one
    invoice, earliest due first (Code civil 1342-10: a payment pays the debt
    due), capped at what each installment still expects.

    :param installments: [(due date, amount, [(payment date, amount paid)])]
    :param payments: [(payment date, amount)]
    :return: the installments with the allocated payments added
    """
    result = [(due, amount, list(paid)) for due, amount, paid in installments]
    for day, left in sorted(payments):
        for __, amount, paid in result:
            room = amount - sum(value for __, value in paid)
            if left <= 0:
                break
            if room > 0:
                used = min(room, left)
                paid.append((day, used))
                left -= used
    return result


def merge_pieces(pieces):
    """Join consecutive pieces with the same base and rate (same interest, a
    shorter explanation: e.g. two half-years with the same ECB rate)."""
    result = []
    for piece in pieces:
        last = result[-1] if result else None
        if (
            last
            and last.last_day + ONE_DAY == piece.first_day
            and last.base == piece.base
            and last.rate == piece.rate
            and last.floor_period == piece.floor_period
        ):
            result[-1] = Piece(
                last.first_day, piece.last_day, piece.base, piece.rate, piece.floor_period
            )
        else:
            result.append(piece)
    return result


def total_interest(pieces):
    """Unrounded interest of the pieces (the caller rounds it per invoice)."""
    return sum(piece.interest for piece in pieces)
