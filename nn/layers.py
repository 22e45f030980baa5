"""Neurons, layers and multi-layer perceptrons, in the lectures' notation.

``layer.W[j][k]`` is the weight from input k to neuron j and ``layer.b[j]`` the bias of neuron j, so a layer computes
``z_j = b_j + Σ_k W[j][k] x_k`` (one ``autograd_core.sum`` node per neuron) and ``a_j = g(z_j)``. An :class:`MLP` is
the cascade ``a[l] = g(W[l] a[l-1] + b[l])``, ``a[0] = x``, with output ``a[L] = o(z[L])``.

**A call returns a list of Values, one per output; a model with a single output returns that Value itself**, as
micrograd does: a :class:`Neuron`, a ``Layer(nin, 1)``, an ``MLP(nin, [..., 1])``. So micrograd's
``sum((yout - ygt) ** 2 for ygt, yout in zip(ys, [model(x) for x in xs]))`` runs unchanged, and every loss of
:mod:`nn.losses` takes either form.

Activations: those of :mod:`nn.activations` (``linear sigmoid tanh relu leaky_relu softplus elu step sin cos abs``,
the op table's activations applied elementwise; output layers also ``softmax``). The table's other unary ops (exp,
log, sqrt, pow) are not offered: they overflow or are undefined on part of the real line.

Initialisation (weights; biases start at 0): ``xavier`` U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), ``he``
U(-a, a) with a = sqrt(6 / fan_in), ``uniform`` U(-1, 1) (micrograd's). The draws come from a private
``random.Random(seed)``: the same seed gives the same weights and the global ``random`` state is never touched.

Scopes: Values built inside a layer carry the scope ``layers.<i>`` (``scopes="neuron"`` adds ``layers.<i>/neuron<j>``,
``scopes="none"`` records none and is a little faster), so rendered graphs cluster by layer. Parameters are created
in their layer's and neuron's scope (``layers.<i>/neuron<j>``), so a drawing clusters them with their layer and can
collapse a big model neuron by neuron; plain-number inputs become leaves labelled ``x[0]``, ``x[1]``, ....
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Union

import autograd_core as ag
from autograd_core import Value, scope

from .activations import ACTIVATIONS, ELEMENTWISE, ELU_ALPHA, LEAKY_RELU_SLOPE, OUTPUT_ACTIVATIONS, activation_function
from .losses import softmax
from .module import Dense, ModelFileError, Module, ParamTensor, check_input, check_state, register_model

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "INITS", "SCOPES", "LEAKY_RELU_SLOPE",
           "ELU_ALPHA", "activation_function"]

INITS = ("xavier", "he", "uniform")
SCOPES = ("layer", "neuron", "none")

Seed = Union[int, None, random.Random]


# ---------------------------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------------------------
def _check_size(where: str, what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{where}: {what} must be a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {n!r}")
    return int(n)


def _check_choice(where: str, what: str, name: object, valid: tuple) -> str:
    if not isinstance(name, str) or name not in valid:
        raise ValueError(f"{where}: unknown {what} {name!r}; valid: {', '.join(valid)}")
    return name


def _rng(where: str, seed: Seed) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()  # seeded from the OS, independent of the global random state
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{where}: seed must be an int, None or a random.Random, got {type(seed).__name__} {seed!r}")
    return random.Random(int(seed))


def _stored_seed(seed: Seed) -> int | None:
    return int(seed) if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) else None


def _draw(rng: random.Random, init: str, fan_in: int, fan_out: int, count: int) -> list:
    if init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
    elif init == "he":
        a = math.sqrt(6.0 / fan_in)
    else:
        a = 1.0
    return [rng.uniform(-a, a) for _ in range(count)]


def _inputs(where: str, x: object, n: int) -> list:
    """The input as a list of Values, after the per-call check of its kind and length (:func:`check_input`)."""
    x = check_input(where, x, n)
    try:
        # plain numbers become leaves named as the lectures name inputs: x[0], x[1], ...
        return [xi if isinstance(xi, Value) else Value(xi, f"x[{k}]") for k, xi in enumerate(x)]  # type: ignore
    except TypeError:
        for i, xi in enumerate(x):  # type: ignore[arg-type]
            if not isinstance(xi, (Value, numbers.Real)) or isinstance(xi, bool):
                raise TypeError(f"{where}: input[{i}] must be a number or a Value, got {type(xi).__name__} "
                                f"{xi!r:.60}") from None
        raise


# ---------------------------------------------------------------------------------------------------------------
# checks of a file's config (each class's from_config, which nn.load finds through nn.module.MODEL_TYPES)
# ---------------------------------------------------------------------------------------------------------------
_MAX_WIDTH = 1_000_000


def _config_size(what: str, n: object) -> int:
    if type(n) is not int or not 1 <= n <= _MAX_WIDTH:
        raise ModelFileError(f"model config: {what} must be an int in 1..{_MAX_WIDTH}, got {n!r}")
    return n


def _config_name(what: str, name: object, valid: tuple) -> str:
    if not isinstance(name, str) or name not in valid:
        raise ModelFileError(f"model config: {what} must be one of {', '.join(valid)}, got {name!r}")
    return name


def _config(kind: str, config: dict, keys: tuple) -> tuple:
    """Check a saved config's keys (exactly the common ones plus ``keys``) and common entries: (nin, init, seed)."""
    expected = {"class", "nin", "init", "seed", *keys}
    if set(config) != expected:
        raise ModelFileError(f"model config for {kind}: keys must be {sorted(expected)}; missing "
                             f"{sorted(expected - set(config))}, unexpected "
                             f"{sorted(str(k) for k in set(config) - expected)}")
    seed = config["seed"]
    if seed is not None and type(seed) is not int:
        raise ModelFileError(f"model config: seed must be an int or null, got {seed!r}")
    return _config_size("nin", config["nin"]), _config_name("init", config["init"], INITS), seed


