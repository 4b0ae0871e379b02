"""What the counselor's screens read from the cache, one module per screen:
`program` (a student's program and the checks on a change), `master_schedule`
(with the section editor's checks), `incomplete` (students without a complete
schedule), `rollover` (the dry run), `course_requests` (next year's requests)
and `conflicts` (a schedule edit the server answered with a conflict); what
several of them read is `catalog`'s.

The rules themselves are `domain.scheduling`'s; this package only gathers
their facts from the cache, so the workstation checks exactly as the server
does, offline and at once.
"""
