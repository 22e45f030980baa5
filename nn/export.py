"""Export to PyTorch: ``to_torch(model)`` gives a ``torch.nn.Sequential`` in float64 with identical weights.

Each layer becomes ``torch.nn.Linear(nin, nout)`` (its ``weight[j][k]`` is our ``W[j][k]``, its ``bias[j]`` our
``b[j]``) followed by the activation: ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU(0.01)``, ``ELU(1.0)``,
``Softplus(threshold=40)`` (PyTorch's default threshold 20 switches to the identity early enough to differ from
ln(1 + e^x) by 2e-9; at 40 the difference is below float64 resolution), ``Softmax(dim=-1)``, and small modules for
``sin``, ``cos``, ``abs`` and ``step`` (derivative 0). ``linear`` adds nothing.

The layers come from ``model.dense_layers()`` (see :class:`nn.module.Dense`), so this module needs nothing of nn
but the activation constants: it sits just above :mod:`nn.activations`, and ``Module.to_torch`` calls it.
torch is optional and imported only when ``to_torch`` runs: ``pip install torch`` (the CPU wheels are enough).
"""

from __future__ import annotations

from .activations import ELU_ALPHA, LEAKY_RELU_SLOPE

__all__ = ["to_torch"]


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch (the CPU wheels are enough, e.g. "
                          "pip install torch --index-url https://download.pytorch.org/whl/cpu)") from None
    return torch


def _step(x):
    # binary step with derivative 0 everywhere; 0 * x keeps the output attached to the graph
    return (x >= 0).to(x.dtype) + 0.0 * x


# activation name -> a factory of its torch module (None: nothing to add); functions without a torch.nn module are
# wrapped in a small Elementwise module
_TORCH_ACTIVATIONS = {
    "linear": lambda torch: None,
    "sigmoid": lambda torch: torch.nn.Sigmoid(),
    "tanh": lambda torch: torch.nn.Tanh(),
    "relu": lambda torch: torch.nn.ReLU(),
    "leaky_relu": lambda torch: torch.nn.LeakyReLU(LEAKY_RELU_SLOPE),
    "elu": lambda torch: torch.nn.ELU(ELU_ALPHA),
    "softplus": lambda torch: torch.nn.Softplus(beta=1.0, threshold=40.0),
    "softmax": lambda torch: torch.nn.Softmax(dim=-1),
    "sin": lambda torch: _elementwise(torch, "sin", torch.sin),
    "cos": lambda torch: _elementwise(torch, "cos", torch.cos),
    "abs": lambda torch: _elementwise(torch, "abs", torch.abs),
    "step": lambda torch: _elementwise(torch, "step", _step),
}


def _elementwise(torch, kind: str, function):
    class Elementwise(torch.nn.Module):
        """One of our activations without a torch.nn module: sin, cos, abs or step."""

        def forward(self, x):
            return function(x)

        def extra_repr(self) -> str:
            return kind

    return Elementwise()


def to_torch(model):
    """``model`` (an MLP, Layer or Neuron) as a ``torch.nn.Sequential`` in float64 with the same weights.

    The torch model takes a tensor of shape ``(batch, nin)`` and returns ``(batch, nout)``: row i holds the outputs
    of ``model(X[i])`` (one entry for a model with a single output, whose call returns the Value itself). Raises
    ImportError naming ``pip install torch`` when torch is missing.
    """
    dense_layers = getattr(model, "dense_layers", None)
    if not callable(dense_layers):
        raise TypeError(f"to_torch: model must be an MLP, Layer or Neuron, got {type(model).__name__}")
    specs = [([[w.data for w in row] for row in d.W], [v.data for v in d.b], d.activation) for d in dense_layers()]
    for _, _, activation in specs:
        if activation not in _TORCH_ACTIVATIONS:
            raise ValueError(f"to_torch: no PyTorch equivalent for activation {activation!r}")
    torch = _import_torch()
    modules = []
    for W, b, activation in specs:
        linear = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
        modules.append(linear)
        act = _TORCH_ACTIVATIONS[activation](torch)
        if act is not None:
            modules.append(act)
    return torch.nn.Sequential(*modules)
