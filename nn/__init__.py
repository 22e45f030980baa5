"""Neural networks on autograd-core: neurons, layers, MLPs, losses, optimizers, training, and the delta-rule check.

Built on ``autograd_core``'s public API only. A module call returns a list of Values, one per output, or the Value
itself for a model with a single output (as micrograd does); ``predict`` gives the same as floats.

Submodules, by floor (each imports only from lower floors, also inside functions): ``nn.activations`` (names and
engine functions) and ``nn.data`` (batches); ``nn.export`` (``to_torch``); ``nn.module`` (Module, files, input and
state checks); ``nn.losses`` and ``nn.optim``; ``nn.layers`` (Neuron, Layer, MLP; registers them for ``nn.load``);
``nn.train`` (fit); ``nn.delta`` (notes 000's hand-derived backprop and ``check``); ``nn.grading`` (a student's
hand-written backprop graded against the engine and ``nn.delta``); ``nn.diagram`` (the lectures' network diagram,
``model.diagram(x, target)``); ``nn.explore`` (the training explorer: ``fit(..., record="run.html")``).
"""

from . import activations, data, delta, diagram, explore, export, grading, layers, losses, module, optim, train
from .data import batches
from .diagram import Diagram, DiagramMismatchError
from .explore import Explorer, Recorder
from .grading import grade_backprop
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
    "activations",
    "batches",
    "clip_grad_norm",
    "clip_grad_value",
    "data",
    "delta",
    "diagram",
    "Diagram",
    "DiagramMismatchError",
    "explore",
    "Explorer",
    "Recorder",
    "evaluate",
    "export",
    "fit",
    "grade_backprop",
    "grading",
    "layers",
    "load",
    "losses",
    "module",
    "optim",
    "train",
]