# ---------------------------------------------------------------------------------------------------------------
# modules
# ---------------------------------------------------------------------------------------------------------------
@register_model
class Neuron(Module):
    """One neuron: ``a = g(b + Σ_k w[k] x_k)``. Calling it returns the Value ``a`` (a single output).

    Args:
        nin: number of inputs.
        activation: one of :data:`ACTIVATIONS`.
        init: one of :data:`INITS` (fan_out is 1); the bias starts at 0.
        seed: an int (reproducible weights), None (fresh OS entropy) or a ``random.Random`` to draw from.
    """

    def __init__(self, nin: int, activation: str = "tanh", init: str = "xavier", seed: Seed = None) -> None:
        self.nin = _check_size("Neuron", "nin", nin)
        self.activation = _check_choice("Neuron", "activation", activation, ACTIVATIONS)
        self.init = _check_choice("Neuron", "init", init, INITS)
        self.seed = _stored_seed(seed)
        rng = _rng("Neuron", seed)
        with scope("neuron"):  # the drawing's "neuron" cluster holds the parameters too
            self.w = [Value(x, label=f"w[{k}]") for k, x in enumerate(_draw(rng, init, nin, 1, nin))]
            self.b = Value(0.0, label="b")
        self._act = ELEMENTWISE[activation]

    @classmethod
    def from_values(cls, w: Sequence[Value], b: Value, activation: str = "linear") -> Neuron:
        """A neuron that shares existing parameter Values (e.g. row j of a layer: ``w = W[j]``, ``b = b[j]``)."""
        if not w or not all(isinstance(v, Value) for v in w) or not isinstance(b, Value):
            raise TypeError("Neuron.from_values: w must be a non-empty list of Values and b a Value")
        neuron = cls(len(w), activation, seed=0)
        neuron.w, neuron.b = list(w), b
        return neuron

    def __call__(self, x) -> Value:
        """The Value ``g(b + Σ_k w[k] x_k)``; ValueError if ``len(x) != nin``."""
        xs = _inputs("Neuron", x, self.nin)
        with scope("neuron"):
            z = ag.affine(self.b, self.w, xs)
            return z if self._act is None else self._act(z)

    def named_tensors(self) -> list:
        return [ParamTensor("w", self.w, False), ParamTensor("b", self.b, True)]

    def dense_layers(self) -> list:
        return [Dense([self.w], [self.b], self.activation, ("w", "b"))]

    def config(self) -> dict:
        return {"class": "Neuron", "nin": self.nin, "activation": self.activation, "init": self.init,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict, state: object) -> Neuron:
        """The neuron a saved :meth:`config` describes, once ``state`` is known to fit it (else ModelFileError)."""
        nin, init, seed = _config("Neuron", config, ("activation",))
        activation = _config_name("activation", config["activation"], ACTIVATIONS)
        check_state("model state", state, {"w": (nin,), "b": ()})
        return cls(nin, activation, init, seed)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


