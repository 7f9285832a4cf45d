# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Which level an invoice reaches today and when it is examined next, without
the ORM: the daily run plans tens of thousands of invoices from plain values
read in one query; ``account.move._dunning_plan`` is the same rule on a record.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Level:
    """What the planning needs of a dunning.level."""

    id: int
    sequence: int
    delay_days: int
    is_formal_notice: bool
    is_litigation: bool


def plan_levels(records):
    """The Level of each dunning.level record, in the records' order."""
    return [
        Level(
            record.id,
            record.sequence,
            record.delay_days,
            record.is_formal_notice,
            record.is_litigation,
        )
        for record in records
    ]


def plan(
    levels,
    today,
    due,
    done_delay,
    last_date,
    notice_date,
    min_interval_days,
    formal_notice_days,
):
    """Decide what happens to one invoice today.

    :param levels: the scenario's levels (Level), in the order they are reached
    :param due: the invoice's due date (else its date, else today)
    :param done_delay: delay in days of the last level the invoice reached, or
        None if it reached none
    :param last_date: day of its last reminder, or None
    :param notice_date: day its formal notice was sent, or None
    :param min_interval_days: the scenario's minimum days between two reminders
    :param formal_notice_days: the company's days given by a formal notice
    :return: (Level to remind today or None, next date or None, next Level or None)
    """
    overdue = today > due
    pending = [
        level
        for level in levels
        if (done_delay is None or level.delay_days > done_delay)
        and not (level.delay_days < 0 and overdue)
    ]
    reached = [level for level in pending if due + timedelta(days=level.delay_days) <= today]
    earliest = None
    if last_date:
        earliest = last_date + timedelta(days=min_interval_days)
    target = reached[-1] if reached else None
    if target and not last_date and (target.is_formal_notice or target.is_litigation):
        # First contact is a friendly reminder, never a formal notice: an
        # invoice nobody reminded yet (a backlog at go-live, a level added
        # later) gets the highest friendly level it has reached; the formal
        # notice comes at least the scenario's interval later.
        friendly = [lvl for lvl in reached if not (lvl.is_formal_notice or lvl.is_litigation)]
        target = friendly[-1] if friendly else None
    if target and target.is_litigation:
        notices = [level for level in reached if level.is_formal_notice]
        if notices:
            target = notices[-1]
        elif notice_date:
            # Litigation only once the formal notice's deadline has passed.
            deadline = notice_date + timedelta(days=formal_notice_days or 8)
            if deadline >= today:
                return None, deadline + timedelta(days=1), target
    if target and earliest and earliest > today:
        return None, earliest, target
    if target:
        later = pending[pending.index(target) + 1 :]
        earliest = today + timedelta(days=min_interval_days)
    else:
        later = pending
    if not later:
        return target, None, None
    next_level = later[0]
    next_date = due + timedelta(days=next_level.delay_days)
    if earliest and earliest > next_date:
        next_date = earliest
    return target, next_date, next_level
