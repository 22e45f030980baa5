"""`Module`: the base class of every network piece (parameters, names, state, JSON save/load).

A module owns its parameters as *tensors*: a scalar Value, a list of Values (a bias vector ``b[j]``) or a list of
lists (a weight matrix ``W[j][k]``, the weight from input k to neuron j). Everything else (the flat parameter list,
readable names, ``state_dict``, files) is derived from the subclass's :meth:`Module.named_tensors`.

Calling a module always returns a **list of Values**, one per output (also for a single output and for a single
:class:`~nn.layers.Neuron`): losses, ``fit``, ``nn.delta`` and ``to_torch`` all use that one convention.

Files are JSON, never pickle (loading a pickle runs code). ``save`` writes a temporary file in the target directory
and renames it over the target, so a crash never leaves a half-written model. ``load`` rejects anything that is not
exactly a model file: wrong types, missing or extra keys, wrong shapes, non-finite numbers, duplicate keys, deep
nesting, oversized files.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from abc import ABC, abstractmethod
from typing import NamedTuple, Union

from autograd_core import Value, atomic_write, no_grad

__all__ = ["Module", "ParamTensor", "ModelFileError", "FILE_FORMAT", "FILE_VERSION", "MAX_FILE_BYTES", "load"]

FILE_FORMAT = "autograd-core.nn"
FILE_VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024

Tensor = Union[Value, list]


class ModelFileError(ValueError):
    """A model file (or state dict read from one) that cannot be loaded: the message says which file and why."""


class ParamTensor(NamedTuple):
    """One named parameter tensor of a module: ``values`` is a Value, a list of Values or a list of lists."""

    name: str
    values: Tensor
    is_bias: bool


def _shape(t: Tensor) -> tuple:
    if isinstance(t, Value):
        return ()
    if t and isinstance(t[0], list):
        return (len(t), len(t[0]))
    return (len(t),)


def _flat(name: str, t: Tensor) -> list:
    """(element name, Value) pairs of one tensor, row-major: ``W[0][0], W[0][1], ..., W[1][0], ...``."""
    if isinstance(t, Value):
        return [(name, t)]
    if t and isinstance(t[0], list):
        return [(f"{name}[{j}][{k}]", v) for j, row in enumerate(t) for k, v in enumerate(row)]
    return [(f"{name}[{j}]", v) for j, v in enumerate(t)]


def _data(t: Tensor):
    if isinstance(t, Value):
        return t.data
    if t and isinstance(t[0], list):
        return [[v.data for v in row] for row in t]
    return [v.data for v in t]


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _describe(x: object) -> str:
    text = repr(x)
    return f"{type(x).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _check_tensor(where: str, value: object, shape: tuple) -> None:
    """Raise ModelFileError unless ``value`` is a nested list of finite numbers of exactly ``shape``."""
    if shape == ():
        rows: list = [[value]]
    elif len(shape) == 1:
        if not isinstance(value, list) or len(value) != shape[0]:
            raise ModelFileError(f"{where}: expected a list of {shape[0]} numbers, got {_describe(value)}")
        rows = [value]
    else:
        if not isinstance(value, list) or len(value) != shape[0]:
            raise ModelFileError(f"{where}: expected {shape[0]} rows of {shape[1]} numbers, got {_describe(value)}")
        for j, row in enumerate(value):
            if not isinstance(row, list) or len(row) != shape[1]:
                raise ModelFileError(f"{where}[{j}]: expected a list of {shape[1]} numbers, got {_describe(row)}")
        rows = value
    for j, row in enumerate(rows):
        for k, x in enumerate(row):
            if not _is_number(x):
                raise ModelFileError(f"{where}: entry [{j}][{k}] must be a number, got {_describe(x)}")
            try:
                finite = math.isfinite(float(x))
            except OverflowError:  # a JSON integer too large for a float
                finite = False
            if not finite:
                raise ModelFileError(f"{where}: entry [{j}][{k}] must be finite, got {_describe(x)}")


class Module(ABC):
    """Abstract base class: subclasses implement ``__call__``, :meth:`named_tensors` and :meth:`config`.

    ``module(x)`` takes a sequence of numbers or Values and returns a list of Values (one per output).
    """

    @abstractmethod
    def __call__(self, x) -> list:
        """The module's outputs for input ``x``: always a list of Values."""

    # ------------------------------------------------------------------ structure (subclasses)
    @abstractmethod
    def named_tensors(self) -> list:
        """The module's parameter tensors as :class:`ParamTensor` (name, Values, is_bias), in a stable order."""

    @abstractmethod
    def config(self) -> dict:
        """The constructor arguments as a JSON-compatible dict (with ``"class"``), used by :meth:`save`."""

    # ------------------------------------------------------------------ parameters
    def named_parameters(self) -> list:
        """``[(name, Value), ...]`` in :meth:`parameters` order, e.g. ``("layers.1.W[3][0]", Value)``."""
        return [pair for t in self.named_tensors() for pair in _flat(t.name, t.values)]

    def parameters(self) -> list:
        """Every parameter Value, in a stable order: per tensor (``W`` row by row, then ``b``), tensor by tensor."""
        return [v for _, v in self.named_parameters()]

    def weights(self) -> list:
        """The parameters that are not biases (what :func:`nn.losses.l2_penalty` regularises)."""
        return [v for t in self.named_tensors() if not t.is_bias for _, v in _flat(t.name, t.values)]

    def num_parameters(self) -> int:
        """Number of scalar parameters (``MLP(1, [2, 2, 1])`` has 13)."""
        return len(self.named_parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (leaves accumulate across ``backward`` calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def predict(self, x) -> list:
        """``module(x)`` as plain floats, computed under ``no_grad`` (no graph is kept)."""
        with no_grad():
            return [v.data for v in self(x)]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """``{tensor name: nested lists of floats}``, e.g. ``{"layers.0.W": [[...], ...], "layers.0.b": [...]}``."""
        return {t.name: _data(t.values) for t in self.named_tensors()}

    def load_state_dict(self, state: dict) -> None:
        """Copy the numbers of ``state`` (as made by :meth:`state_dict`) into the parameters.

        Everything is validated before anything is written: the names must be exactly the module's (the error lists
        what is missing and what is extra), every shape must match and every entry must be a finite number.
        """
        if not isinstance(state, dict):
            raise ModelFileError(f"load_state_dict: expected a dict of tensors, got {_describe(state)}")
        tensors = self.named_tensors()
        expected = [t.name for t in tensors]
        missing = [n for n in expected if n not in state]
        extra = [n for n in state if n not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(repr(n) for n in missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(repr(str(n)) for n in extra[:10])}")
            raise ModelFileError(f"load_state_dict: {'; '.join(parts)} (the model has {', '.join(expected)})")
        for t in tensors:
            _check_tensor(f"load_state_dict: {t.name!r}", state[t.name], _shape(t.values))
        for t in tensors:
            new, values = state[t.name], t.values
            if isinstance(values, Value):
                values.data = float(new)
            elif values and isinstance(values[0], list):
                for row, new_row in zip(values, new):
                    for v, x in zip(row, new_row):
                        v.data = float(x)
            else:
                for v, x in zip(values, new):
                    v.data = float(x)

    # ------------------------------------------------------------------ files
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the model (config and weights) to ``path`` as JSON, atomically (temporary file + ``os.replace``).

        Raises ValueError, and leaves any existing file untouched, if a weight is nan or infinite.
        """
        for name, v in self.named_parameters():
            if not math.isfinite(v.data):
                raise ValueError(f"save: parameter {name} is {v.data!r}; only finite weights can be saved "
                                 "(the training diverged: try a smaller learning rate or gradient clipping)")
        document = {"format": FILE_FORMAT, "version": FILE_VERSION, "model": self.config(),
                    "state": self.state_dict()}
        text = json.dumps(document, allow_nan=False)
        atomic_write(path, text)

    @classmethod
    def load(cls, path: Union[str, os.PathLike], max_bytes: int = MAX_FILE_BYTES) -> Module:
        """Read a model written by :meth:`save`; ``MLP.load(p)`` also checks that the file holds an MLP.

        Raises :class:`ModelFileError` (a ValueError) naming the file and the problem for anything that is not a
        valid model file.
        """
        model = load(path, max_bytes=max_bytes)
        if cls is not Module and not isinstance(model, cls):
            raise ModelFileError(f"{os.fspath(path)}: holds a {type(model).__name__}, not a {cls.__name__}; "
                                 f"use nn.load() to load any model")
        return model

    def to_torch(self):
        """This network as a ``torch.nn.Sequential`` in float64 with identical weights (see :mod:`nn.export`)."""
        from .export import to_torch

        return to_torch(self)


def _reject_constant(name: str) -> None:
    raise ModelFileError(f"{name} is not allowed in a model file (weights must be finite numbers)")


def _no_duplicates(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"duplicate key {key!r}")
        out[key] = value
    return out


def load(path: Union[str, os.PathLike], max_bytes: int = MAX_FILE_BYTES) -> Module:
    """Read any model written by :meth:`Module.save` (an MLP, a Layer or a Neuron) and return it.

    Raises :class:`ModelFileError` naming the file and the problem: not JSON, truncated, nan/Infinity, duplicate
    keys, nesting too deep, larger than ``max_bytes``, wrong top-level keys, unknown model class, bad config, or a
    state that does not match the config (missing, extra or misshapen tensors).
    """
    from .layers import model_from_config  # layers imports this module

    where = os.fspath(path)
    size = os.path.getsize(where)
    if size > max_bytes:
        raise ModelFileError(f"{where}: file is {size} bytes, more than max_bytes={max_bytes}; "
                             "pass a larger max_bytes if the model really is that big")
    with open(where, "rb") as f:
        raw = f.read(max_bytes + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{where}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except ModelFileError as e:
        raise ModelFileError(f"{where}: {e}") from None
    except RecursionError:
        raise ModelFileError(f"{where}: JSON nesting too deep for a model file (hostile or corrupt)") from None
    except ValueError as e:  # JSONDecodeError, or an integer literal longer than Python's digit limit
        raise ModelFileError(f"{where}: not valid JSON (truncated or corrupt): {e}") from None
    if not isinstance(document, dict):
        raise ModelFileError(f"{where}: the top level must be a JSON object, got {_describe(document)}")
    keys = {"format", "version", "model", "state"}
    if set(document) != keys:
        missing = sorted(keys - set(document))
        extra = sorted(str(k) for k in set(document) - keys)
        raise ModelFileError(f"{where}: top-level keys must be {sorted(keys)}; missing {missing}, unexpected {extra}")
    if document["format"] != FILE_FORMAT:
        raise ModelFileError(f"{where}: format is {document['format']!r}, expected {FILE_FORMAT!r}")
    if type(document["version"]) is not int or document["version"] != FILE_VERSION:
        raise ModelFileError(f"{where}: unsupported version {document['version']!r} (this library reads "
                             f"version {FILE_VERSION})")
    try:
        model = model_from_config(document["model"], document["state"])
        model.load_state_dict(document["state"])
    except (ModelFileError, ValueError, TypeError) as e:
        raise ModelFileError(f"{where}: {e}") from None
    return model
