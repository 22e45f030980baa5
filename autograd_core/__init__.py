"""autograd-core: a scalar reverse-mode automatic differentiation engine you can watch work.

Public names only; the code lives in the submodules (see ARCHITECTURE in the README).
"""

from .anomaly import AnomalyError
from .check import GradcheckError, gradcheck, gradgradcheck
from .expr import Expression, ExpressionError, parse_expression
from .files import atomic_write
from .functional import grad, hessian, jacobian, value_and_grad
from .graph import gradients, topological_order, zero_grad
from .html import step_page
from .ops import OPS, Domain, Op, define_op, get_op
from .render import draw, render_to, text_tree
from .trace import Step, backward_steps, explain
from .switches import anomaly_enabled, current_scope, detect_anomaly, is_grad_enabled, no_grad, scope
from .value import (
    Value,
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
    "AnomalyError",
    "Domain",
    "OPS",
    "Op",
    "Step",
    "Value",
    "anomaly_enabled",
    "apply",
    "atomic_write",
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
    "get_op",
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
    "relu",
    "render_to",
    "scope",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "step_page",
    "sum",
    "tanh",
    "text_tree",
    "topological_order",
    "value_and_grad",
    "zero_grad",
]
