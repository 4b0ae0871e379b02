"""Accounts and the access log, for school and district administrators."""
