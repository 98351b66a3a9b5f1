"""The levels of a line table that prints no codes, read from its sums.

Some templates print names only (一般公共服务支出 / 人大事务 / 行政运行 …), the level shown by
indentation that the text layer does not keep. The amounts still say it: a parent's amounts are
the sum of the rows under it, in every column. This module finds the nesting that makes every
printed parent (and the 合计) the sum of its rows, preferring the deeper reading where both add up
(a 类 with a single 款 with a single 项 prints the same amounts three times: the last is the leaf).

A search with a step budget: a table no nesting explains within it gets no levels (None), never a
guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

Vector = tuple[Decimal, ...]
_STEPS = 50_000


class _OutOfSteps(Exception):
    pass


def nesting(
    values: Sequence[Vector], total: Vector | None, max_depth: int = 3, tolerance: Decimal = Decimal(0)
) -> list[int] | None:
    """The depth of each row (0 = top), or None when no nesting adds up.

    ``values``: each row's amounts (blank = 0), columns in the same order as ``total`` (the 合计
    row's, which the top rows must add up to; None when the table prints none: then only the
    parents must add up).
    """
    n = len(values)
    width = len(values[0]) if values else 0
    memo: dict[tuple[int, Vector | None, int], tuple[int, list[int]] | None] = {}
    steps = [0]

    def zero(v: Vector) -> bool:
        return all(abs(x) <= tolerance for x in v)

    def minus(a: Vector | None, b: Vector) -> Vector | None:
        return None if a is None else tuple(x - y for x, y in zip(a, b, strict=True))

    def over(v: Vector, remaining: Vector | None) -> bool:
        return remaining is not None and any(x - r > tolerance for x, r in zip(v, remaining, strict=True))

    def run(i: int, remaining: Vector | None, depth: int) -> tuple[int, list[int]] | None:
        """Siblings from row i at ``depth`` adding up to ``remaining``: (end, their depths)."""
        key = (i, remaining, depth)
        if key in memo:
            return memo[key]
        steps[0] += 1
        if steps[0] > _STEPS:
            raise _OutOfSteps
        result: tuple[int, list[int]] | None = None
        if remaining is not None and zero(remaining):
            result = (i, [])
        elif i >= n:
            result = (i, []) if remaining is None else None
        elif not over(values[i], remaining):
            if depth + 1 < max_depth and not zero(values[i]):
                kids = run(i + 1, values[i], depth + 1)
                if kids is not None and kids[0] > i + 1:
                    rest = run(kids[0], minus(remaining, values[i]), depth)
                    if rest is not None:
                        result = (rest[0], [depth, *kids[1], *rest[1]])
            if result is None:
                rest = run(i + 1, minus(remaining, values[i]), depth)
                if rest is not None:
                    result = (rest[0], [depth, *rest[1]])
        memo[key] = result
        return result

    if not values or (total is not None and len(total) != width):
        return None
    try:
        found = run(0, total, 0)
    except (_OutOfSteps, RecursionError):
        return None
    return found[1] if found is not None and found[0] == n else None


def leaves(depths: list[int]) -> list[bool]:
    """Whether each row is a leaf: the next row is not deeper."""
    return [i + 1 >= len(depths) or depths[i + 1] <= d for i, d in enumerate(depths)]
