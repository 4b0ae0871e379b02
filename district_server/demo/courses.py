"""The course catalogues of a high school and a middle school, where their
classes meet, and what students of each grade ask for."""
from __future__ import annotations

from district_server.demo.choices import weighted

# (code, title, department, a-g area, duration, lowest grade, highest grade)
HIGH_COURSES = (
    ("ENG9", "English 9", "English", "b", "year", 9, 9),
    ("ENG10", "English 10", "English", "b", "year", 10, 10),
    ("ENG11", "English 11", "English", "b", "year", 11, 11),
    ("ENG12", "English 12", "English", "b", "year", 12, 12),
    ("ALG1", "Algebra 1", "Mathematics", "c", "year", 9, 12),
    ("GEOM", "Geometry", "Mathematics", "c", "year", 9, 12),
    ("ALG2", "Algebra 2", "Mathematics", "c", "year", 10, 12),
    ("PRECALC", "Precalculus", "Mathematics", "c", "year", 10, 12),
    ("CALCAB", "AP Calculus AB", "Mathematics", "c", "year", 11, 12),
    ("STATS", "Statistics", "Mathematics", "c", "year", 11, 12),
    ("BIO", "Biology", "Science", "d", "year", 9, 12),
    ("CHEM", "Chemistry", "Science", "d", "year", 10, 12),
    ("PHYS", "Physics", "Science", "d", "year", 11, 12),
    ("ENVSCI", "Environmental Science", "Science", "d", "year", 11, 12),
    ("ETHST", "Ethnic Studies", "Social Studies", "a", "semester", 9, 9),
    ("WHIST", "World History", "Social Studies", "a", "year", 10, 10),
    ("USHIST", "US History", "Social Studies", "a", "year", 11, 11),
    ("PAD", "Principles of American Democracy", "Social Studies", "a", "semester", 12, 12),
    ("ECON", "Economics", "Social Studies", "g", "semester", 12, 12),
    ("PSYCH", "Psychology", "Social Studies", "g", "semester", 11, 12),
    ("SOCIO", "Sociology", "Social Studies", "g", "semester", 11, 12),
    ("SPAN1", "Spanish 1", "World Languages", "e", "year", 9, 12),
    ("SPAN2", "Spanish 2", "World Languages", "e", "year", 9, 12),
    ("SPAN3", "Spanish 3", "World Languages", "e", "year", 10, 12),
    ("FREN1", "French 1", "World Languages", "e", "year", 9, 12),
    ("FREN2", "French 2", "World Languages", "e", "year", 10, 12),
    ("ART1", "Art 1", "Visual and Performing Arts", "f", "year", 9, 12),
    ("CERAM", "Ceramics", "Visual and Performing Arts", "f", "year", 10, 12),
    ("MUSIC", "Concert Band", "Visual and Performing Arts", "f", "year", 9, 12),
    ("DRAMA", "Theater Arts", "Visual and Performing Arts", "f", "year", 9, 12),
    ("PE", "Physical Education", "Physical Education", None, "year", 9, 10),
    ("TEAMSP", "Team Sports", "Physical Education", None, "year", 11, 12),
    ("HLTH", "Health", "Health", None, "semester", 9, 12),
    ("CSP", "Computer Science Principles", "Career Technical Education", "g", "year", 10, 12),
    ("ROBOT", "Robotics and Engineering", "Career Technical Education", "g", "year", 9, 12),
    ("CULIN", "Culinary Arts", "Career Technical Education", None, "year", 10, 12),
    ("JOURN", "Journalism", "English", "g", "year", 10, 12),
    ("YEARBK", "Yearbook", "English", None, "year", 10, 12),
)
HIGH_ELECTIVES = ("SPAN1", "SPAN2", "SPAN3", "FREN1", "FREN2", "ART1", "CERAM", "MUSIC", "DRAMA",
                  "TEAMSP", "CSP", "ROBOT", "CULIN", "JOURN", "YEARBK", "PSYCH", "SOCIO")
MIDDLE_HISTORY = {6: "World History: Ancient Civilizations",
                  7: "World History: Medieval and Early Modern",
                  8: "US History: Growth and Conflict"}
