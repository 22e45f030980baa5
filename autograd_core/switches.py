"""The switches that change how nodes are recorded: ``no_grad``, ``scope`` and anomaly mode, per thread.

Each thread has its own state (a ``threading.local``, as PyTorch's grad mode): a block in one thread never changes
another thread's recording, and every block restores exactly what it found. The forward hot path tests one module
flag, :data:`plain`, which is True while no block is open in any thread; only then may it skip reading the
thread's state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_grad", "is_grad_enabled", "scope", "current_scope", "detect_anomaly", "anomaly_enabled", "state",
           "plain", "listen"]


class _State(threading.local):
    # class attributes are every new thread's defaults; `mode` repeats the three fields as one tuple, so node
    # construction reads the thread's state once (a thread-local read costs about ten global reads)
    grad_enabled = True
    anomaly = False
    scope: str | None = None
    mode = (True, False, None)


state = _State()
plain = True  # no switch block is open in any thread: the hot path records plainly
_open = 0
_lock = threading.Lock()
_listeners: list = []


def listen(callback) -> None:
    """Call ``callback(plain)`` whenever :data:`plain` changes, so a hot loop can keep it in a global of its own."""
    _listeners.append(callback)


@contextmanager
def _switched(name: str, value) -> Iterator[None]:
    # sets one field of this thread's state for the block; counts open blocks across threads for `plain`
    global _open, plain
    previous = getattr(state, name)
    with _lock:
        _open += 1
        plain = False
        for tell in _listeners:
            tell(False)
    setattr(state, name, value)
    state.mode = (state.grad_enabled, state.anomaly, state.scope)
    try:
        yield
    finally:
        setattr(state, name, previous)
        state.mode = (state.grad_enabled, state.anomaly, state.scope)
        with _lock:
            _open -= 1
            plain = _open == 0
            for tell in _listeners:
                tell(plain)


def no_grad():
    """Context manager: ops inside it record no parents, so their results are leaves (like ``torch.no_grad``).

    Use it for parameter updates and evaluation, where no graph is needed. It affects only the calling thread.
    """
    return _switched("grad_enabled", False)


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` (in this thread)."""
    return state.grad_enabled


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Context manager: Values created inside carry the scope ``name`` (nested scopes join with ``/``).

    The renderer draws each scope as a cluster, e.g. one box per layer of a network. Per thread.
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"scope: name must be a non-empty string without '/', got {name!r}")
    path = f"{state.scope}/{name}" if state.scope else name
    with _switched("scope", path):
        yield path


def current_scope() -> str | None:
    """The innermost active scope path of this thread (``"layer1/neuron0"``), or None."""
    return state.scope


def detect_anomaly():
    """Context manager: raise :class:`autograd_core.AnomalyError` at the first nan or inf, forward or backward.

    Domain errors (``log`` of 0, ``0 ** -1``, ``exp`` overflow) are raised as subclasses of both AnomalyError and
    their usual type (ValueError, ZeroDivisionError, OverflowError), with the likely cause in the message. Per
    thread.
    """
    return _switched("anomaly", True)


def anomaly_enabled() -> bool:
    """True inside :func:`detect_anomaly` (in this thread)."""
    return state.anomaly
