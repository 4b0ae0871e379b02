"""A synthetic demo district: made-up schools, students, schedules and attendance.

The same seed gives the same district, so a demo, a benchmark and a test see
the same data. Nothing here describes a real person: first and last names
come from lists of common names and are combined at random, phone numbers
are in the 555-01xx range kept for fiction, e-mail addresses are at
example.org.

Rows come per kind in `domain.records` field order, id first and without a
version (the loader assigns versions). Conventions a reader of the data needs:

* enrollment end dates and exit dates are the last day attended; a dropped
  section's replacement begins the next school day;
* a year-long section belongs to the fall term; each fall semester section
  has a spring twin (same period, teacher and room, the paired course:
  Health <-> Ethnic Studies, PAD <-> Economics), filled once `as_of` reaches
  the spring term;
* elementary attendance is daily: marks have no section and period 0, and
  the homeroom's submission uses period 0 too;
* attendance exists only for school days up to and including `as_of`;
  instants are UTC, converted from Los Angeles school hours.

The package: `district` (the schools of a district and its users), `school`
(one school's generator, with `schedules`, `attendance` and `plans` each
adding their part), and the data they draw from: `names` (people),
`courses` (the catalogues and who takes what), `calendar` (the school year).
"""
from district_server.demo.calendar import SchoolCalendar, school_calendar
from district_server.demo.district import (
    DISTRICT_NAME,
    PASSWORDS,
    DemoDistrict,
    DemoUser,
    generate_district,
)
from district_server.demo.school import DemoSchool, generate_school

__all__ = ["DISTRICT_NAME", "PASSWORDS", "DemoDistrict", "DemoSchool", "DemoUser",
           "SchoolCalendar", "generate_district", "generate_school", "school_calendar"]
