# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Odoo's float_round (HALF-UP) and float_compare for one precision, with the
precision checked and inverted once instead of at each call: the daily run
rounds hundreds of thousands of amounts to a handful of currencies.

The arithmetic is float_utils' own, step by step, so that every result is the
same float as float_round's (tests/test_run_speed.py compares them).
"""

import math

from odoo.tools import float_utils


class Rounding:
    """float_round(value, precision_rounding=rounding) as ``round``,
    float_compare(a, b, precision_rounding=rounding) as ``compare``."""

    __slots__ = ("rounding", "round")

    def __init__(self, rounding):
        assert rounding > 0, f"precision_rounding must be positive, got {rounding}"
        self.rounding = rounding
        py2_round = float_utils.round
        log2, copysign = math.log2, math.copysign
        if rounding < 1:
            # float_round inverts small rounding factors: value * (1 / rounding)
            inverse = float_utils.float_invert(rounding)

            def round_(value):
                if value == 0:
                    return 0.0
                normalized = value * inverse
                epsilon = 2 ** (log2(abs(normalized)) - 50)
                return py2_round(normalized + copysign(epsilon, normalized)) / inverse

        else:

            def round_(value):
                if value == 0:
                    return 0.0
                normalized = value / rounding
                epsilon = 2 ** (log2(abs(normalized)) - 50)
                return py2_round(normalized + copysign(epsilon, normalized)) * rounding

        self.round = round_

    @classmethod
    def digits(cls, digits):
        """float_round(value, precision_digits=digits)"""
        return cls(10**-digits)

    def compare(self, value1, value2):
        """-1, 0 or 1 as float_compare says."""
        if value1 == value2:
            return 0
        round_ = self.round
        delta = round_(value1) - round_(value2)
        # float_is_zero(delta)
        if delta == 0.0 or abs(round_(delta)) < self.rounding:
            return 0
        return -1 if delta < 0.0 else 1
