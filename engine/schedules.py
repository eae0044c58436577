"""Learning-rate schedules (step, exponential, cosine) with an optional linear warm-up.

The formulas are in ``engine.kernels.schedules``; the fused training kernels apply them update by
update. A schedule counts the updates of the model since it was built, so changing the schedule
mid-run moves the rate to where the new schedule stands at that update.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import checks
from engine.kernels import schedules as k

SCHEDULE_CODES = {"constant": k.CONSTANT, "step": k.STEP, "exponential": k.EXPONENTIAL, "cosine": k.COSINE}
SCHEDULES = tuple(SCHEDULE_CODES)
MAX_PERIOD = 10_000_000


@dataclass(frozen=True)
class ScheduleConfig:
    """``kind``: constant / step / exponential / cosine. ``period`` N and ``gamma``: step and
    exponential multiply the rate by gamma every N updates (at once, or smoothly); cosine glides from
    the base rate down to gamma x base over N updates and stays there. ``warmup`` W: the first W
    updates climb linearly from base / W to the base rate (0: none), then the schedule starts."""
    kind: str = "constant"
    period: int = 1000
    gamma: float = 0.5
    warmup: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        checks.one_of("schedule", self.kind, SCHEDULES)
        set_(self, "period", checks.whole("schedule period", self.period, 1, MAX_PERIOD))
        set_(self, "gamma", checks.real("schedule gamma", self.gamma, 0.0, 1.0))
        set_(self, "warmup", checks.whole("warm-up", self.warmup, 0, MAX_PERIOD))

    @property
    def code(self) -> int:
        return SCHEDULE_CODES[self.kind]

    @property
    def active(self) -> bool:
        return self.kind != "constant" or self.warmup > 0

    def factor(self, s: int) -> float:
        """The base rate's factor at the update with ``s`` updates before it."""
        s = checks.whole("s", s, 0, 2**62)
        return float(k.factor(self.code, self.warmup, self.period, self.gamma, s))

    def factors(self, s: np.ndarray) -> np.ndarray:
        """``factor`` for many update counts at once (for drawing the schedule)."""
        return np.array([self.factor(int(v)) for v in np.asarray(s).ravel()]).reshape(np.shape(s))
