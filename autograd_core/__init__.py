"""autograd-core: a scalar reverse-mode automatic differentiation engine you can watch work.

Public names only; the code lives in the submodules (see ARCHITECTURE in the README).
"""

from .anomaly import AnomalyError, detect_anomaly
from .graph import gradients, topological_order, zero_grad
from .ops import OPS, Domain, Op, define_op, get_op
from .value import (
    Value,
    anomaly_enabled,
    apply,
    cos,
    current_scope,
    elu,
    exp,
    is_grad_enabled,
    leaky_relu,
    log,
    no_grad,
    relu,
    scope,
    sigmoid,
    sin,
    softplus,
    sqrt,
    step,
    sum,
    tanh,
)

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "Domain",
    "OPS",
    "Op",
    "Value",
    "anomaly_enabled",
    "apply",
    "cos",
    "current_scope",
    "define_op",
    "detect_anomaly",
    "elu",
    "exp",
    "get_op",
    "gradients",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "no_grad",
    "relu",
    "scope",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "sum",
    "tanh",
    "topological_order",
    "zero_grad",
]
