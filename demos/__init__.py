"""Runnable demos of the examples of notes 000-004: ``python -m demos.NAME [--quick] [--out DIR]``.

The package is installed with autograd-core, so after ``pip install "autograd-core[demos]"`` the demos run from any
folder (from a checkout, ``pip install -e ".[demos]"``). Each module prints what it shows, writes its figures into
``--out`` (default ``./demo_out`` in the current folder) and has a ``main(argv=None) -> dict`` returning its key
figures. They need the ``demos`` extra (matplotlib, scikit-learn, tqdm); without it a demo stops with one line
saying what to install. Graph drawings are SVG when Graphviz's ``dot`` program is installed, else DOT source.
"""

__all__ = ["DEMOS", "NEEDS"]

# name -> what it shows, in the order of notes 000-004
DEMOS = {
    "worked_example": "one weight, squared error, one gradient step: loss 0.49, gradient -4.2, new weight 4.3",
    "chain_rule": "cos(x)^2 against -2 sin x cos x; gradient (-14, -2) and Hessian [[6, 1], [1, 0]] of xy + 3x^2",
    "logistic_regression": "the engine's dz, db, dw next to a - y, a - y, (a - y) x; training on separable data",
    "delta_rule": "the hand-derived delta rule (nn.delta) against the engine, layer by layer; the notes' own "
                  "delta^L with reduction='sum'",
    "zero_init": "zero, constant and random initial weights on XOR: identical hidden rows, loss stuck at ln 2",
    "descent_paths": "batch, stochastic and minibatch descent paths on the contours of a two-parameter loss",
    "xor": "a single linear unit fails on XOR, a one-hidden-layer MLP reaches 100%",
    "regression": "notes 001's 13-parameter 1-2-2-1 sigmoid network and data: batch, stochastic and minibatch descent",
    "activations": "notes 002's activation table: each function with its derivative and range; step vs logistic",
    "losses": "KL vs L2 as a function of the prediction, and their gradients through a sigmoid",
    "moons": "micrograd's demo: MLP(2, [16, 16, 1]) on two moons, 100% training accuracy",
    "digits": "softmax + cross-entropy on the 8x8 digits (>= 90% held out); the binary 'is this a 2'",
    "exercise_003": "notes 003's exercise network in its own notation: gradients by engine and by hand, the slip",
    "exploding_gradients": "a deep ReLU net whose gradient explodes, and the same run with fit(..., clip_norm=1)",
    "vanishing_gradients": "per-layer gradient norms of a 10-layer net: sigmoid vs tanh vs ReLU",
}

# name -> the optional packages (import names) its main() needs; a demo checks them before it prints anything
NEEDS = {
    "worked_example": (),
    "chain_rule": ("matplotlib",),
    "logistic_regression": ("matplotlib",),
    "delta_rule": (),
    "zero_init": ("matplotlib",),
    "descent_paths": ("matplotlib",),
    "xor": ("matplotlib",),
    "regression": ("matplotlib",),
    "activations": ("matplotlib",),
    "losses": ("matplotlib",),
    "moons": ("matplotlib", "sklearn"),
    "digits": ("matplotlib", "sklearn"),
    "exercise_003": (),
    "exploding_gradients": ("matplotlib",),
    "vanishing_gradients": ("matplotlib",),
}
