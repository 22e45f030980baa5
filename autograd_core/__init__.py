"""autograd-core: a scalar reverse-mode automatic differentiation engine you can watch work.

Example::

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x          # every operation is recorded in a graph
    >>> y.backward()                # the chain rule, in reverse: x.grad = dy/dx = 2x + 2
    >>> print(y.data, x.grad)
    15.0 8.0

This module holds the public names only (``__all__``, which is also what ``dir(autograd_core)`` lists); the code
lives in the submodules (see Architecture in the README). The guides: docs/readme/engine.md for Value and backward,
docs/readme/nn.md for ``nn``, the neural-network library built on this API. ``autograd_core.files.atomic_write`` is
the file helper the project writes with; ``autograd_core.testing`` holds hypothesis strategies.
"""

from .anomaly import AnomalyError
from .check import GradcheckError, gradcheck, gradgradcheck
from .compile import Compiled, CompileError, compile
from .expr import Expression, ExpressionError, parse_expression
from .functional import grad, hessian, jacobian, value_and_grad
from .grading import GradingError, grade_op
from .graph import gradients, topological_order, zero_grad
from .html import StepThrough, step_page, step_through
from .ops import OPS, Domain, Op, define_op, get_op
from .practice import practice
from .render import draw, render_to, text_tree
from .switches import anomaly_enabled, current_scope, detect_anomaly, is_grad_enabled, no_grad, scope
from .trace import Step, backward_steps, explain
from .value import (
    Value,
    affine,
    apply,
    cos,
    elu,
    exp,
    leaky_relu,
    log,
    relu,
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
    "Compiled",
    "CompileError",
    "compile",
    "AnomalyError",
    "affine",
    "Domain",
    "OPS",
    "Op",
    "Step",
    "Value",
    "anomaly_enabled",
    "apply",
    "backward_steps",
    "cos",
    "current_scope",
    "define_op",
    "detect_anomaly",
    "draw",
    "elu",
    "exp",
    "explain",
    "Expression",
    "ExpressionError",
    "GradcheckError",
    "GradingError",
    "get_op",
    "grade_op",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "leaky_relu",
    "log",
    "no_grad",
    "parse_expression",
    "practice",
    "relu",
    "render_to",
    "scope",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "step_page",
    "step_through",
    "StepThrough",
    "sum",
    "tanh",
    "text_tree",
    "topological_order",
    "value_and_grad",
    "zero_grad",
]


def __dir__() -> list:
    """``dir(autograd_core)``: the public API (``__all__``), sorted; submodules and helpers stay out of the way."""
    return sorted(__all__)
