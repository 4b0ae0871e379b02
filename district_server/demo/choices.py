"""Weighted picks, the demo's way of drawing from a distribution."""
from __future__ import annotations

import random
from typing import Any


def weighted(*pairs: tuple[Any, float]) -> tuple[list[Any], list[float]]:
    """Values and cumulative weights for `rng.choices(..., cum_weights=...)`."""
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    return rng.choices(table[0], cum_weights=table[1])[0]
