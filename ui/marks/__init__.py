"""Marks entry and report cards."""
