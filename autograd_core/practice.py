"""Practice backprop: a tutor that asks for gradients node by node and names the misconception behind a wrong one.

:func:`practice` (``autograd_core.practice(root)`` in a REPL, ``autograd-core practice "EXPR" x=1`` in a terminal)
walks ``root``'s backward pass in the order backward visits the nodes (on :func:`autograd_core.graph.walk`, the one
walk) and asks, per node, for its *local derivatives* ``d node / d input``, its *gradient* ``d root / d node``, or
both; the gradients of the leaves come last. An answer is a number or a small expression (``1/3``,
``2*(-0.7)*3``), read by the safe parser. A right answer (within a tolerance: ``|a - right| <= atol + rtol
|right|``) is only ever called right. A wrong one is compared with the numbers the classic mistakes give on the
same graph (:data:`MISTAKES`, computed by :func:`worksheet` before the first question), and the tutor names the
misconception with the formula and the learner's own number in it (several when several mistakes give that
number), or, when none matches, shows the chain-rule step with the numbers put in. Hints on request, retries, a
summary at the end.

The catalogue, for a node v used by nodes c_1..c_n (each use j with upstream ``g_j = d L / d c_j`` and local
derivative ``l_j = d c_j / d v``; the right gradient is ``G = Σ_j g_j l_j``):

* ``forgot_sum``: one term ``g_j l_j`` alone (or all terms but one, or one path's product of local derivatives
  when several paths lead from v to L): a node used twice needs the sum over its uses;
* ``overwrite``: ``=`` for ``+=``: the last term alone (the walk's order), or what a whole backward pass that
  overwrites gives;
* ``input_for_output``: a derivative that reuses the output (exp: ``out``, tanh: ``1 - out^2``, sigmoid:
  ``out (1 - out)``) evaluated with the input put where the output belongs. Which ops qualify is read off the
  table, never from a name: the op's derivative, evaluated with ``out`` replaced by the input, changes;
* ``output_for_input``: the derivative evaluated at the op's output instead of its input (``σ'(a)`` for
  ``σ'(z)``: the delta rule's classic ``sigmoid_prime(a)``);
* ``dropped_upstream``: the local derivative(s) ``Σ_j l_j`` given as the gradient;
* ``upstream_in_local``: the contribution ``g l`` given where the local derivative ``l`` alone was asked;
* ``sign_error``: ``-l`` for a local derivative (the minus of ``x - y`` and ``x / y``), ``-G`` or one term's
  sign flipped for a gradient;
* ``wrong_operand``: the other input's local derivative (``d(x y)/dx`` answered with ``x`` instead of ``y``);
* ``accumulated_twice``: a leaf's ``2 G`` (two backward calls without ``zero_grad``: leaves accumulate), or
  ``G`` plus the ``.grad`` it already had.

A local-derivative mistake on one use also shows in the gradient: ``G - g_j l_j + g_j l'_j``. The teacher's kit
(:mod:`autograd_core.grading`, ``nn.grading``) grades custom ops and hand-written MLP backprop with the same names.

Exercises from the lectures (:data:`EXERCISES`, ``autograd-core practice --list``) and seeded random ones from
:mod:`autograd_core.testing` (:func:`random_exercise`, which needs hypothesis) are ready to use.
"""

from __future__ import annotations

import argparse
import builtins
import itertools
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO, Union

from .expr import Expression, ExpressionError, check_variable_name, parse_expression
from .graph import topological_order, walk
from .ops import Op, to_float
from .trace import expression, gradient_paths, numbering
from .value import Value, sigmoid
from .value import sum as vsum

__all__ = ["Mistake", "MISTAKES", "TEXTS", "Candidate", "Question", "Stage", "Worksheet", "Feedback", "Summary",
           "Exercise", "EXERCISES", "worksheet", "practice", "run_session", "local_candidates", "match", "judge",
           "exercise", "evaluate_answer", "parse_assignments", "positive_int", "is_tty",
           "random_exercise", "add_practice_command", "run_practice", "PracticeError", "RTOL", "ATOL",
           "format_number", "shown_answer"]

RTOL = 1e-3
"""Default relative tolerance of a right answer: 4 significant digits are enough."""
ATOL = 1e-6
"""Default absolute tolerance (for answers near 0)."""

_MAX_PATHS = 64  # a node with more paths to the root gets no per-path forgot_sum candidates


class PracticeError(ValueError):
    """Rejected practice input: an unknown exercise, a bad option, a graph with nothing to ask."""


# ------------------------------------------------------------------------------------------------ the catalogue
@dataclass(frozen=True)
class Mistake:
    """One classic mistake: ``kind`` (its key), ``title`` (how the tutor names it) and the misconception."""

    kind: str
    title: str
    misconception: str


MISTAKES: dict = {m.kind: m for m in (
    Mistake("forgot_sum", "forgot to sum over paths",
            "a node used more than once gets one term per use (upstream x local); its gradient is their sum"),
    Mistake("overwrite", "overwrote instead of accumulating",
            "backward adds each term to the gradient (grad += upstream x local); with = only the last term is left"),
    Mistake("input_for_output", "used the input where the derivative reuses the output",
            "exp' = out, tanh' = 1 - out^2, sigmoid' = out (1 - out) are written with the op's output, not its input"),
    Mistake("output_for_input", "evaluated the derivative at the output instead of the input",
            "f'(z) is taken at the op's input z; f'(a) at its output a = f(z) is another number (sigmoid'(a) for "
            "sigmoid'(z))"),
    Mistake("dropped_upstream", "dropped the upstream factor",
            "the gradient of a node is the upstream gradient times the local derivative, not the local derivative "
            "alone"),
    Mistake("upstream_in_local", "multiplied in the upstream gradient",
            "a local derivative is d node / d input alone; backward multiplies it by the upstream gradient afterwards"),
    Mistake("sign_error", "sign error",
            "in x - y and x / y the second input enters with a minus sign: d(x - y)/dy = -1, d(x / y)/dy = -x/y^2"),
    Mistake("wrong_operand", "took the wrong operand",
            "the derivative of a product with respect to one factor is the other factor: d(x y)/dx = y"),
    Mistake("accumulated_twice", "gradients accumulated across two backward calls",
            "leaves accumulate (.grad +=) on every backward call: zero the gradients before each backward"),
    Mistake("forgot_average", "summed over the batch instead of averaging",
            "the loss is the mean over the n examples, so each example's gradient is divided by n"),
)}
"""The catalogue: kind -> :class:`Mistake`, in the order diagnoses are listed."""

_ORDER = {kind: k for k, kind in enumerate(MISTAKES)}

TEXTS = {
    "several": "your {answer} matches {n} classic mistakes (they give the same number here):",
    "none": "not right, and none of the classic mistakes gives {answer}.",
    "close": "close to the right number, but not within the tolerance: keep more digits (4 significant digits).",
    "step": "the chain-rule step: {step}",
    "answer": "the answer: {show}",
}
"""The sentences a diagnosis is built from (the step page's script uses the very same ones)."""


