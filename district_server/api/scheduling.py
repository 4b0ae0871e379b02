"""Scheduling operations that work on a whole school at once: the semester
rollover, and the daily count of students without a complete schedule
(escalated to the district after 10:00 AM)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from district_server.api.attendance import DateQuery, _date
from district_server.api.deps import DistrictAdminDep, EngineDep, SchoolDep, require_role
from district_server.services import request_loader, scheduling
from district_server.services.auth import CurrentUser
from domain.scheduling import SCHEDULING_ROLES

router = APIRouter(prefix="/api", tags=["scheduling"])

SchedulerDep = Annotated[CurrentUser, Depends(require_role(*sorted(SCHEDULING_ROLES)))]


class RolloverRequest(BaseModel):
    from_term_id: str | None = Field(None, max_length=64)
    apply: bool = False
    workstation: str | None = Field(None, max_length=200)


class Unplaced(BaseModel):
    student_id: str
    period: int
    reason: str


class RolloverSummary(BaseModel):
    from_term: str
    to_term: str
    ended: int  # semester entries ended on the last day of the term
    added: int  # next-term entries made
    carried: int  # year-long entries that go on
    students: int
    unplaced: list[Unplaced]
    incomplete_after: int  # students without a complete schedule on the new term's first day
    applied: bool


class IncompleteReport(BaseModel):
    date: str
    incomplete: int
    limit: int
    escalated: bool


class Escalation(BaseModel):
    school_id: str
    school: str
    date: str
    incomplete: int
    recorded_at: str
    reported_by: str | None


@router.post("/schools/{school_id}/scheduling/rollover", response_model=RolloverSummary)
def rollover(engine: EngineDep, user: SchedulerDep, school_id: SchoolDep,
             body: RolloverRequest) -> dict:
    """Move the school's programs to the next term: a dry run unless `apply`;
    a second apply finds nothing left to do."""
    try:
        return scheduling.rollover(engine, school_id=school_id, from_term_id=body.from_term_id,
                                   apply=body.apply, user_id=user.id, username=user.username,
                                   workstation=body.workstation or user.workstation)
    except scheduling.SchedulingError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/schools/{school_id}/scheduling/incomplete-report",
             response_model=IncompleteReport)
def report_incomplete(engine: EngineDep, user: SchedulerDep, school_id: SchoolDep) -> dict:
    """The server's own count of students without a complete schedule today;
    after 10:00 AM on a school day, more than ten is recorded for the district."""
    return scheduling.report_incomplete(engine, school_id=school_id, username=user.username)


@router.get("/district/scheduling/escalations", response_model=list[Escalation])
def escalations(engine: EngineDep, _admin: DistrictAdminDep, date: DateQuery = None) -> list:
    """Schools escalated on a day, the most incomplete first."""
    return scheduling.escalations(engine, day=_date(date))


# --- next year's course requests into next year's sections


class LoadRequest(BaseModel):
    school_year_id: str = Field(max_length=64)
    apply: bool = False
    workstation: str | None = Field(None, max_length=200)


class UnfilledRequest(BaseModel):
    student_id: str
    student_name: str
    course_id: str
    course_title: str
    reason: str


class LoadSummary(BaseModel):
    school_year: str
    requests: int
    placed: int
    placed_pct: float
    already_placed: int  # requests of students already scheduled for that year: left alone
    unfilled: list[UnfilledRequest]
    sections_over_capacity: int
    conflicts: int
    applied: bool
    seconds: float


@router.post("/schools/{school_id}/scheduling/load-requests", response_model=LoadSummary)
def load_requests(engine: EngineDep, user: SchedulerDep, school_id: SchoolDep,
                  body: LoadRequest) -> dict:
    """Place the year's course requests into its sections: a dry run unless
    `apply`; students already scheduled for that year are left as they are."""
    try:
        return request_loader.run_loader(
            engine, school_id=school_id, school_year_id=body.school_year_id, apply=body.apply,
            user_id=user.id, username=user.username,
            workstation=body.workstation or user.workstation)
    except scheduling.SchedulingError as exc:
        raise HTTPException(409, str(exc)) from None
