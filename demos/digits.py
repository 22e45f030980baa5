"""Handwritten digits: softmax + cross-entropy over 10 classes, and the binary "is this a 2" with sigmoid + BCE.

The data are scikit-learn's bundled 8x8 digits (1797 images, no download), pixels scaled to [0, 1], split 75/25
into training and held-out sets (stratified, fixed seed). Multi-class: the network's 10 linear outputs are logits
z and ``nn.losses.cross_entropy(z, c) = -log softmax(z)_c`` (computed stably; its gradient is ``softmax(z) -
onehot(c)``, the ``a - y`` of notes 000). Binary: one sigmoid output and ``binary_cross_entropy`` on "is it a 2?".

Full run: ``MLP(64, [32, 10])`` with a tanh hidden layer (2410 parameters), Adam (lr 0.01), minibatches of 32,
4 epochs: 95.6% held-out accuracy (docs/readme/demos.md gives the measured time). ``--quick``: softmax regression
(``MLP(64, [10])``, no hidden layer, 650 parameters) on a subset of 500 training and 250 held-out images, 4 epochs:
about 92%.

Run: ``python -m demos.digits [--quick] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import nn

from ._common import heading, imports_frozen, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "load_data", "confusion_matrix", "SEED"]

SEED = 0


def load_data(test_size: float = 0.25, seed: int = SEED) -> tuple:
    """scikit-learn's 8x8 digits as lists, pixels / 16: ``(X_train, X_test, y_train, y_test)``, stratified split."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as e:
        raise ImportError("the digits demo needs scikit-learn (its bundled digits data set): "
                          "pip install 'autograd-core[demos]'") from e
    digits = load_digits()
    X = (digits.data / 16.0).tolist()
    y = [int(t) for t in digits.target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return X_train, X_test, y_train, y_test


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], n: int = 10) -> list:
    """``m[i][j]`` = number of examples of class i predicted as class j."""
    m = [[0] * n for _ in range(n)]
    for t, p in zip(truth, predicted):
        m[t][p] += 1
    return m


def _argmax(xs: Sequence[float]) -> int:
    return max(range(len(xs)), key=xs.__getitem__)


