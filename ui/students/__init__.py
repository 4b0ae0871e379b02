"""The roster and a student's record: enrollment, withdrawal, transfers."""
