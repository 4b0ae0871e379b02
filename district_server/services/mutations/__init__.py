"""Applying a workstation's pushed edits, each at most once.

A push is one transaction holding the school's sequence row; each edit is
answered on its own, and every answer is stored so a retried push gets the
same answers and changes nothing. The school's row lock is what every push
of that school queues on, so the work done while holding it is kept to few
round trips.

* `transaction`: the push itself (stored answers, savepoints, retries);
  `answers`: what each edit is answered, and what is kept for a retry;
* `attendance_pg`: on PostgreSQL, a push of attendance edits only (the 8 AM
  peak) holds the lock for two round trips;
* `handlers`: the one table from an operation of `domain.mutations.OPS` to
  its handler: `attendance_edits`, `schedule_edits`, `grade_edits`, and
  `services.enrollment` for enrollments and transfers.

The same handlers run on both paths, against a `Context` whose `facts` and
writer each path provides.
"""
from district_server.services.mutations.transaction import push

__all__ = ["push"]
