"""The MiSiS district server: system of record that every workstation syncs with."""
__version__ = "0.1.0"
