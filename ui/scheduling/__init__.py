"""The master schedule, programs, course requests, the loader and rollover."""