def _train(model, X, y, loss: str, epochs: int, lr: float) -> None:
    start = time.perf_counter()

    def report(history) -> None:
        acc = f", training accuracy {history.accuracy[-1]:.1%}" if history.accuracy else ""
        print(f"  epoch {history.epochs}: loss {history.epoch_loss[-1]:.4f}{acc} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)

    with imports_frozen():  # the collector would re-walk scikit-learn's objects again and again
        nn.fit(model, X, y, loss, nn.Adam(model.parameters(), lr=lr), epochs=epochs, batch_size=32, seed=SEED,
               progress=False, callback=report)


def _plot(matrix: list, X_test: list, y_test: list, predicted: list, accuracy: float, title: str):
    fig = new_figure(11.0, 5.0)
    ax_cm, ax_ex = fig.subfigures(1, 2, width_ratios=[1.1, 1.0])
    ax = ax_cm.add_subplot()
    img = ax.imshow(matrix, cmap="Blues")
    top = max(max(row) for row in matrix)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="w" if count > top / 2 else "k")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"{title}: held-out accuracy {accuracy:.1%}", fontsize=10)
    ax_cm.colorbar(img, ax=ax, shrink=0.8, label="number of held-out images")
    wrong = [i for i, (t, p) in enumerate(zip(y_test, predicted)) if t != p][:12]
    ax_ex.suptitle(f"misclassified held-out images ({sum(t != p for t, p in zip(y_test, predicted))} in all)",
                   fontsize=10)
    axes = ax_ex.subplots(3, 4)
    pixels = None
    for k, a in enumerate(axes.flat):
        a.set_axis_off()
        if k < len(wrong):
            i = wrong[k]
            pixels = a.imshow([X_test[i][r * 8:(r + 1) * 8] for r in range(8)], cmap="gray_r", vmin=0.0, vmax=1.0)
            a.set_title(f"true {y_test[i]}, said {predicted[i]}", fontsize=8)
    if pixels is not None:
        ax_ex.colorbar(pixels, ax=axes, orientation="horizontal", shrink=0.6, aspect=30,
                       label="pixel value (8x8 image, scaled to 0..1)")
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``test_accuracy`` (10 classes), ``binary_accuracy``/``precision``/``recall``, ..."""
    args = parse_args("digits", "Digits: softmax + cross-entropy over 10 classes, and the binary 'is this a 2'.",
                      argv, "softmax regression on 500 training / 250 held-out images instead of the "
                      "32-unit MLP on all 1347 / 450")
    X_train, X_test, y_train, y_test = load_data()
    if args.quick:
        X_train, y_train, X_test, y_test = X_train[:500], y_train[:500], X_test[:250], y_test[:250]
        model = nn.MLP(64, [10], seed=SEED, scopes="none")
        name, short, epochs, lr = "softmax regression MLP(64, [10])", "softmax regression", 4, 0.05
    else:
        model = nn.MLP(64, [32, 10], activation="tanh", seed=SEED, scopes="none")
        name, short, epochs, lr = "MLP(64, [32, 10]), tanh hidden layer", "MLP(64, [32, 10])", 4, 0.01

    heading("Ten classes: softmax + cross-entropy")
    print(f"{len(X_train)} training and {len(X_test)} held-out 8x8 images; {name}, {model.num_parameters()} "
          f"parameters; Adam lr {lr}, minibatches of 32, {epochs} epochs")
    start = time.perf_counter()
    _train(model, X_train, y_train, "cross_entropy", epochs, lr)
    seconds = time.perf_counter() - start
    predicted = [_argmax(model.predict(x)) for x in X_test]
    accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
    matrix = confusion_matrix(y_test, predicted)
    print(f"held-out accuracy: {accuracy:.1%} ({sum(p == t for p, t in zip(predicted, y_test))}/{len(y_test)}), "
          f"trained in {seconds:.0f} s")
    per_class = [(d, sum(matrix[d]), f"{matrix[d][d] / max(1, sum(matrix[d])):.0%}") for d in range(10)]
    print(table(("digit", "held-out images", "recall"), per_class))

    heading("Binary: is this a 2? (one sigmoid output, binary cross-entropy)")
    b_train = [1 if t == 2 else 0 for t in y_train]
    b_test = [1 if t == 2 else 0 for t in y_test]
    binary = nn.MLP(64, [1], output_activation="sigmoid", seed=SEED, scopes="none")
    b_epochs, b_lr = 5, 0.05
    print(f"nn.MLP(64, [1], output_activation='sigmoid'): logistic regression, {binary.num_parameters()} "
          f"parameters; Adam lr {b_lr}, minibatches of 32, {b_epochs} epochs")
    _train(binary, X_train, b_train, "binary_cross_entropy", b_epochs, b_lr)
    said = [1 if binary.predict(x) >= 0.5 else 0 for x in X_test]
    tp = sum(1 for s, t in zip(said, b_test) if s and t)
    fp = sum(1 for s, t in zip(said, b_test) if s and not t)
    fn = sum(1 for s, t in zip(said, b_test) if not s and t)
    b_acc = sum(s == t for s, t in zip(said, b_test)) / len(b_test)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    baseline = 1.0 - sum(b_test) / len(b_test)
    print(f"held-out accuracy {b_acc:.1%} (always saying 'not a 2' would score {baseline:.1%}); precision "
          f"{precision:.1%} ({tp} of {tp + fp} said 2 are 2s), recall {recall:.1%} ({tp} of {tp + fn} 2s found)")

    heading("Files")
    fig = _plot(matrix, X_test, y_test, predicted, accuracy, short)
    path = save_figure(fig, args.out / "digits_confusion.png")
    print(f"  {path}")
    return {"test_accuracy": accuracy, "train_size": len(X_train), "test_size": len(X_test), "epochs": epochs,
            "num_parameters": model.num_parameters(), "confusion": matrix, "seconds": seconds,
            "binary_accuracy": b_acc, "binary_precision": precision, "binary_recall": recall,
            "binary_baseline": baseline, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
