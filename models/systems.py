"""The IT systems whose recovery a drill measures, with their recovery targets, and the scope links of drills and findings."""

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Optional

from sqlmodel import Field, Relationship, Session, SQLModel, col, select

from models.core.changes import apply_changes, create_record, validate
from models.core.errors import RecordError
from models.core.inputs import MAX_MINUTES, Order, Text, prose
from models.core.types import UTCDateTime, version_column

if TYPE_CHECKING:
    from models.drills.tables import Drill, Outage, Step
    from models.people.users import User


class DrillSystem(SQLModel, table=True):
    """A system in a drill's scope, with what the drill learnt about its data."""

    __tablename__ = "drill_system"
    drill_id: int = Field(foreign_key="drill.id", primary_key=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", primary_key=True, ondelete="RESTRICT")
    #: time of the newest data found in the recovered system; achieved RPO counts back from the disaster to here
    last_data_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class FindingSystem(SQLModel, table=True):
    """A system a finding concerns."""

    __tablename__ = "finding_system"
    finding_id: int = Field(foreign_key="finding.id", primary_key=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", primary_key=True, ondelete="RESTRICT")


_system_version = version_column()


class SystemBase(SQLModel):
    """What a person records about a system, with its limits: the table and the input model share these."""

    name: Text = Field(min_length=1, max_length=200, unique=True)
    description: Text = prose()
    #: team or person accountable for the system's recovery
    owner: Text = Field(default="", max_length=200)
    #: recovery time objective, minutes; None when no target has been set
    rto_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    #: recovery point objective, minutes of data that may be lost
    rpo_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    #: maximum tolerable downtime, minutes
    mtd_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    #: how often the system must be failed over in a drill, in months; None means yearly
    test_interval_months: Optional[int] = Field(default=None, ge=1, le=120)


class System(SystemBase, table=True):
    """An IT system or service with its recovery time, recovery point and maximum tolerable downtime."""

    __mapper_args__ = {"version_id_col": _system_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_system_version)

    drills: list["Drill"] = Relationship(back_populates="systems", link_model=DrillSystem)
    steps: list["Step"] = Relationship(back_populates="system")
    outages: list["Outage"] = Relationship(back_populates="system")


class SystemIn(SystemBase):
    ORDERS: ClassVar = (
        Order("rto_minutes", "mtd_minutes", "The maximum tolerable downtime cannot be shorter than the RTO."),
    )


def systems_query():
    """Systems by name."""
    return select(System).order_by(System.name, System.id)


def list_systems(session: Session) -> list[System]:
    """Every system, by name."""
    return list(session.exec(systems_query()).all())


def load_systems(session: Session, ids: list[int]) -> list[System]:
    """The systems with these ids; a missing one is a field error."""
    systems = session.exec(select(System).where(col(System.id).in_(ids))).all() if ids else []
    if len(systems) != len(set(ids)):
        raise RecordError({"system_ids": "One of the chosen systems does not exist."})
    return list(systems)


def save_system(
    session: Session, data: dict, actor: "User", system: Optional[System] = None, expected: Optional[int] = None
) -> System:
    """Create or change a system; names are unique."""
    values = validate(SystemIn, data).model_dump()
    clash = session.exec(select(System).where(System.name == values["name"])).first()
    if clash is not None and clash is not system:
        raise RecordError({"name": f"A system named {values['name']} exists already."})
    if system is None:
        return create_record(session, System(**values), actor)
    apply_changes(session, system, values, expected, actor)
    return system