@register_model
class Layer(Module):
    """A fully connected layer of ``nout`` neurons over ``nin`` inputs: ``a_j = g(b_j + Σ_k W[j][k] x_k)``.

    Args:
        nin, nout: numbers of inputs and neurons.
        activation: one of :data:`OUTPUT_ACTIVATIONS` (``softmax`` normalises over the layer).
        init: one of :data:`INITS`; biases start at 0.
        seed: an int, None or a ``random.Random``.
        scopes: ``"layer"`` (Values carry the scope ``name``), ``"neuron"`` (``name/neuron<j>``) or ``"none"``.
        name: the layer's scope name (no ``/``); an MLP names its layers ``layers.<i>``.

    Calling it returns the list of the ``nout`` activations, or the activation itself (a Value) when ``nout == 1``.
    """

    def __init__(self, nin: int, nout: int, activation: str = "tanh", init: str = "xavier", seed: Seed = None,
                 *, scopes: str = "layer", name: str = "layer") -> None:
        self.nin = _check_size("Layer", "nin", nin)
        self.nout = _check_size("Layer", "nout", nout)
        self.activation = _check_choice("Layer", "activation", activation, OUTPUT_ACTIVATIONS)
        self.init = _check_choice("Layer", "init", init, INITS)
        self.scopes = _check_choice("Layer", "scopes", scopes, SCOPES)
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"Layer: name must be a non-empty string without '/', got {name!r}")
        self.name = name
        self.seed = _stored_seed(seed)
        rng = _rng("Layer", seed)
        flat = _draw(rng, init, nin, nout, nin * nout)
        self.W, self.b = [], []
        # parameters live in their layer's and neuron's scope, so a drawing clusters (and collapses) them there
        scoped = scopes != "none"
        with scope(name) if scoped else nullcontext():
            for j in range(nout):
                with scope(f"neuron{j}") if scoped else nullcontext():
                    self.W.append([Value(flat[j * nin + k], label=f"W[{j}][{k}]") for k in range(nin)])
                    self.b.append(Value(0.0, label=f"b[{j}]"))
        self._act = None if activation == "softmax" else ELEMENTWISE[activation]
        self._softmax = activation == "softmax"

    @property
    def neurons(self) -> list:
        """The layer's neurons as :class:`Neuron` views sharing ``W[j]`` and ``b[j]`` (softmax: their logits)."""
        act = "linear" if self._softmax else self.activation
        return [Neuron.from_values(row, b, act) for row, b in zip(self.W, self.b)]

    def __call__(self, x) -> Union[Value, list]:
        """The list of the ``nout`` activations (the Value itself when ``nout == 1``); ValueError if ``len(x) != nin``.
        """
        out = self._forward(_inputs("Layer", x, self.nin))
        return out[0] if len(out) == 1 else out

    def _forward(self, xs: list) -> list:
        # xs is already a list of Values of the right length: the MLP checks its input once. Always a list (a layer
        # of one neuron inside an MLP feeds the next layer a list of one); only the public calls unwrap.
        if self.scopes == "none":
            return self._compute(xs)
        with scope(self.name):
            if self.scopes == "neuron":
                return self._compute_per_neuron(xs)
            return self._compute(xs)

    def _compute(self, xs: list) -> list:
        affine = ag.affine  # one node per neuron: b + Σ w x (op "affine")
        zs = [affine(b, row, xs) for row, b in zip(self.W, self.b)]
        act = self._act
        if act is not None:
            return list(map(act, zs))
        return softmax(zs) if self._softmax else zs

    def _compute_per_neuron(self, xs: list) -> list:
        affine, act, out = ag.affine, self._act, []
        for j, (row, b) in enumerate(zip(self.W, self.b)):
            with scope(f"neuron{j}"):
                z = affine(b, row, xs)
                out.append(z if act is None else act(z))
        return softmax(out) if self._softmax else out

    def named_tensors(self) -> list:
        return [ParamTensor("W", self.W, False), ParamTensor("b", self.b, True)]

    def dense_layers(self) -> list:
        return [Dense(self.W, self.b, self.activation, ("W", "b"))]

    def config(self) -> dict:
        return {"class": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation,
                "init": self.init, "seed": self.seed, "scopes": self.scopes, "name": self.name}

    @classmethod
    def from_config(cls, config: dict, state: object) -> Layer:
        """The layer a saved :meth:`config` describes, once ``state`` is known to fit it (else ModelFileError)."""
        nin, init, seed = _config("Layer", config, ("nout", "activation", "scopes", "name"))
        nout = _config_size("nout", config["nout"])
        activation = _config_name("activation", config["activation"], OUTPUT_ACTIVATIONS)
        scopes = _config_name("scopes", config["scopes"], SCOPES)
        name = config["name"]
        if not isinstance(name, str) or not name or "/" in name or len(name) > 200:
            raise ModelFileError(f"model config: name must be a short string without '/', got {name!r:.80}")
        check_state("model state", state, {"W": (nout, nin), "b": (nout,)})
        return cls(nin, nout, activation, init, seed, scopes=scopes, name=name)

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