def format_number(x: float, digits: int = 4) -> str:
    """``x`` with ``digits`` significant digits, as Python's ``:g`` writes it, without a ``-0``."""
    return f"{(0.0 if x == 0 else x):.{digits}g}"


_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def shown_answer(text: str, value: float) -> str:
    """How a learner's answer is quoted: as typed when it is a plain number, else ``text = value``."""
    text = text.strip()
    return text if _PLAIN.match(text) else f"{text} = {format_number(value, 6)}"


def _factor(x: float) -> str:
    # a number as a factor of a written product: negatives in parentheses
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# ------------------------------------------------------------------------------------------------ questions
@dataclass(frozen=True)
class Candidate:
    """A wrong number one mistake gives: ``kind`` (a key of :data:`MISTAKES`), ``value`` and the explanation,
    in which ``{answer}`` stands for the learner's answer."""

    kind: str
    value: float
    text: str


@dataclass(frozen=True)
class Question:
    """One question: a local derivative (``kind == "local"``) or a gradient (``"grad"``).

    Attributes:
        id: unique within its worksheet (``q0``, ``q1``, ...).
        kind: ``"local"`` or ``"grad"``.
        prompt: what is asked, e.g. ``d L / d e``.
        label: the prompt with its kind, e.g. ``gradient d L / d e``.
        node: the name of the node the question is about (a gradient's node, a local derivative's input).
        answer: the right number.
        candidates: the numbers the classic mistakes give here (none equal to the answer within the tolerance).
        hints: hints, least revealing first.
        step: the chain-rule step (or the op's formula) with the numbers put in, without the result.
        show: the same with the result: shown when asked, or when the tries are used up.
    """

    id: str
    kind: str
    prompt: str
    label: str
    node: str
    answer: float
    candidates: tuple
    hints: tuple
    step: str
    show: str

    @property
    def right_text(self) -> str:
        """What the tutor says to a right answer."""
        return f"right: {self.prompt} = {format_number(self.answer, 6)}"


