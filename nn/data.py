"""Batching for the three gradient-descent variants of the lectures.

``batch_size=None`` is batch (deterministic) gradient descent: one batch of all N examples per update.
``batch_size=1`` is stochastic (online) gradient descent: one example per update. ``batch_size=m`` is minibatch
gradient descent: m examples per update (the last batch is smaller when m does not divide N, unless
``drop_last=True``).

Shuffling uses a private ``random.Random``: an int seed makes the order reproducible, a ``random.Random`` instance
continues its own stream (``fit`` passes one so that every epoch gets a new order), and the global ``random`` state
is never touched.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Iterator, Sequence
from typing import Union

__all__ = ["batches", "num_batches"]


def _check(X: Sequence, y: Sequence, batch_size: int | None) -> int:
    try:
        n, ny = len(X), len(y)
    except TypeError:
        raise TypeError(f"batches: X and y must be sequences (lists, tuples, arrays), got {type(X).__name__} and "
                        f"{type(y).__name__}") from None
    if n != ny:
        raise ValueError(f"batches: X has {n} examples but y has {ny}; they must have one target per example")
    if n == 0:
        raise ValueError("batches: no examples (X is empty)")
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"batches: batch_size must be None (full batch), 1 (stochastic) or a positive int m "
                            f"(minibatch), got {type(batch_size).__name__} {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batches: batch_size must be None, 1 or a positive int, got {batch_size!r}")
    return n


def num_batches(n: int, batch_size: int | None, drop_last: bool = False) -> int:
    """How many batches :func:`batches` yields for ``n`` examples."""
    if batch_size is None:
        return 1
    return n // batch_size if drop_last else -(-n // batch_size)


def batches(X: Sequence, y: Sequence, batch_size: int | None = None, shuffle: bool = True,
            seed: Union[int, None, random.Random] = None, drop_last: bool = False) -> Iterator[tuple]:
    """Return an iterator of ``(X_batch, y_batch)`` lists covering the data once (one epoch).

    Args:
        X, y: the examples and their targets (same length).
        batch_size: None (full batch, in the original order: shuffling would change nothing but rounding),
            1 (stochastic) or m (minibatch).
        shuffle: visit the examples in a random order (ignored for the full batch).
        seed: an int (reproducible order), None (fresh OS entropy) or a ``random.Random`` whose stream continues.
        drop_last: skip a final batch smaller than ``batch_size``.

    The arguments are checked when it is called, not when the iteration starts.
    """
    n = _check(X, y, batch_size)
    if isinstance(seed, bool) or not (seed is None or isinstance(seed, (numbers.Integral, random.Random))):
        raise TypeError(f"batches: seed must be an int, None or a random.Random, got {type(seed).__name__}")
    order = list(range(n))
    if batch_size is not None and shuffle:
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        rng.shuffle(order)
    return _iterate(X, y, order, n if batch_size is None else batch_size, drop_last)


def _iterate(X: Sequence, y: Sequence, order: list, size: int, drop_last: bool) -> Iterator[tuple]:
    for start in range(0, len(order), size):
        idx = order[start:start + size]
        if drop_last and len(idx) < size:
            return
        yield [X[i] for i in idx], [y[i] for i in idx]
