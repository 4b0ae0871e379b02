"""What a write to the cache changed (after Anki's `OpChanges`).

Every write (an edit, a pulled page, a server's answer, a bootstrap, a
purge) returns one, and the screens refresh only the rows they show that it
names: a blanket "data changed" that reloads every screen is what this
replaces.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

Key = tuple[str, str]  # (kind, record id)


@dataclass(frozen=True)
class Changes:
    """`records`: kind -> ids written; `everything`: every record may have
    changed (a bootstrap, a purge); `outbox`: the changes waiting to be
    sent changed (their counts on the status bar); `written`: how many
    records were written (for the sync's report)."""

    records: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({}))
    everything: bool = False
    outbox: bool = False
    written: int = 0

    @classmethod
    def of(cls, keys: Iterable[Key], *, outbox: bool = False) -> Changes:
        records: dict[str, set[str]] = {}
        for kind, record_id in keys:
            records.setdefault(kind, set()).add(record_id)
        return cls(MappingProxyType({k: frozenset(v) for k, v in records.items()}),
                   outbox=outbox, written=sum(len(v) for v in records.values()))

    @classmethod
    def all(cls, written: int = 0) -> Changes:
        return cls(everything=True, outbox=True, written=written)

    def __bool__(self) -> bool:
        return self.everything or self.outbox or any(self.records.values())

    def __or__(self, other: Changes) -> Changes:
        written = self.written + other.written
        if self.everything or other.everything:
            return Changes(everything=True, outbox=self.outbox or other.outbox, written=written)
        merged = {k: self.records.get(k, frozenset()) | other.records.get(k, frozenset())
                  for k in {*self.records, *other.records}}
        return Changes(MappingProxyType(merged), outbox=self.outbox or other.outbox,
                       written=written)

    def touches(self, *kinds: str) -> bool:
        return self.everything or any(self.records.get(k) for k in kinds)

    def ids(self, kind: str) -> frozenset[str] | None:
        """The ids of `kind` written; None when any may have changed."""
        if self.everything:
            return None
        return self.records.get(kind, frozenset())

    def keys(self) -> set[Key]:
        return {(kind, rid) for kind, ids in self.records.items() for rid in ids}


NOTHING = Changes()