@dataclass(frozen=True)
class Stage:
    """A block of questions: one backward step (``index`` its number) or, with ``index`` None, the leaves;
    ``given`` lists the values the questions need."""

    index: Union[int, None]
    title: str
    given: str
    questions: tuple


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``verdict`` is ``right``, ``mistake`` (named ones in ``mistakes``), ``wrong``
    (no classic mistake gives it) or ``invalid`` (not a number); ``lines`` are what the tutor says."""

    verdict: str
    value: Union[float, None]
    mistakes: tuple
    lines: tuple


def match(candidates: Sequence[Candidate], value: float, rtol: float = RTOL, atol: float = ATOL) -> list:
    """The candidates ``value`` matches within the tolerance, one per kind, in catalogue order."""
    seen: dict = {}
    for c in candidates:
        if c.kind not in seen and _close(value, c.value, rtol, atol):
            seen[c.kind] = c
    return sorted(seen.values(), key=lambda c: _ORDER.get(c.kind, len(_ORDER)))


@dataclass(frozen=True)
class Worksheet:
    """Every question of one backward pass with its right answer and its mistake numbers, computed up front.

    Built by :func:`worksheet`; holds only text and numbers (no Values), so it can be kept, serialised
    (:meth:`to_dict`, which the step page embeds) and graded with :meth:`diagnose` without the graph.
    """

    title: str
    root: str
    forward: tuple
    stages: tuple
    ask: str
    rtol: float = RTOL
    atol: float = ATOL

    def questions(self) -> list:
        """All questions, in the order they are asked."""
        return [q for s in self.stages for q in s.questions]

    def question(self, key: str) -> Question:
        """The first question whose id, label (``gradient d L / d e``) or prompt (``d L / d e``) is ``key``;
        KeyError listing the prompts otherwise. (A root's local derivative and its input's gradient share a
        prompt; their labels differ.)"""
        for q in self.questions():
            if key in (q.id, q.prompt, q.label):
                return q
        raise KeyError(f"no question {key!r}; the questions are: {', '.join(q.prompt for q in self.questions())}")

    def diagnose(self, question: Union[Question, str], answer: Union[str, float, int]) -> Feedback:
        """Judge ``answer`` (text such as ``"1/3"``, or a number) to ``question`` (a Question or its id/prompt).

        Right within the tolerance: ``right``, never a mistake. Otherwise every classic mistake whose number it
        matches is named, with the learner's number in the explanation; with none, the chain-rule step is shown.
        """
        q = question if isinstance(question, Question) else self.question(question)
        if isinstance(answer, str):
            text = answer
            try:
                value = evaluate_answer(answer)
            except PracticeError as e:
                return Feedback("invalid", None, (), (str(e),))
        else:
            value = to_float(answer, "diagnose(answer=...)")
            text = repr(value)
        return judge(q, text, value, self.rtol, self.atol)

    def to_dict(self) -> dict:
        """The worksheet as JSON-ready data (what the step page's script reads)."""
        return {
            "title": self.title, "root": self.root, "ask": self.ask, "rtol": self.rtol, "atol": self.atol,
            "texts": dict(TEXTS), "titles": {k: m.title for k, m in MISTAKES.items()},
            "stages": [{"index": s.index, "title": s.title, "given": s.given,
                        "questions": [_question_dict(q) for q in s.questions]} for s in self.stages],
        }


def _question_dict(q: Question) -> dict:
    return {"id": q.id, "kind": q.kind, "prompt": q.prompt, "label": q.label, "node": q.node, "answer": q.answer,
            "right": q.right_text, "hints": list(q.hints), "step": q.step, "show": q.show,
            "candidates": [{"kind": c.kind, "value": c.value, "text": c.text} for c in q.candidates]}


def judge(q: Question, text: str, value: float, rtol: float = RTOL, atol: float = ATOL, *,
          texts: dict | None = None) -> Feedback:
    """The verdict on the number ``value`` (typed as ``text``); see :meth:`Worksheet.diagnose`.

    ``texts`` overrides sentences of :data:`TEXTS` (a grader says "how it is computed", and no "close" note)."""
    words = TEXTS if texts is None else {**TEXTS, **texts}
    if _close(value, q.answer, rtol, atol):
        return Feedback("right", value, (), (q.right_text,))
    shown = shown_answer(text, value)
    hits = match(q.candidates, value, rtol, atol)
    if len(hits) == 1:
        c = hits[0]
        return Feedback("mistake", value, (c.kind,), (f"{MISTAKES[c.kind].title}: {_fill(c.text, shown)}",))
    if hits:
        lines = [words["several"].replace("{answer}", shown).replace("{n}", str(len(hits)))]
        lines += [f"({k}) {MISTAKES[c.kind].title}: {_fill(c.text, shown)}" for k, c in enumerate(hits, 1)]
        return Feedback("mistake", value, tuple(c.kind for c in hits), tuple(lines))
    lines = [words["none"].replace("{answer}", shown)]
    if words["close"] and _close(value, q.answer, 0.02, atol):
        lines.append(words["close"])
    lines.append(words["step"].replace("{step}", q.step))
    return Feedback("wrong", value, (), tuple(lines))


def _fill(template: str, shown: str) -> str:
    return template.replace("{answer}", shown)


def evaluate_answer(text: str) -> float:
    """A typed answer as a float: a number or a small expression (``1/3``, ``2*(-0.7)*3``, ``exp(1)``), read by
    the safe parser (no variables). PracticeError says what is wrong with anything else."""
    if not isinstance(text, str):
        raise TypeError(f"an answer must be text, got {type(text).__name__}")
    if not text.strip():
        raise PracticeError("type a number, such as -1.4 or 1/3 (or hint, show, quit)")
    shown = text.strip()[:40]
    try:
        parsed = Expression.parse(text.strip())
    except ExpressionError as e:
        raise PracticeError(f"cannot read {shown!r}: {e.reason}") from None
    if parsed.variables:
        raise PracticeError(f"cannot read {shown!r}: {parsed.variables[0]!r} is not a number; an answer holds numbers, "
                            "+ - * / **, parentheses and functions such as exp(1)")
    try:
        v = parsed.build({})
    except (ArithmeticError, ValueError) as e:
        raise PracticeError(f"cannot compute {shown!r}: {e}") from None
    value = v.data if isinstance(v, Value) else float(v)
    if not math.isfinite(value):
        raise PracticeError(f"{text.strip()[:40]!r} is not a finite number")
    return value


# ------------------------------------------------------------------------------------------------ candidates
def _try_float(f: Callable[[], object]) -> Union[float, None]:
    try:
        x = float(f())
    except (ArithmeticError, ValueError, TypeError):
        return None
    return x if math.isfinite(x) else None


def local_candidates(op: Op, inputs: Sequence[float], out: float, arg, i: int, *, node: str, parents: Sequence[str],
                     written: str, upstream: Union[float, None] = None, root: str = "L") -> list:
    """The numbers the classic mistakes give for the local derivative ``d node / d parents[i]`` of one op node.

    ``op`` is the node's table entry, ``inputs`` its operands' data and ``out`` its output; ``node``, ``parents``
    and ``written`` name the node, its inputs and how it is written (``e = y_hat - y``) in the explanations.
    ``upstream`` (the node's gradient ``d root / d node``, ``root`` naming the root) adds the ``upstream_in_local``
    candidate. The same function grades a student's custom op (:func:`autograd_core.grading.grade_op`): there
    ``op`` is the reference.
    """
    inputs = tuple(float(x) for x in inputs)
    locals_ = op.local_derivatives(inputs, out, arg)
    right = float(locals_[i])
    p = parents[i]
    d = f"d {node} / d {p}"
    doc = f" ({op.doc})" if op.doc else ""
    out_s, in_s = format_number(out), format_number(inputs[i])
    if right < 0:
        sign = (f"{d} for {written}{doc} is negative, and your {{answer}} is not. A minus sign comes with the "
                "second input of x - y and x / y, and with -x and cos.")
    else:
        sign = f"{d} for {written}{doc} is positive, and your {{answer}} is not: that minus sign does not belong."
    found = [Candidate("sign_error", -right, sign)]
    if len(inputs) == 2 and op.arity == 2 and not _constant_locals(op, inputs, arg, locals_):
        other = float(locals_[1 - i])
        found.append(Candidate("wrong_operand", other,
                               f"your {{answer}} is d {node} / d {parents[1 - i]}, the derivative with respect to "
                               f"the other input of {written}{doc}. For a product the derivative with respect to "
                               "one factor is the other factor."))
    if len(inputs) == 1:
        x = inputs[0]
        with_input = _try_float(lambda: op.local_derivatives((x,), x, arg)[0])
        if with_input is not None and not _close(with_input, right, 1e-12, 0.0):
            found.append(Candidate("input_for_output", with_input,
                                   f"{op.name}'s derivative reuses its output{doc}: it is written with "
                                   f"{node} = {out_s}. Your {{answer}} is the same formula with the input "
                                   f"{p} = {in_s} put where the output belongs."))
        at_output = _try_float(lambda: op.local_derivatives((out,), op.forward(out, arg), arg)[0])
        if at_output is not None:
            found.append(Candidate("output_for_input", at_output,
                                   f"your {{answer}} is {op.name}'s derivative{doc} evaluated at its output "
                                   f"{node} = {out_s}; it is taken at the input {p} = {in_s}."))
    if upstream is not None and upstream != 1.0:
        found.append(Candidate("upstream_in_local", right * upstream,
                               f"your {{answer}} is the local derivative times the upstream gradient "
                               f"d {root} / d {node} = {format_number(upstream)}: the contribution backward adds to "
                               f"{p}.grad. The question asks for {d} alone."))
    return found


def _constant_locals(op: Op, inputs: tuple, arg, locals_: tuple) -> bool:
    """Whether the op's local derivatives are the same elsewhere too (x + y, x - y): then the other input's
    derivative is no "wrong operand" (there is no operand in it), and the sign says all."""
    for shift in (0.5, -0.75):
        moved = tuple(x + shift * (1.0 + abs(x)) for x in inputs)
        there = _try_float(lambda m=moved: max(abs(float(a) - float(b)) for a, b in
                                               zip(op.local_derivatives(m, op.forward(*m, arg), arg), locals_)))
        if there is None or there != 0.0:
            return False
    return True


def _pruned(candidates: Iterable[Candidate], right: float, rtol: float, atol: float) -> tuple:
    """Finite candidates away from the right answer, one per (kind, number)."""
    kept: list = []
    for c in candidates:
        if not math.isfinite(c.value) or _close(c.value, right, rtol, atol):
            continue
        if any(k.kind == c.kind and _close(c.value, k.value, 1e-12, 1e-15) for k in kept):
            continue
        kept.append(c)
    return tuple(kept)


# ------------------------------------------------------------------------------------------------ the worksheet
def _is_constant(v: Value) -> bool:
    # a leaf made from a number: unlabelled, or labelled by its value as the parser labels constants
    if not v.label:
        return True
    try:
        float(v.label)
    except ValueError:
        return False
    return True


_ASK = ("local", "grad", "both")


def _overwriting_pass(order: list, seed: float) -> dict:
    """What a backward pass with ``=`` instead of ``+=`` leaves: the one walk, each update overwriting."""
    acc: dict = {}
    for _, _, updates in walk(order, seed, acc):
        for _, p, _, contribution, _, _ in updates:
            acc[p] = contribution
    return acc


def worksheet(root: Value, ask: str = "both", *, nodes: Iterable | None = None, grad: float = 1.0,
              rtol: float = RTOL, atol: float = ATOL, title: str | None = None) -> Worksheet:
    """Every question of ``root``'s backward pass, with the right answers and the classic mistakes' numbers.

    Args:
        root: the Value whose backward pass is practised; nothing in its graph is changed (not even ``.grad``).
        ask: ``"local"`` (local derivatives), ``"grad"`` (gradients) or ``"both"``.
        nodes: the nodes to ask about (Values of the graph, or their names as :func:`autograd_core.trace.
            node_names` gives them). Default: every interior node, and every leaf that is not a constant (a
            constant is an unlabelled leaf or one labelled by a number, as the parser labels constants).
        grad: the seed d root / d root.
        rtol, atol: a right answer is within ``atol + rtol * |right|``.
        title: what the worksheet is about (default ``root = its expression``).

    The gradient of a node ``v`` (the root excepted) is asked at its own step, where it is complete; the local
    derivatives of a step's inputs follow (an input that is a constant, or a leaf not asked about, is skipped);
    the leaves' gradients come last. The right numbers come from :func:`autograd_core.graph.walk` (leaves start
    from 0: this pass alone).
    """
    if not isinstance(root, Value):
        raise TypeError(f"practice: root must be a Value, got {type(root).__name__}")
    if ask not in _ASK:
        raise ValueError(f"practice: ask must be one of {', '.join(_ASK)}, got {ask!r}")
    seed = to_float(grad, "practice(grad=...)")
    for name, x in (("rtol", rtol), ("atol", atol)):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not (x >= 0 and math.isfinite(x)):
            raise ValueError(f"practice: {name} must be a finite number >= 0, got {x!r}")
    order = topological_order(root)
    names = numbering(order)[1]
    rname = names[root]
    asked = _asked(order, names, nodes)

    acc: dict = {}
    records = [(v, g, list(updates)) for v, g, updates in walk(order, seed, acc)]
    grads = acc  # the walk seeds the root and fills every node it reaches
    uses: dict = {}
    for k, (v, g, updates) in enumerate(records):
        for i, p, d, contribution, _, _ in updates:
            uses.setdefault(p, []).append((k, v, i, g, float(d), contribution))
    overwritten = _overwriting_pass(order, seed)

    ctx = _Context(root, rname, names, grads, uses, overwritten, seed, rtol, atol)
    counter = itertools.count()
    stages = []
    for k, (v, g, updates) in enumerate(records):
        if v not in asked and v is not root:
            continue
        questions = []
        if ask != "local" and v is not root:
            q = ctx.grad_question(f"q{next(counter)}", v, leaf=False)
            if q is not None:
                questions.append(q)
        if ask != "grad":
            for i, p, _, _, _, _ in updates:
                if p.op_entry is None and p not in asked:
                    continue
                q = ctx.local_question(f"q{next(counter)}", v, i, g)
                if q is not None:
                    questions.append(q)
        if questions:
            given = ", ".join(f"{names[p]} = {format_number(p.data)}" for p in _distinct(v.parents)
                              if p.op_entry is not None or not p.label or not _is_constant(p))
            stages.append(Stage(k, f"[{k}] {names[v]} = {expression(v, names)}",
                                f"{names[v]} = {format_number(v.data)}" + (f"; {given}" if given else ""),
                                tuple(questions)))
    if ask != "local":
        leaf_questions = []
        for v in reversed(order):
            if v.op_entry is None and v in asked and v is not root:
                q = ctx.grad_question(f"q{next(counter)}", v, leaf=True)
                if q is not None:
                    leaf_questions.append(q)
        if leaf_questions:
            data = {names[v]: v.data for v in order}
            stages.append(Stage(None, "gradients of the leaves",
                                ", ".join(f"{q.node} = {format_number(data[q.node])}" for q in leaf_questions),
                                tuple(leaf_questions)))
    forward = tuple(f"{names[v]} = {expression(v, names)} = {format_number(v.data)}" for v in order
                    if v.op_entry is not None)
    heading = title if title is not None else f"{rname} = {expression(root, names)}" if root.op_entry else rname
    return Worksheet(heading, rname, forward, tuple(stages), ask, float(rtol), float(atol))


def _distinct(values: Iterable) -> list:
    out: list = []
    for v in values:
        if not any(v is u for u in out):
            out.append(v)
    return out


def _asked(order: list, names: dict, nodes: Iterable | None) -> set:
    if nodes is None:
        return {v for v in order if v.op_entry is not None or not _is_constant(v)}
    if isinstance(nodes, (str, Value)):
        nodes = [nodes]
    by_name = {names[v]: v for v in order}
    members = set(order)
    asked = set()
    for item in nodes:
        if isinstance(item, Value):
            if item not in members:
                raise ValueError(f"practice: node {item.label or item!r} is not part of the graph of the root")
            asked.add(item)
        elif isinstance(item, str):
            if item not in by_name:
                raise ValueError(f"practice: no node named {item!r}; the nodes are {', '.join(by_name)}")
            asked.add(by_name[item])
        else:
            raise TypeError(f"practice: nodes must be Values or node names, got {type(item).__name__}")
    return asked


class _Context:
    """The numbers of one backward pass, shared by the questions of a worksheet."""

    def __init__(self, root, rname, names, grads, uses, overwritten, seed, rtol, atol) -> None:
        self.root, self.rname, self.names, self.grads, self.uses = root, rname, names, grads, uses
        self.overwritten, self.seed, self.rtol, self.atol = overwritten, seed, rtol, atol

    def _written(self, v: Value) -> str:
        return f"{self.names[v]} = {expression(v, self.names)}"

    def local_question(self, qid: str, v: Value, i: int, upstream: float) -> Question | None:
        names = self.names
        op = v.op_entry
        datas = tuple(p.data for p in v.parents)
        right = _try_float(lambda: op.local_derivatives(datas, v.data, v.arg)[i])
        if right is None:
            return None
        p = v.parents[i]
        pnames = [names[q] for q in v.parents]
        if len(pnames) != len(set(pnames)):
            pnames = [f"{n} (input {k})" if pnames.count(n) > 1 else n for k, n in enumerate(pnames)]
        prompt = f"d {names[v]} / d {pnames[i]}"
        written = self._written(v)
        cands = local_candidates(op, datas, v.data, v.arg, i, node=names[v], parents=pnames, written=written,
                                 upstream=upstream, root=self.rname)
        values = ", ".join(f"{names[q]} = {format_number(q.data)}" for q in _distinct(v.parents))
        formula = f"{written}" + (f" ({op.name}: {op.doc})" if op.doc else "")
        hints = (formula, f"here {values}, and the output {names[v]} = {format_number(v.data)}")
        step = f"{prompt} for {formula}, at {values} (output {format_number(v.data)})"
        return Question(qid, "local", prompt, f"local derivative {prompt}", names[p], right,
                        _pruned(cands, right, self.rtol, self.atol), hints, step,
                        f"{prompt} = {format_number(right, 6)} for {formula} at {values}")

    def grad_question(self, qid: str, v: Value, leaf: bool) -> Question | None:
        names, L = self.names, self.rname
        right = self.grads.get(v, 0.0)
        if not math.isfinite(right):
            return None
        vn = names[v]
        prompt = f"d {L} / d {vn}"
        uses = self.uses.get(v, [])
        terms = [f"{_factor(g)} x {_factor(d)}" for _, _, _, g, d, _ in uses]
        symbolic = " + ".join(f"(d {L} / d {names[c]}) x (d {names[c]} / d {vn})" for _, c, _, _, _, _ in uses)
        step = f"{prompt} = {symbolic} = {' + '.join(terms)}" if uses else f"{prompt} = 0 ({L} does not use {vn})"
        users = _use_text(uses, names)
        if len(uses) == 1:
            hint1 = (f"{vn} is used once, by {users}: {prompt} = (d {L} / d {names[uses[0][1]]}) x "
                     f"(d {names[uses[0][1]]} / d {vn}), upstream times local")
        else:
            hint1 = (f"{vn} is used {len(uses)} times, by {users}: {prompt} is the sum of one term per use, "
                     "(the user's gradient) x (its local derivative)")
        cands: list = []
        self._sum_candidates(v, right, uses, cands)
        self._local_in_grad(v, right, uses, cands)
        if uses:
            locals_sum = 0.0
            for _, _, _, _, d, _ in uses:
                locals_sum += d
            ups = ", ".join(f"d {L} / d {names[c]} = {format_number(g)}" for _, c, _, g, _, _ in _first_per_user(uses))
            cands.append(Candidate("dropped_upstream", locals_sum,
                                   f"your {{answer}} is the local derivative{'s' if len(uses) > 1 else ''} alone "
                                   f"({' + '.join(f'd {names[c]} / d {vn}' for _, c, _, _, _, _ in uses)}); the "
                                   f"chain rule multiplies each by its upstream gradient ({ups})."))
        cands.append(Candidate("sign_error", -right, f"your {{answer}} has the sign of {prompt} the wrong way "
                                                     "round: check the minus signs of x - y, x / y and -x on the way."))
        if leaf:
            cands.append(Candidate("accumulated_twice", 2.0 * right,
                                   f"your {{answer}} is twice {prompt}: the gradient of two backward calls. Leaves "
                                   f"accumulate (.grad +=) on every call, so zero {vn}.grad before each backward."))
            if v.grad != 0.0:
                cands.append(Candidate("accumulated_twice", right + v.grad,
                                       f"your {{answer}} is {prompt} plus the {format_number(v.grad)} that "
                                       f"{vn}.grad already held: leaves accumulate across backward calls; zero the "
                                       "gradients before each backward."))
        return Question(qid, "grad", prompt, f"gradient {prompt}", vn, right,
                        _pruned(cands, right, self.rtol, self.atol), (hint1, step), step,
                        step + f" = {format_number(right, 6)}")

    def _sum_candidates(self, v: Value, right: float, uses: list, cands: list) -> None:
        names, L, vn = self.names, self.rname, self.names[v]
        if len(uses) >= 2:
            n = len(uses)
            for _, c, i, g, d, contribution in uses:
                where = f"{names[c]}" + (f" (input {i})" if sum(1 for u in uses if u[1] is c) > 1 else "")
                cands.append(Candidate("forgot_sum", contribution,
                                       f"{vn} is used {n} times ({_use_text(uses, names)}) and {L} depends on it "
                                       f"through each use; your {{answer}} is the term through {where} alone "
                                       f"({_factor(g)} x {_factor(d)}). Add the terms of all uses."))
            if n >= 3:
                for _, c, _, _, _, contribution in uses:
                    cands.append(Candidate("forgot_sum", right - contribution,
                                           f"your {{answer}} leaves out the use of {vn} by {names[c]}: {vn} is used "
                                           f"{n} times, and {L} depends on it through each."))
            users = []
            for u in uses:
                if not any(u[1] is w for w in users):
                    users.append(u[1])
            if len(users) >= 2 and len(users) < n:
                for c in users:
                    part = 0.0
                    for u in uses:
                        if u[1] is c:
                            part += u[5]
                    cands.append(Candidate("forgot_sum", part,
                                           f"your {{answer}} counts only the uses by {names[c]}; {vn} is also used "
                                           "by other nodes, and its gradient sums the terms of every use."))
            last = uses[-1]
            cands.append(Candidate("overwrite", last[5],
                                   f"backward adds each use's term to {vn}.grad (+=); your {{answer}} is the last "
                                   f"term alone, the one through {names[last[1]]}, which is what = instead of += "
                                   "leaves."))
        over = self.overwritten.get(v)
        if over is not None and not _close(over, right, 1e-12, 0.0):
            cands.append(Candidate("overwrite", over,
                                   f"your {{answer}} is what backward gives when every gradient is overwritten "
                                   "(=) instead of accumulated (+=): each node used more than once keeps only its "
                                   f"last term on the way from {L} to {vn}."))
        try:
            paths = gradient_paths(self.root, v, self.seed, max_paths=_MAX_PATHS) if v is not self.root else []
        except ValueError:
            paths = []
        if len(paths) >= 2:
            for path in paths:
                route = " -> ".join(names[u] for u in path.nodes)
                cands.append(Candidate("forgot_sum", path.product,
                                       f"your {{answer}} is the product of the local derivatives along one path, "
                                       f"{route}, alone; {len(paths)} paths lead from {vn} to {L}, and {L}'s "
                                       f"gradient sums them all."))

    def _local_in_grad(self, v: Value, right: float, uses: list, cands: list) -> None:
        # a local-derivative mistake on one use, carried into the gradient: G - g l + g l'
        names, vn = self.names, self.names[v]
        for _, c, i, g, d, contribution in uses:
            datas = tuple(p.data for p in c.parents)
            pnames = [names[q] for q in c.parents]
            for lc in local_candidates(c.op_entry, datas, c.data, c.arg, i, node=names[c], parents=pnames,
                                       written=self._written(c)):
                wrong = right - contribution + g * lc.value
                local_shown = format_number(lc.value)
                text = lc.text.replace("{answer}", local_shown)
                cands.append(Candidate(lc.kind, wrong,
                                       f"your {{answer}} comes from d {names[c]} / d {vn} = {local_shown} (it is "
                                       f"{format_number(d)}): {text}"))


def _first_per_user(uses: list) -> list:
    out: list = []
    for u in uses:
        if not any(u[1] is w[1] for w in out):
            out.append(u)
    return out


def _use_text(uses: list, names: dict) -> str:
    parts = []
    for u in _first_per_user(uses):
        k = sum(1 for w in uses if w[1] is u[1])
        parts.append(names[u[1]] + (f" ({k} times)" if k > 1 else ""))
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------------ the session
@dataclass(frozen=True)
class Summary:
    """The end of a session: how many questions, how they went, which mistakes were named and how often.

    Attributes:
        questions: questions in the worksheet.
        right_first: answered right at the first try.
        right_retry: answered right at a later try.
        shown: shown (asked for, or the tries used up).
        unanswered: not reached (the session was stopped).
        mistakes: kind -> how many wrong answers named it.
        where: kind -> the prompts where it was named.
        unexplained: wrong answers no classic mistake gives.
    """

    questions: int
    right_first: int
    right_retry: int
    shown: int
    unanswered: int
    mistakes: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    unexplained: int = 0

    def __str__(self) -> str:
        lines = [f"summary: {self.questions} question{'s' if self.questions != 1 else ''}: {self.right_first} right "
                 f"at the first try, {self.right_retry} right at a retry, {self.shown} shown, {self.unanswered} not "
                 "answered"]
        if self.mistakes:
            lines.append("mistakes named:")
            for kind in sorted(self.mistakes, key=lambda k: (-self.mistakes[k], _ORDER.get(k, 99))):
                lines.append(f"  {MISTAKES[kind].title}: {self.mistakes[kind]} ({', '.join(self.where[kind])})")
        else:
            lines.append("mistakes named: none")
        lines.append(f"wrong answers no classic mistake explains: {self.unexplained}")
        return "\n".join(lines)


_HELP = ("Answer with a number or a small expression such as 1/3 or 2*(-0.7)*3. Type hint for a hint, show for "
         "the answer, quit to stop.")
_QUIT = ("q", "quit", "exit")
_HINT = ("h", "hint", "?")
_SHOW = ("s", "show")


def run_session(sheet: Worksheet, ask_line: Callable[[str], Union[str, None]], write: Callable[[str], None],
                tries: int = 2) -> Summary:
    """Ask ``sheet``'s questions one by one; return the :class:`Summary` (also written at the end).

    ``ask_line(prompt)`` returns the learner's line (None at the end of input, which ends the session);
    ``write(text)`` prints one line. Per question the learner has ``tries`` tries; ``hint`` gives the next hint
    (free), ``show`` the answer, ``quit`` stops.
    """
    if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
        raise ValueError(f"practice: tries must be a positive int, got {tries!r}")
    write(f"Practice backprop: {sheet.title}")
    write("forward pass (backward visits these nodes from the last to the first):")
    for line in sheet.forward:
        write(f"  {line}")
    total = len(sheet.questions())
    write(f"{total} question{'s' if total != 1 else ''}, {tries} tr{'ies' if tries != 1 else 'y'} each. {_HELP}")
    counts = Counter()
    mistakes: Counter = Counter()
    where: dict = {}
    unexplained = 0
    done = 0
    stopped = False
    for stage in sheet.stages:
        if stopped:
            break
        write("")
        write(f"{stage.title}   ({stage.given})")
        for q in stage.questions:
            outcome, named, unexplained_here = _ask(q, sheet, ask_line, write, tries)
            unexplained += unexplained_here
            for kind in named:
                mistakes[kind] += 1
                if q.prompt not in where.setdefault(kind, []):
                    where[kind].append(q.prompt)
            if outcome == "quit":
                stopped = True
                break
            done += 1
            counts[outcome] += 1
    summary = Summary(total, counts["first"], counts["retry"], counts["shown"], total - done, dict(mistakes),
                      {k: tuple(v) for k, v in where.items()}, unexplained)
    write("")
    for line in str(summary).split("\n"):
        write(line)
    return summary


def _ask(q: Question, sheet: Worksheet, ask_line, write, tries: int) -> tuple:
    named: list = []
    unexplained = 0
    hints_given = 0
    attempt = 0
    while attempt < tries:
        suffix = f" (try {attempt + 1} of {tries})" if attempt else ""
        line = ask_line(f"  {q.label} = ?{suffix} ")
        if line is None or line.strip().lower() in _QUIT:
            return "quit", named, unexplained
        word = line.strip().lower()
        if word in _HINT:
            if hints_given < len(q.hints):
                write(f"    hint: {q.hints[hints_given]}")
                hints_given += 1
            else:
                write("    no more hints: type show for the answer")
            continue
        if word in _SHOW:
            write(f"    {TEXTS['answer'].replace('{show}', q.show)}")
            return "shown", named, unexplained
        fb = sheet.diagnose(q, line)
        for text in fb.lines:
            write(f"    {text}")
        if fb.verdict == "invalid":
            continue
        if fb.verdict == "right":
            return ("first" if attempt == 0 else "retry"), named, unexplained
        if fb.verdict == "mistake":
            named.extend(k for k in fb.mistakes if k not in named)
        else:
            unexplained += 1
        attempt += 1
    write(f"    {TEXTS['answer'].replace('{show}', q.show)}")
    return "shown", named, unexplained


def practice(root: Value, ask: str = "both", *, nodes: Iterable | None = None, tries: int = 2,
             rtol: float = RTOL, atol: float = ATOL, grad: float = 1.0, title: str | None = None,
             read: Callable[[str], str] | None = None, out: TextIO | None = None) -> Summary:
    """Practise ``root``'s backward pass in the REPL: the tutor asks, node by node, and names mistakes.

    ``ask`` is ``"local"`` (local derivatives), ``"grad"`` (gradients) or ``"both"``; ``nodes`` limits the
    questions to some nodes (see :func:`worksheet`). Each answer is a number or a small expression; ``hint``,
    ``show`` and ``quit`` do what they say; ``tries`` tries per question. ``read(prompt)`` reads a line (default
    :func:`input`; end of input ends the session) and ``out`` receives the text (default stdout). Nothing in the
    graph is changed. Returns the :class:`Summary`.

    Example::

        x, y = Value(-2.0, label="x"), Value(-2.0, label="y")
        autograd_core.practice(x * y + 3 * x ** 2, ask="grad")
    """
    sheet = worksheet(root, ask, nodes=nodes, grad=grad, rtol=rtol, atol=atol, title=title)
    reader = builtins.input if read is None else read
    stream = sys.stdout if out is None else out

    def ask_line(prompt: str) -> Union[str, None]:
        try:
            return reader(prompt)
        except EOFError:
            return None

    def write(text: str) -> None:
        print(text, file=stream)

    return run_session(sheet, ask_line, write, tries)


# ------------------------------------------------------------------------------------------------ exercises
@dataclass(frozen=True)
class Exercise:
    """A named exercise: ``build()`` returns ``(root, nodes)`` (``nodes`` None: ask about every node)."""

    name: str
    title: str
    source: str
    ask: str
    build: Callable[[], tuple]

    def worksheet(self, ask: str | None = None, **options) -> Worksheet:
        """This exercise's :class:`Worksheet` (its own default ``ask`` unless given)."""
        root, nodes = self.build()
        return worksheet(root, ask or self.ask, nodes=nodes, title=self.title, **options)


def _v(data: float, label: str) -> Value:
    return Value(data, label=label)


def _labelled(v: Value, label: str) -> Value:
    v.label = label
    return v


def _worked_example() -> tuple:
    w, x, y = _v(0.1, "w"), _v(3.0, "x"), _v(1.0, "y")
    y_hat = _labelled(w * x, "y_hat")
    e = _labelled(y_hat - y, "e")
    return _labelled(e ** 2, "L"), None


def _logistic_regression() -> tuple:
    xs = [_v(v, f"x{i + 1}") for i, v in enumerate((1.0, 2.0, -1.0))]
    ws = [_v(v, f"w{i + 1}") for i, v in enumerate((0.5, -0.3, 0.8))]
    b = _v(0.1, "b")
    y = _v(1.0, "y")
    one_minus_y = _v(0.0, "one_minus_y")
    products = [_labelled(wi * xi, f"w{i + 1}x{i + 1}") for i, (wi, xi) in enumerate(zip(ws, xs))]
    z = _labelled(vsum(products, b), "z")
    a = _labelled(sigmoid(z), "a")
    log_a = _labelled(a.log(), "log_a")
    one_minus_a = _labelled(_v(1.0, "1") - a, "one_minus_a")
    log_1ma = _labelled(one_minus_a.log(), "log_1ma")
    s = _labelled(_labelled(y * log_a, "y_log_a") + _labelled(one_minus_y * log_1ma, "rest"), "s")
    loss = _labelled(-s, "L")
    interior = [v for v in topological_order(loss) if v.op_entry is not None]
    return loss, interior + ws + [b]


def _gradient_xy() -> tuple:
    x, y = _v(-2.0, "x"), _v(-2.0, "y")
    return _labelled(parse_expression("x*y + 3*x**2", {"x": x, "y": y}), "f"), None


def _regression_net() -> tuple:
    x, t = _v(-4.5, "x"), _v(0.5, "t")
    w1, b1 = [0.4, -0.3], [1.0, 0.5]
    W2, b2 = [[1.2, -0.8], [0.9, 1.1]], [0.1, -0.2]
    w3, b3 = [1.5, -1.3], 1.5
    a1, zs1 = [], []
    for j in range(2):
        z = _labelled(vsum([_labelled(_v(w1[j], f"w1_{j + 1}") * x, f"w1_{j + 1}x")], _v(b1[j], f"b1_{j + 1}")),
                      f"z1_{j + 1}")
        zs1.append(z)
        a1.append(_labelled(sigmoid(z), f"a1_{j + 1}"))
    a2, zs2 = [], []
    for j in range(2):
        terms = [_labelled(_v(W2[j][k], f"W2_{j + 1}{k + 1}") * a1[k], f"W2_{j + 1}{k + 1}a") for k in range(2)]
        z = _labelled(vsum(terms, _v(b2[j], f"b2_{j + 1}")), f"z2_{j + 1}")
        zs2.append(z)
        a2.append(_labelled(sigmoid(z), f"a2_{j + 1}"))
    terms = [_labelled(_v(w3[k], f"w3_{k + 1}") * a2[k], f"w3_{k + 1}a") for k in range(2)]
    z3 = _labelled(vsum(terms, _v(b3, "b3")), "z3")
    y = _labelled(sigmoid(z3), "y")
    e = _labelled(t - y, "e")
    loss = _labelled(_v(0.5, "0.5") * _labelled(e ** 2, "e_sq"), "L")
    return loss, [y, z3, *zs2, *zs1]


def _softmax_cross_entropy() -> tuple:
    zs = [_v(v, f"z{i + 1}") for i, v in enumerate((1.8, 0.9, 0.68))]
    es = [_labelled(z.exp(), f"e{i + 1}") for i, z in enumerate(zs)]
    s = _labelled(vsum(es), "s")
    p1 = _labelled(es[0] / s, "p1")
    log_p1 = _labelled(p1.log(), "log_p1")
    return _labelled(-log_p1, "L"), None


def _used_twice() -> tuple:
    a, b = _v(-2.0, "a"), _v(3.0, "b")
    p = _labelled(a * b, "p")
    s = _labelled(a + b, "s")
    return _labelled(p * s, "f"), None


EXERCISES: dict = {e.name: e for e in (
    Exercise("worked-example", "the seed worked example: L = (w x - y)^2 at x = 3, y = 1, w = 0.1 "
             "(dL/dw = 2 (y_hat - y) x = -4.2)", "notes 004", "both", _worked_example),
    Exercise("logistic-regression", "logistic regression: z = w.x + b, a = sigmoid(z), "
             "L = -(y log a + (1 - y) log(1 - a)); dz = a - y", "notes 000", "grad", _logistic_regression),
    Exercise("gradient-xy", "the gradient of f(x, y) = x y + 3 x^2 at (-2, -2): (y + 6x, x) = (-14, -2)",
             "notes 001", "both", _gradient_xy),
    Exercise("regression-net", "the 1-2-2-1 regression net's deltas (sigmoid units, L = (t - y)^2 / 2, "
             "x = -4.5, t = 0.5)", "notes 001", "grad", _regression_net),
    Exercise("softmax-cross-entropy", "softmax with cross-entropy: logits (1.8, 0.9, 0.68), true class 1, "
             "L = -log p1; dL/dz = p - y", "notes 002", "both", _softmax_cross_entropy),
    Exercise("used-twice", "nodes used twice: p = a b, s = a + b, f = p s at a = -2, b = 3 (df/da = s b + p)",
             "the micrograd lecture", "both", _used_twice),
)}
"""The lectures' exercises, by name (``autograd-core practice --exercise NAME``)."""


def exercise(name: str) -> Exercise:
    """The exercise called ``name``; PracticeError listing the names otherwise."""
    try:
        return EXERCISES[name]
    except (KeyError, TypeError):
        raise PracticeError(f"no exercise {name!r:.60}; the exercises are: {', '.join(EXERCISES)}") from None


def random_exercise(size: int = 4, seed: int = 0, n_vars: int = 2) -> tuple:
    """A seeded random exercise: ``(root, title)`` for an expression drawn by :func:`autograd_core.testing.
    expressions` with ``size`` op nodes or more, over the table's smooth built-in ops without a parameter whose
    domains hold [-10, 10] (``+ - *``, unary ``-``, exp, tanh, sigmoid, softplus, sin, cos), with inputs rounded to
    one decimal. The same seed gives the same exercise (for one hypothesis version).
    Needs hypothesis (``pip install 'autograd-core[test]'``)."""
    for name, x, low in (("size", size, 1), ("n_vars", n_vars, 1), ("seed", seed, 0)):
        if isinstance(x, bool) or not isinstance(x, int) or x < low:
            raise PracticeError(f"random exercise: {name} must be an int >= {low}, got {x!r}")
    if size > 40:
        raise PracticeError(f"random exercise: size must be at most 40, got {size}")
    import random

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from .testing import expressions  # hypothesis: the test extra

    # ops a learner can differentiate by hand at any input: smooth built-ins without a constant parameter whose
    # domains hold [-10, 10] (so no domain guard such as softplus(x) + 0.25 is needed)
    ops = [op for op in _table_ops() if op.builtin and op.smooth and op.param is None
           and all(d.lo < -10.0 and d.hi > 10.0 for d in op.domains)]
    strategy = expressions(n_vars=n_vars, max_depth=min(size, 6), ops=ops, max_ops=size)
    quiet = settings(phases=[Phase.generate], database=None, max_examples=500, deadline=None,
                     suppress_health_check=list(HealthCheck))
    try:
        expr = find(strategy, lambda e: e.size >= size, settings=quiet, random=random.Random(seed))
    except NoSuchExample:
        raise PracticeError(f"random exercise: no expression of size {size} was drawn; try a smaller size") from None
    inputs = [round(x, 1) for x in random.Random(seed).choices([k / 10 for k in range(-15, 16) if k], k=n_vars)]
    root = expr.build(inputs)
    if root.op_entry is not None and not root.label:
        root.label = "f"
    values = ", ".join(f"x{i} = {format_number(x)}" for i, x in enumerate(inputs))
    return root, f"random exercise (size {size}, seed {seed}): f = {expr.source()} at {values}"


def _table_ops() -> list:
    from .ops import OPS

    return list(OPS.values())


# ------------------------------------------------------------------------------------------------ command line
def positive_int(text: str) -> int:
    """argparse type of the command line's counts: an int >= 1, else ArgumentTypeError quoting the text."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text[:20]!r}")
    return n


def add_practice_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``practice`` subcommand to an argparse ``subparsers`` object; returns its parser."""
    p = subparsers.add_parser(
        "practice", help="practise backprop: answer node by node, the tutor names the mistake",
        description="Walk the backward pass of EXPR (or of an exercise) node by node and answer, per node, its "
                    "local derivatives and/or its gradient. Answers are numbers or small expressions (1/3); a wrong "
                    "answer is matched against the classic mistakes (forgot to sum over paths, overwrote instead of "
                    "accumulating, input for output, dropped upstream, sign error, wrong operand, accumulated over "
                    "two backward calls). hint, show and quit work at every prompt.",
        epilog="examples: practice 'x*y + 3*x**2' x=-2 y=-2 --ask grad;  practice --list;  practice --exercise "
               "worked-example;  practice --random 5 --seed 1")
    p.add_argument("expr", nargs="?", metavar="EXPR", help="the expression, e.g. 'x*y + 3*x**2' (quote it)")
    p.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help="the variables and their values")
    p.add_argument("--ask", choices=_ASK, default=None,
                   help="what to ask per node: local derivatives, gradients or both (default: both, or the "
                        "exercise's own)")
    p.add_argument("--list", action="store_true", help="list the exercises and exit")
    p.add_argument("--exercise", metavar="NAME", help="practise a named exercise (see --list)")
    p.add_argument("--random", type=positive_int, metavar="SIZE", help="a random exercise with SIZE op nodes")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="the seed of --random (default 0)")
    p.add_argument("--tries", type=positive_int, default=2, metavar="N", help="tries per question (default 2)")
    return p


