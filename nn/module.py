"""`Module`: the base class of every network piece (parameters, names, state, JSON save/load).

A module owns its parameters as *tensors*: a scalar Value, a list of Values (a bias vector ``b[j]``) or a list of
lists (a weight matrix ``W[j][k]``, the weight from input k to neuron j). Everything else (the flat parameter list,
readable names, ``state_dict``, files) is derived from the subclass's :meth:`Module.named_tensors`.

Calling a module returns a **list of Values, one per output, or the Value itself when there is a single output**
(a :class:`~nn.layers.Neuron`, a layer of one neuron, an MLP ending in one), as micrograd does; :meth:`Module.predict`
follows the call (a list of floats, or one float). Losses, ``fit``, ``evaluate`` and the accuracy rules take either
form; ``nn.delta`` and ``to_torch`` work on the layers' vectors and are the same for both.

Files are JSON, never pickle (loading a pickle runs code). ``save`` writes a temporary file in the target directory
and renames it over the target, so a crash never leaves a half-written model. ``load`` rejects anything that is not
exactly a model file: wrong types, missing or extra keys, wrong shapes, non-finite numbers, duplicate keys, deep
nesting, oversized files. The concrete classes register themselves in :data:`MODEL_TYPES` (``nn.layers`` does so
when it is imported), so the loader builds a model without importing the module that defines it.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from typing import NamedTuple, Union

from autograd_core import Value, no_grad
from autograd_core.files import atomic_write

from .export import to_torch

__all__ = ["Module", "ParamTensor", "Dense", "ModelFileError", "FILE_FORMAT", "FILE_VERSION", "MAX_FILE_BYTES",
           "MODEL_TYPES", "VIEWS", "register_model", "model_from_config", "load", "check_input", "check_tensor",
           "check_state", "describe"]

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


class Dense(NamedTuple):
    """One fully connected layer of a model, ``a = g(W a_prev + b)``, as :meth:`Module.dense_layers` lists it.

    ``W`` is the list of weight rows (``W[j][k]``: input k to neuron j) and ``b`` the list of biases, both of the
    model's own Values; ``activation`` is a name of :data:`nn.activations.OUTPUT_ACTIVATIONS`; ``names`` are the
    :meth:`Module.state_dict` names of the tensors holding ``W`` and ``b``.
    """

    W: list
    b: list
    activation: str
    names: tuple


def _numbers(x) -> list:
    """The numbers of a nested list (or a lone number), row-major: the order of :func:`_flat`."""
    return [y for row in x for y in _numbers(row)] if isinstance(x, list) else [x]


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


def describe(x: object) -> str:
    """``"<type> <repr, cut at 60 characters>"``: how error messages show a value that was given."""
    text = repr(x)
    return f"{type(x).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def check_tensor(where: str, value: object, shape: tuple) -> None:
    """Raise ModelFileError unless ``value`` is a nested list of finite numbers of exactly ``shape``."""
    if shape == ():
        rows: list = [[value]]
    elif len(shape) == 1:
        if not isinstance(value, list) or len(value) != shape[0]:
            raise ModelFileError(f"{where}: expected a list of {shape[0]} numbers, got {describe(value)}")
        rows = [value]
    else:
        if not isinstance(value, list) or len(value) != shape[0]:
            raise ModelFileError(f"{where}: expected {shape[0]} rows of {shape[1]} numbers, got {describe(value)}")
        for j, row in enumerate(value):
            if not isinstance(row, list) or len(row) != shape[1]:
                raise ModelFileError(f"{where}[{j}]: expected a list of {shape[1]} numbers, got {describe(row)}")
        rows = value
    for j, row in enumerate(rows):
        for k, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise ModelFileError(f"{where}: entry [{j}][{k}] must be a number, got {describe(x)}")
            try:
                finite = math.isfinite(float(x))
            except OverflowError:  # a JSON integer too large for a float
                finite = False
            if not finite:
                raise ModelFileError(f"{where}: entry [{j}][{k}] must be finite, got {describe(x)}")


def check_state(where: str, state: object, shapes: dict) -> None:
    """Raise ModelFileError unless ``state`` maps exactly the names of ``shapes`` to tensors of those shapes.

    The error lists what is missing and what is extra, or names the first misshapen or non-finite entry.
    """
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: the state must be a dict of tensors (a JSON object), got {describe(state)}")
    missing = [n for n in shapes if n not in state]
    extra = [str(n) for n in state if n not in shapes]
    if missing or extra:
        raise ModelFileError(f"{where}: missing {missing}, unexpected {extra[:10]} (the model has "
                             f"{', '.join(shapes)})")
    for name, shape in shapes.items():
        check_tensor(f"{where}: {name!r}", state[name], shape)


# why a container is not an input vector, and the fix (checked in this order)
_INPUT_FIXES = (
    ((numbers.Number, Value), "wrap a single number in a list"),
    (Mapping, "a dict's keys are not inputs: pass its values as a list in a fixed order"),
    (Set, "a set has no order: pass a list"),
    ((str, bytes, bytearray), "convert the text to numbers first"),
    (Iterator, "materialise it first with list(...)"),
)


def check_input(where: str, x: object, n: int) -> Sequence:
    """``x`` itself if it can be a model input: a sequence of ``n`` numbers or Values (list, tuple, 1-D array).

    A set, dict, str, generator, scalar or an array of another rank is a TypeError naming ``where``, what was given
    and the fix (a dict's keys would silently become the inputs, a set's order is arbitrary); a sequence of another
    length is a ValueError. The entries themselves are checked where they are converted.
    """
    if type(x) is not list and type(x) is not tuple:
        ndim = getattr(x, "ndim", None)
        if ndim is not None:  # numpy arrays and the like are not registered as Sequence
            fix = None if ndim == 1 else ("wrap a single number in a list" if ndim == 0 else
                                          f"a {ndim}-D array holds several inputs: pass one row (x[i]) at a time")
        elif isinstance(x, Sequence) and not isinstance(x, (str, bytes, bytearray)):
            fix = None
        else:
            fix = next((f for kinds, f in _INPUT_FIXES if isinstance(x, kinds)), "convert it with list(...)")
        if fix is not None:
            raise TypeError(f"{where}: input must be a sequence of {n} numbers or Values (a list, tuple or 1-D "
                            f"array), got {describe(x)}; {fix}")
    if len(x) != n:
        raise ValueError(f"{where}: expected an input of length {n}, got length {len(x)}")
    return x


class Module(ABC):
    """Abstract base class: subclasses implement ``__call__``, :meth:`named_tensors` and :meth:`config`.

    ``module(x)`` takes a sequence of numbers or Values (:func:`check_input`) and returns a list of Values (one per
    output), or the Value itself for a module with a single output. Optional: :meth:`dense_layers` (for ``nn.delta``
    and ``to_torch``) and a ``from_config`` classmethod registered with :func:`register_model` (for :func:`load`).
    """

    @abstractmethod
    def __call__(self, x) -> Union[Value, list]:
        """The module's outputs for input ``x``: a list of Values, or the Value itself for a single output."""

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

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's ``.grad`` to 0.0 (leaves accumulate across ``backward`` calls).

        ``set_to_none=True`` sets them to None instead, as PyTorch does: backward accumulates onto a None grad
        from 0.0, and the optimizers skip a parameter whose grad is still None (no gradient reached it).
        """
        zero = None if set_to_none else 0.0
        for p in self.parameters():
            p.grad = zero

    def predict(self, x) -> Union[float, list]:
        """``module(x)`` as plain floats, computed under ``no_grad`` (no graph is kept): a list of floats, one per
        output, or the float itself for a single output (the same form as the call)."""
        with no_grad():
            out = self(x)
        return out.data if isinstance(out, Value) else [v.data for v in out]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """``{tensor name: nested lists of floats}``, e.g. ``{"layers.0.W": [[...], ...], "layers.0.b": [...]}``."""
        return {t.name: _data(t.values) for t in self.named_tensors()}

    def load_state_dict(self, state: dict) -> None:
        """Copy the numbers of ``state`` (as made by :meth:`state_dict`) into the parameters.

        Everything is validated before anything is written: the names must be exactly the module's (the error lists
        what is missing and what is extra), every shape must match and every entry must be a finite number.
        """
        tensors = self.named_tensors()
        check_state("load_state_dict", state, {t.name: _shape(t.values) for t in tensors})
        for t in tensors:
            for (_, v), x in zip(_flat(t.name, t.values), _numbers(state[t.name])):
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
        return to_torch(self)

    # ------------------------------------------------------------------ views (filled in by higher floors)
    def diagram(self, x, target=None, loss=None, **kw):
        """The lectures' network diagram of this model for one example: :func:`nn.diagram.diagram` (same arguments).

        Layers as columns, neurons showing ``z``, ``a`` and (with a ``target``) ``δ = ∂L/∂z``, edges ``w^l_jk`` with
        ``∂L/∂w^l_jk = δ^l_j a^{l-1}_k``; ``.svg()``, ``.html()``, ``.save(path)``, shown inline in Jupyter.
        """
        view = VIEWS.get("diagram")
        if view is None:
            raise RuntimeError(f"{type(self).__name__}.diagram: the diagram view is not loaded; import nn (which "
                               "imports nn.diagram) before calling it")
        return view(self, x, target, loss, **kw)

    # ------------------------------------------------------------------ layers (delta rule, export, loader)
    def dense_layers(self) -> list:
        """The model's fully connected layers, input first, as :class:`Dense` ``(W, b, activation, names)``.

        The one description of "what layers this model has" that ``nn.delta`` and ``to_torch`` read. The base class
        has none (TypeError); ``MLP``, ``Layer`` and ``Neuron`` override it.
        """
        raise TypeError(f"{type(self).__name__} does not list dense layers; nn.delta and to_torch need an MLP, "
                        "Layer or Neuron (or a module that overrides dense_layers)")


# view name -> function(model, x, target, loss, **kw); nn.diagram fills "diagram" on import (module never imports it)
VIEWS: dict = {}

# config "class" -> that class's ``from_config(config, state)``; filled by register_model (nn.layers, on import)
MODEL_TYPES: dict = {}


def register_model(cls: type) -> type:
    """Class decorator: let :func:`load` build ``cls`` from a file, via ``cls.from_config(config, state)``.

    ``from_config`` must check the config and that ``state`` fits it (:func:`check_state`) before it allocates
    anything, and raise :class:`ModelFileError` otherwise. The config's ``"class"`` is ``cls.__name__``.
    """
    if not callable(getattr(cls, "from_config", None)):
        raise TypeError(f"register_model: {cls.__name__} has no from_config(config, state) classmethod")
    MODEL_TYPES[cls.__name__] = cls.from_config
    return cls


def model_from_config(config: object, state: object) -> Module:
    """Build the module described by a saved ``config`` (with :data:`MODEL_TYPES`), its state checked against it.

    The state's names and shapes are checked against the config *before* anything is allocated, so a hostile file
    cannot make the loader build a huge model. Raises :class:`ModelFileError`.
    """
    if not isinstance(config, dict):
        raise ModelFileError(f"model config must be a JSON object, got {type(config).__name__}")
    kind = config.get("class")
    build: Callable | None = MODEL_TYPES.get(kind) if isinstance(kind, str) else None
    if build is None:
        raise ModelFileError(f"model config: unknown class {kind!r:.80}; valid: {', '.join(MODEL_TYPES)}")
    return build(config, state)


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
        raise ModelFileError(f"{where}: the top level must be a JSON object, got {describe(document)}")
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
