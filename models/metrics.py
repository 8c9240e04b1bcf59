"""Recovery figures computed from a drill's timed steps; nothing here is ever typed in by hand."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from models.drills import Drill, Phase
from models.systems import System

#: phases whose completion brings a system back in the recovery site
RECOVERY_PHASES = (Phase.FAILOVER, Phase.RECONFIGURATION)


@dataclass(frozen=True)
class SystemRecovery:
    """One system's recovery in one drill."""

    system: System
    #: end of the system's last failover or reconfiguration step; None if it has none
    recovered_at: Optional[datetime]
    #: recovered_at minus the drill's actual start
    achieved: Optional[timedelta]

    @property
    def rto(self) -> Optional[timedelta]:
        """The system's recovery time objective, if one is set."""
        return None if self.system.rto_minutes is None else timedelta(minutes=self.system.rto_minutes)

    @property
    def met(self) -> Optional[bool]:
        """Whether the achieved time is within the RTO; None when either is unknown."""
        if self.achieved is None or self.rto is None:
            return None
        return self.achieved <= self.rto


def recovery_by_system(drill: Drill) -> list[SystemRecovery]:
    """For each system in scope: achieved recovery time = end of its last recovery step − drill start."""
    ends: dict[int, datetime] = {}
    for step in drill.steps:
        if step.phase in RECOVERY_PHASES and step.system_id is not None and step.ended_at is not None:
            previous = ends.get(step.system_id)
            ends[step.system_id] = step.ended_at if previous is None else max(previous, step.ended_at)
    result = []
    for system in sorted(drill.systems, key=lambda s: s.name):
        end = ends.get(system.id)
        achieved = end - drill.actual_start if end is not None and drill.actual_start is not None else None
        result.append(SystemRecovery(system=system, recovered_at=end, achieved=achieved))
    return result