def parse_assignments(items: Sequence[str]) -> dict:
    """``["x=1.5", "y=-2"]`` -> ``{"x": 1.5, "y": -2.0}``, the command line's variables; PracticeError says what is
    wrong with an item (not ``NAME=VALUE``, a bad name, not a finite number, a name given twice)."""
    values: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise PracticeError(f"argument {item[:40]!r} is not an assignment; give variables as NAME=VALUE, e.g. "
                                "x=1.5 (quote the expression if it contains spaces)")
        try:
            check_variable_name(name, "variable")
        except ExpressionError as e:
            raise PracticeError(f"{item[:40]!r}: {e.reason}") from None
        try:
            value = float(text)
        except ValueError:
            raise PracticeError(f"{item[:40]!r}: the value of {name} must be a number, e.g. {name}=1.5") from None
        if not math.isfinite(value):
            raise PracticeError(f"{item[:40]!r}: the value of {name} must be a finite number, got {text[:20]!r}")
        if name in values:
            raise PracticeError(f"variable {name!r} is given twice")
        values[name] = value
    return values


def is_tty(stream: object) -> bool:
    """Whether ``stream`` is a terminal (False for pipes, files, closed streams and objects without isatty)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def _sheet_from_args(args: argparse.Namespace) -> Worksheet:
    chosen = [k for k, given in (("EXPR", args.expr is not None), ("--exercise", args.exercise is not None),
                                 ("--random", args.random is not None)) if given]
    if len(chosen) > 1:
        raise PracticeError(f"give one of EXPR, --exercise NAME and --random SIZE, not {' and '.join(chosen)}")
    if not chosen:
        raise PracticeError("give an expression and its variables (practice 'x*y + 3*x**2' x=-2 y=-2), "
                            "--exercise NAME (see --list) or --random SIZE")
    if args.assignments and args.expr is None:
        raise PracticeError(f"variables ({args.assignments[0][:40]!r}) go with an expression, not with "
                            f"{chosen[0]}")
    if args.exercise is not None:
        return exercise(args.exercise).worksheet(args.ask)
    if args.random is not None:
        root, title = random_exercise(args.random, args.seed)
        return worksheet(root, args.ask or "both", title=title)
    values = parse_assignments(args.assignments)
    parsed = Expression.parse(args.expr, names=values.keys())
    leaves = {name: Value(v, label=name) for name, v in values.items()}
    root = parsed.build(leaves)
    if root.op_entry is None:
        raise PracticeError(f"{args.expr[:40]!r} is a single leaf: backward does no steps, there is nothing to ask")
    if not root.label and "f" not in values:
        root.label = "f"
    return worksheet(root, args.ask or "both", title=f"f = {parsed.text} at "
                     + ", ".join(f"{n} = {format_number(v)}" for n, v in values.items()))


def run_practice(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO | None = None) -> int:
    """Run ``autograd-core practice`` (arguments from :func:`add_practice_command`); return the exit code.

    Reads answers line by line from ``stdin`` (a line that is not a terminal is echoed after its prompt, so a
    scripted session reads like a typed one) and writes to ``stdout``. Exit codes: 0 done (also when the input
    ends early), 2 rejected input (bad expression, unknown exercise, malformed variable), 1 a runtime error such
    as log of a negative number, or hypothesis missing for --random.
    """
    err = sys.stderr if stderr is None else stderr
    if args.list:
        width = max(len(n) for n in EXERCISES)
        for e in EXERCISES.values():
            print(f"{e.name.ljust(width)}  {e.title} [{e.source}; asks {e.ask}]", file=stdout)
        print("random: --random SIZE [--seed N], a drawn expression with SIZE op nodes", file=stdout)
        return 0
    try:
        sheet = _sheet_from_args(args)
    except (PracticeError, ExpressionError) as e:
        print(f"autograd-core: error: {e}", file=err)
        return 2
    except ImportError as e:
        print(f"autograd-core: error: {e}", file=err)
        return 1
    except (ArithmeticError, ValueError) as e:
        print(f"{type(e).__name__}: {e}", file=err)
        return 1
    if not sheet.questions():
        print(f"autograd-core: error: nothing to ask about {sheet.title} with --ask {sheet.ask}", file=err)
        return 2
    echo = not is_tty(stdin)

    def ask_line(prompt: str) -> Union[str, None]:
        stdout.write(prompt)
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return None
        if echo:
            stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")

    def write(text: str) -> None:
        print(text, file=stdout)

    run_session(sheet, ask_line, write, args.tries)
    return 0