@register_model
class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one fully connected layer per entry of ``nouts``.

    Args:
        nin: number of inputs.
        nouts: layer sizes, the last one being the number of outputs (``MLP(1, [2, 2, 1])``: 13 parameters).
        activation: the hidden layers' activation, one name for all or a list with one per hidden layer.
        output_activation: ``None``/``"linear"`` (regression, logits), ``"sigmoid"`` (binary), ``"softmax"``
            (multi-class), or any other of :data:`ACTIVATIONS`.
        init: one of :data:`INITS`.
        seed: an int (the same seed gives the same weights), None, or a ``random.Random`` to draw from.
        scopes: ``"layer"``, ``"neuron"`` or ``"none"`` (see the module docstring).

    ``mlp(x)`` returns the list of ``nouts[-1]`` outputs, or the output itself (a Value) when ``nouts[-1] == 1``;
    ``mlp.layers[l]`` is layer l+1 of the lectures (``layers[0]`` takes the input).
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: Union[str, Sequence[str]] = "tanh",
                 output_activation: str | None = None, init: str = "xavier", seed: Seed = None,
                 *, scopes: str = "layer") -> None:
        self.nin = _check_size("MLP", "nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or len(nouts) == 0:
            raise TypeError(f"MLP: nouts must be a non-empty list of layer sizes such as [16, 16, 1], got {nouts!r}")
        self.nouts = [_check_size("MLP", f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        hidden = len(self.nouts) - 1
        if isinstance(activation, str):
            acts = [activation] * hidden
        elif isinstance(activation, Sequence) and len(activation) == hidden:
            acts = list(activation)
        else:
            raise ValueError(f"MLP: activation must be a name or a list of {hidden} names (one per hidden layer), "
                             f"got {activation!r}")
        self.activation = [_check_choice("MLP", "activation", a, ACTIVATIONS) for a in acts]
        out = "linear" if output_activation is None else output_activation
        self.output_activation = _check_choice("MLP", "output_activation", out, OUTPUT_ACTIVATIONS)
        self.init = _check_choice("MLP", "init", init, INITS)
        self.scopes = _check_choice("MLP", "scopes", scopes, SCOPES)
        self.seed = _stored_seed(seed)
        rng = _rng("MLP", seed)
        sizes = [self.nin] + self.nouts
        self.layers = [
            Layer(sizes[i], sizes[i + 1], (self.activation + [self.output_activation])[i], init, rng,
                  scopes=self.scopes, name=f"layers.{i}")
            for i in range(len(self.nouts))
        ]
        for name, p in self.named_parameters():
            p.label = name

    def __call__(self, x) -> Union[Value, list]:
        """The list of outputs ``a[L]`` (the Value itself for a single output); ValueError if ``len(x) != nin``."""
        xs = _inputs("MLP", x, self.nin)
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else xs

    def named_tensors(self) -> list:
        return [ParamTensor(f"layers.{i}.{t.name}", t.values, t.is_bias)
                for i, layer in enumerate(self.layers) for t in layer.named_tensors()]

    def dense_layers(self) -> list:
        return [Dense(layer.W, layer.b, layer.activation, (f"layers.{i}.W", f"layers.{i}.b"))
                for i, layer in enumerate(self.layers)]

    def config(self) -> dict:
        return {"class": "MLP", "nin": self.nin, "nouts": list(self.nouts), "activation": list(self.activation),
                "output_activation": self.output_activation, "init": self.init, "seed": self.seed,
                "scopes": self.scopes}

    @classmethod
    def from_config(cls, config: dict, state: object) -> MLP:
        """The MLP a saved :meth:`config` describes, once ``state`` is known to fit it (else ModelFileError)."""
        nin, init, seed = _config("MLP", config, ("nouts", "activation", "output_activation", "scopes"))
        nouts = config["nouts"]
        if not isinstance(nouts, list) or not 1 <= len(nouts) <= 1000:
            raise ModelFileError(f"model config: nouts must be a list of 1 to 1000 layer sizes, got {nouts!r:.80}")
        nouts = [_config_size(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        acts = config["activation"]
        if not isinstance(acts, list) or len(acts) != len(nouts) - 1:
            raise ModelFileError(f"model config: activation must be a list of {len(nouts) - 1} names, "
                                 f"got {acts!r:.80}")
        acts = [_config_name("activation", a, ACTIVATIONS) for a in acts]
        out = _config_name("output_activation", config["output_activation"], OUTPUT_ACTIVATIONS)
        scopes = _config_name("scopes", config["scopes"], SCOPES)
        sizes = [nin] + nouts
        shapes: dict = {}
        for i in range(len(nouts)):
            shapes[f"layers.{i}.W"] = (sizes[i + 1], sizes[i])
            shapes[f"layers.{i}.b"] = (sizes[i + 1],)
        check_state("model state", state, shapes)
        return cls(nin, nouts, acts, out, init, seed, scopes=scopes)

    def __repr__(self) -> str:
        acts = self.activation[0] if len(set(self.activation)) == 1 else self.activation
        return (f"MLP({self.nin}, {self.nouts}, activation={acts!r}, "
                f"output_activation={self.output_activation!r})")
