"""Export to PyTorch: ``to_torch(model)`` gives a ``torch.nn.Sequential`` in float64 with identical weights.

Each layer becomes ``torch.nn.Linear(nin, nout)`` (its ``weight[j][k]`` is our ``W[j][k]``, its ``bias[j]`` our
``b[j]``) followed by the activation: ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU(0.01)``, ``ELU(1.0)``,
``Softplus(threshold=40)`` (PyTorch's default threshold 20 switches to the identity early enough to differ from
ln(1 + e^x) by 2e-9; at 40 the difference is below float64 resolution), ``Softmax(dim=-1)``, and small modules for
``sin``, ``cos``, ``abs`` and ``step`` (derivative 0). ``linear`` adds nothing.

torch is optional and imported only here: ``pip install torch`` (the CPU wheels are enough).
"""

from __future__ import annotations

__all__ = ["to_torch"]


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch (the CPU wheels are enough, e.g. "
                          "pip install torch --index-url https://download.pytorch.org/whl/cpu)") from None
    return torch


def _activation(torch, name: str):
    nn = torch.nn
    if name == "linear":
        return None
    simple = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
    if name in simple:
        return simple[name]()
    if name == "leaky_relu":
        from .layers import LEAKY_RELU_SLOPE

        return nn.LeakyReLU(LEAKY_RELU_SLOPE)
    if name == "elu":
        from .layers import ELU_ALPHA

        return nn.ELU(ELU_ALPHA)
    if name == "softplus":
        return nn.Softplus(beta=1.0, threshold=40.0)
    if name == "softmax":
        return nn.Softmax(dim=-1)

    class Elementwise(nn.Module):
        """One of our activations without a torch.nn module: sin, cos, abs or step."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind

        def forward(self, x):
            if self.kind == "sin":
                return torch.sin(x)
            if self.kind == "cos":
                return torch.cos(x)
            if self.kind == "abs":
                return torch.abs(x)
            # binary step with derivative 0 everywhere; 0 * x keeps the output attached to the graph
            return (x >= 0).to(x.dtype) + 0.0 * x

        def extra_repr(self) -> str:
            return self.kind

    if name in ("sin", "cos", "abs", "step"):
        return Elementwise(name)
    raise ValueError(f"to_torch: no PyTorch equivalent for activation {name!r}")


def to_torch(model):
    """``model`` (an MLP, Layer or Neuron) as a ``torch.nn.Sequential`` in float64 with the same weights.

    The torch model takes a tensor of shape ``(batch, nin)`` and returns ``(batch, nout)``: row i equals
    ``model(X[i])``. Raises ImportError naming ``pip install torch`` when torch is missing.
    """
    from .layers import MLP, Layer, Neuron

    if isinstance(model, MLP):
        specs = [([[w.data for w in row] for row in layer.W], [v.data for v in layer.b], layer.activation)
                 for layer in model.layers]
    elif isinstance(model, Layer):
        specs = [([[w.data for w in row] for row in model.W], [v.data for v in model.b], model.activation)]
    elif isinstance(model, Neuron):
        specs = [([[w.data for w in model.w]], [model.b.data], model.activation)]
    else:
        raise TypeError(f"to_torch: model must be an MLP, Layer or Neuron, got {type(model).__name__}")
    torch = _import_torch()
    modules = []
    for W, b, activation in specs:
        linear = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
        modules.append(linear)
        act = _activation(torch, activation)
        if act is not None:
            modules.append(act)
    return torch.nn.Sequential(*modules)
