"""How long the sandbox's asynchronous steps take: the marketplace's real delays by default.

Every delay a sandbox emulates (a label that is not ready yet, an act being formed, a card
in moderation, a price task in the buffer, a stock update not yet visible) is written as
the real marketplace's figure and passed through `Timing.of`, so one switch shortens all of
them for fast tests: `PUT /_sandbox/timing {"scale": 0.01}`. The default, scale 1, behaves
like production.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


@dataclass
class Timing:
    scale: float = 1.0

    def of(self, real_seconds: float) -> float:
        """The delay to emulate for a step that takes `real_seconds` on the marketplace."""
        return max(0.0, real_seconds * self.scale)


class TimingSettings(BaseModel):
    scale: float = Field(ge=0, le=10, description="1: the marketplace's real delays; 0: none")
