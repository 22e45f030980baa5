"""Neural networks on autograd-core: neurons, layers, MLPs, losses, optimizers, training, and the delta-rule check.

Built on ``autograd_core``'s public API only. Every module call returns a list of Values (one per output).

Submodules: ``nn.layers`` (Neuron, Layer, MLP), ``nn.losses``, ``nn.optim``, ``nn.data`` (batches), ``nn.train``
(fit), ``nn.delta`` (the lectures' hand-derived backprop and ``check``), ``nn.export`` (``to_torch``).
"""

from . import data, delta, export, layers, losses, module, optim, train
from .data import batches
from .layers import ACTIVATIONS, INITS, MLP, OUTPUT_ACTIVATIONS, Layer, Neuron
from .module import ModelFileError, Module, load
from .optim import SGD, Adam, clip_grad_norm, clip_grad_value
from .train import History, evaluate, fit

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "History",
    "INITS",
    "Layer",
    "MLP",
    "ModelFileError",
    "Module",
    "Neuron",
    "OUTPUT_ACTIVATIONS",
    "SGD",
    "batches",
    "clip_grad_norm",
    "clip_grad_value",
    "data",
    "delta",
    "evaluate",
    "export",
    "fit",
    "layers",
    "load",
    "losses",
    "module",
    "optim",
    "train",
]
