"""The switches that change how nodes are recorded: ``no_grad``, ``scope`` and anomaly mode, per thread.

Each thread has its own state (a ``threading.local``, as PyTorch's grad mode): a block in one thread never changes
another thread's recording, and every block restores exactly what it found. The forward hot path tests one flag,
"no block is open in any thread", which this module tells its listeners (:func:`listen`) whenever it changes; only
while it is False does node construction read the thread's state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_grad", "is_grad_enabled", "scope", "current_scope", "detect_anomaly", "anomaly_enabled", "state",
           "listen", "GRAD_ENABLED", "ANOMALY", "SCOPE"]

GRAD_ENABLED, ANOMALY, SCOPE = 0, 1, 2  # positions in state.mode


class _State(threading.local):
    # the class attribute is every new thread's default; one tuple, so node construction reads the thread's state
    # once (a thread-local read costs about ten global reads)
    mode = (True, False, None)  # (grad enabled, anomaly mode, scope path)


state = _State()
_open = 0  # switch blocks open in all threads
_lock = threading.Lock()
_listeners: list = []


def listen(callback) -> None:
    """Call ``callback(plain)`` whenever "no switch block is open in any thread" changes, so a hot loop can keep
    that flag in a global of its own."""
    _listeners.append(callback)


def _set(index: int, value) -> None:
    mode = list(state.mode)
    mode[index] = value
    state.mode = tuple(mode)


@contextmanager
def _switched(index: int, value) -> Iterator[None]:
    # sets one field of this thread's mode for the block and restores that field alone (blocks may close out of
    # order); counts open blocks across threads for the hot path's flag
    global _open
    previous = state.mode[index]
    with _lock:
        _open += 1
        for tell in _listeners:
            tell(False)
    _set(index, value)
    try:
        yield
    finally:
        _set(index, previous)
        with _lock:
            _open -= 1
            for tell in _listeners:
                tell(_open == 0)


def no_grad():
    """Context manager: ops inside it record no parents, so their results are leaves (like ``torch.no_grad``).

    Use it for parameter updates and evaluation, where no graph is needed. It affects only the calling thread.
    """
    return _switched(GRAD_ENABLED, False)


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` (in this thread)."""
    return state.mode[GRAD_ENABLED]


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Context manager: Values created inside carry the scope ``name`` (nested scopes join with ``/``).

    The renderer draws each scope as a cluster, e.g. one box per layer of a network. Per thread.
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"scope: name must be a non-empty string without '/', got {name!r}")
    outer = state.mode[SCOPE]
    path = f"{outer}/{name}" if outer else name
    with _switched(SCOPE, path):
        yield path


def current_scope() -> str | None:
    """The innermost active scope path of this thread (``"layer1/neuron0"``), or None."""
    return state.mode[SCOPE]


def detect_anomaly():
    """Context manager: raise :class:`autograd_core.AnomalyError` at the first nan or inf, forward or backward.

    Domain errors (``log`` of 0, ``0 ** -1``, ``exp`` overflow) are raised as subclasses of both AnomalyError and
    their usual type (ValueError, ZeroDivisionError, OverflowError), with the likely cause in the message. Per
    thread.
    """
    return _switched(ANOMALY, True)


def anomaly_enabled() -> bool:
    """True inside :func:`detect_anomaly` (in this thread)."""
    return state.mode[ANOMALY]
