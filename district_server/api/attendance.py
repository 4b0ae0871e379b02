"""Attendance submission status: a school's office, and the district's view."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from district_server.api.deps import CurrentUserDep, DistrictAdminDep, EngineDep, SchoolDep
from district_server.services import attendance_status
from domain.records import DATE, Field
from domain.values import InvalidValue, check_value

router = APIRouter(prefix="/api", tags=["attendance"])

DateQuery = Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD; default: "
                                        "today in the schools' time zone")]

_DATE = Field("date", DATE)


class Counts(BaseModel):
    expected: int  # sections meeting that day (and period)
    submitted: int
    late: int  # submitted after the period ended
    missing: int  # expected - submitted
    overdue: int  # missing rolls of periods already over: the school is behind


class MissingSection(BaseModel):
    section_id: str
    section_number: str
    course_title: str
    teacher: str
    room: str


class PeriodStatus(Counts):
    period: int
    label: str | None
    start_time: str | None
    end_time: str | None
    not_submitted: list[MissingSection]


class SchoolStatus(Counts):
    school_id: str
    date: str
    server_time: str
    periods: list[PeriodStatus]


class SchoolTotals(Counts):
    school_id: str
    code: str
    name: str
    level: str


class SchoolPeriodRow(Counts):
    school_id: str
    code: str
    name: str
    period: int
    label: str | None
    end_time: str | None


class DistrictStatus(BaseModel):
    date: str
    server_time: str
    schools: list[SchoolTotals]  # most behind first
    rows: list[SchoolPeriodRow]  # in the same order of schools, then by period


def _date(value: str | None) -> str:
    if value is None or value == "":
        return attendance_status.school_today()
    try:
        return check_value(_DATE, value)
    except InvalidValue as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/schools/{school_id}/attendance/status", response_model=SchoolStatus)
def school_attendance_status(engine: EngineDep, _user: CurrentUserDep, school_id: SchoolDep,
                             date: DateQuery = None) -> dict:
    """Per period: sections expected to take attendance, how many did, how
    many late, and which have not (section, course, teacher, room)."""
    return attendance_status.school_status(engine, school_id=school_id, date=_date(date))


@router.get("/district/attendance/status", response_model=DistrictStatus)
def district_attendance_status(engine: EngineDep, _admin: DistrictAdminDep,
                               date: DateQuery = None) -> dict:
    """Every school's submission counts by period, the schools most behind first."""
    return attendance_status.district_status(engine, date=_date(date))
