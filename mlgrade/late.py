"""A late-submission penalty for nbgrader: a percentage of the score per day late, capped.

nbgrader records each submission's timestamp and the assignment's due date, and asks a late-submission plugin
for the penalty; its default plugin gives none. With ``PercentPerDay`` (configured in nbgrader_config.py):

    days late  d = ⌈(seconds late − grace) / 86 400⌉   (0 when submitted within the grace period)
    penalty      = score · min(percent_per_day · d, max_percent) / 100

so with the defaults (10 % per day, at most 50 %, 15 minutes' grace) a submission 26 hours late loses 20 %
of its score. The penalty shows in the gradebook, formgrader and ``nbgrader export``.
"""

from __future__ import annotations

import math

from nbgrader.plugins.latesubmission import LateSubmissionPlugin
from traitlets import Float, validate


class PercentPerDay(LateSubmissionPlugin):
    """``percent_per_day`` of the score per started day late, at most ``max_percent``, after ``grace_minutes``."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)
    max_percent = Float(50.0, help="the most a late submission can lose, in percent of its score").tag(config=True)
    grace_minutes = Float(15.0, help="minutes after the due date that still count as on time").tag(config=True)

    @validate("percent_per_day", "max_percent", "grace_minutes")
    def _at_least_zero(self, proposal):
        if proposal["value"] < 0:
            raise ValueError(f"{proposal['trait'].name} must be at least 0, got {proposal['value']}")
        return proposal["value"]

    def days_late(self, seconds_late: float) -> int:
        return max(0, math.ceil((seconds_late - 60.0 * self.grace_minutes) / 86400.0))

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        days = self.days_late(total_seconds_late)
        percent = min(self.percent_per_day * days, self.max_percent)
        penalty = score * percent / 100.0
        if days:
            self.log.info("%s: %d day(s) late, penalty %.1f %% = %.2f points", student_id, days, percent, penalty)
        return penalty
