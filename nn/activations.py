"""The activation names of ``nn`` and the engine functions behind them (the bottom floor of the package).

Hidden or output layers: ``linear`` (identity), ``sigmoid``, ``tanh``, ``relu`` (derivative 0 at 0), ``leaky_relu``
(slope :data:`LEAKY_RELU_SLOPE`), ``softplus``, ``elu`` (alpha :data:`ELU_ALPHA`), ``step`` (derivative 0), ``sin``,
``cos``, ``abs``: the activation ops of the engine's op table, applied elementwise. Output layers may also use
``softmax`` (over the layer, :func:`nn.losses.softmax`). ``nn.layers``, ``nn.delta`` and ``nn.export`` all take their
names and constants from here, so the three agree.

The derivative at a kink follows PyTorch: relu'(0) = 0, leaky_relu'(0) = :data:`LEAKY_RELU_SLOPE` (the slope), step'(0)
= 0, elu'(0) = 1 (alpha = 1). Notes 002 use 1 for ReLU'(0) and leaky ReLU'(0); any value between the one-sided
derivatives is a valid subgradient, and the choice only matters when a pre-activation is exactly 0.
"""

from __future__ import annotations

from autograd_core import Value

__all__ = ["ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LEAKY_RELU_SLOPE", "ELU_ALPHA", "ELEMENTWISE", "activation_function"]

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0

# elementwise activations as unbound Value methods (the fastest call); None is the identity
ELEMENTWISE = {
    "linear": None,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "softplus": Value.softplus,
    "elu": Value.elu,
    "step": Value.step,
    "sin": Value.sin,
    "cos": Value.cos,
    "abs": Value.__abs__,
}
ACTIVATIONS = tuple(ELEMENTWISE)
OUTPUT_ACTIVATIONS = ACTIVATIONS + ("softmax",)


def activation_function(name: str):
    """The elementwise function for an activation name (None for ``linear``): ``Value -> Value``.

    ``softmax`` is not elementwise; it is :func:`nn.losses.softmax`. ValueError listing the valid names otherwise.
    """
    if not isinstance(name, str) or name not in ELEMENTWISE:
        raise ValueError(f"activation_function: unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return ELEMENTWISE[name]
