"""The IT systems whose recovery a drill measures, with their recovery targets."""

from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.links import DrillSystem
from models.types import version_column

if TYPE_CHECKING:
    from models.drills import Drill, Outage, Step


_system_version = version_column()


class System(SQLModel, table=True):
    """An IT system or service with its recovery time, recovery point and maximum tolerable downtime."""

    __mapper_args__ = {"version_id_col": _system_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_system_version)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="")
    #: team or person accountable for the system's recovery
    owner: str = Field(default="", max_length=200)
    #: recovery time objective, minutes; None when no target has been set
    rto_minutes: Optional[int] = Field(default=None, ge=0)
    #: recovery point objective, minutes of data that may be lost
    rpo_minutes: Optional[int] = Field(default=None, ge=0)
    #: maximum tolerable downtime, minutes
    mtd_minutes: Optional[int] = Field(default=None, ge=0)

    drills: list["Drill"] = Relationship(back_populates="systems", link_model=DrillSystem)
    steps: list["Step"] = Relationship(back_populates="system")
    outages: list["Outage"] = Relationship(back_populates="system")