MIDDLE_COURSES = tuple(
    row for g in (6, 7, 8) for row in (
        (f"ENG{g}", f"English {g}", "English", None, "year", g, g),
        (f"MATH{g}", f"Mathematics {g}", "Mathematics", None, "year", g, g),
        (f"SCI{g}", f"Science {g}", "Science", None, "year", g, g),
        (f"HIST{g}", MIDDLE_HISTORY[g], "Social Studies", None, "year", g, g))
) + (
    ("ALG1", "Algebra 1", "Mathematics", "c", "year", 8, 8),
    ("PE", "Physical Education", "Physical Education", None, "year", 6, 8),
    ("ART", "Art", "Visual and Performing Arts", None, "year", 6, 8),
    ("BAND", "Band", "Visual and Performing Arts", None, "year", 6, 8),
    ("CHOIR", "Choir", "Visual and Performing Arts", None, "year", 6, 8),
    ("SPAN1", "Spanish 1", "World Languages", "e", "year", 7, 8),
    ("COMPLIT", "Computer Literacy", "Career Technical Education", None, "semester", 6, 8),
    ("HLTH", "Health", "Health", None, "semester", 6, 8),
)
MIDDLE_ELECTIVES = ("ART", "BAND", "CHOIR", "SPAN1", "COMPLIT", "HLTH")
# A fall semester section's period is taken in spring by the paired course.
SPRING_PAIR = {"HLTH": "ETHST", "ETHST": "HLTH", "PAD": "ECON", "ECON": "PAD",
               "PSYCH": "SOCIO", "SOCIO": "PSYCH"}
MIDDLE_SPRING_PAIR = {"COMPLIT": "HLTH", "HLTH": "COMPLIT"}
BUILDING = {"English": "B", "Mathematics": "C", "Science": "D", "Social Studies": "E",
            "World Languages": "F", "Visual and Performing Arts": "G", "Health": "H",
            "Career Technical Education": "J", "Physical Education": "GYM", "Elementary": "A"}
CAPACITY = {"Physical Education": 40, "Science": 34, "Visual and Performing Arts": 36,
            "Career Technical Education": 34}  # other departments 38

LEVELS = {"elementary": (0, 5, 1, 1), "middle": (6, 8, 6, 6), "high": (9, 12, 7, 6)}
MATH = {9: weighted(("ALG1", 65), ("GEOM", 35)),
        10: weighted(("GEOM", 60), ("ALG2", 35), ("ALG1", 5)),
        11: weighted(("ALG2", 55), ("PRECALC", 35), ("STATS", 10)),
        12: weighted(("PRECALC", 35), ("CALCAB", 25), ("STATS", 25), ("ALG2", 15))}
SCIENCE = {10: weighted(("CHEM", 65), ("BIO", 35)),
           11: weighted(("PHYS", 40), ("CHEM", 35), ("ENVSCI", 25)),
           12: weighted(("PHYS", 50), ("ENVSCI", 50))}
FIRST_ELECTIVE = {
    9: weighted(("SPAN1", 45), ("FREN1", 10), ("ART1", 15), ("MUSIC", 10), ("DRAMA", 5),
                ("ROBOT", 15)),
    10: weighted(("SPAN2", 40), ("SPAN1", 10), ("FREN2", 5), ("ART1", 10), ("CERAM", 8),
                 ("MUSIC", 7), ("CSP", 10), ("JOURN", 5), ("CULIN", 5)),
    11: weighted(("SPAN3", 30), ("SPAN2", 20), ("ART1", 10), ("CERAM", 10), ("MUSIC", 5),
                 ("CSP", 10), ("TEAMSP", 15)),
    12: weighted(("TEAMSP", 20), ("ART1", 15), ("CERAM", 10), ("PSYCH", 15), ("SOCIO", 10),
                 ("CSP", 10), ("YEARBK", 10), ("CULIN", 10)),
}
MIDDLE_ELECTIVE = weighted(("ART", 25), ("BAND", 20), ("CHOIR", 15), ("SPAN1", 15),
                           ("COMPLIT", 12.5), ("HLTH", 12.5))


def group(course_code: str) -> str:
    """Courses of one sequence (Spanish 1, 2, 3) share a group: one per schedule."""
    return course_code.rstrip("0123456789")


# Required course groups per grade ("ENG9;ALG1|GEOM": English 9 and one math).
HIGH_REQUIRED = {
    9: "ENG9;ALG1|GEOM;BIO;PE",
    10: "ENG10;ALG1|GEOM|ALG2|PRECALC;BIO|CHEM;WHIST;PE",
    11: "ENG11;ALG2|PRECALC|STATS|CALCAB;PHYS|CHEM|ENVSCI;USHIST",
    12: "ENG12;PAD|ECON",
}
