"""The teacher's kit: grade a student's derivatives and name the misconception, from pytest in a course's tests.

* :func:`grade_op` grades a student's local derivatives of a custom op (an :class:`~autograd_core.Op` from
  :func:`~autograd_core.define_op`, or plain derivative functions) against a reference (the teacher's derivatives,
  or central differences of the forward), point by point and input by input. A wrong number is matched against the
  classic mistakes of :data:`autograd_core.practice.MISTAKES` computed from the reference (the same
  :func:`autograd_core.practice.local_candidates` the tutor uses): a sign error, the wrong operand, the input put
  where the output belongs (``1 - x^2`` for tanh), the derivative evaluated at the output. :func:`~autograd_core.
  gradcheck` already names *which* op of a graph is wrong; this says *how* it is wrong.
* ``nn.grading.grade_backprop`` (in the ``nn`` package, which sits on top of this one) grades a hand-written MLP
  backprop per layer and per element, with the same mistake names.

Both return a :class:`Grade`: ``grade.ok``, ``grade.score``, ``grade.mistakes`` (kind -> count), ``str(grade)`` (a
report a student can read) and ``grade.assert_correct()``, which raises :class:`GradingError` with that report, so
a course's test file needs one line per assignment::

    def test_my_tanh():
        grade_op(student.my_tanh, reference=[lambda x, out: 1 - out * out], points=[-1.5, 0.3, 2.0]).assert_correct()

A number is right when ``|got - expected| <= atol + rtol |expected|``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Union

from .ops import ATOM, Op, drop_arg, to_float
from .practice import MISTAKES, Candidate, Feedback, Question, format_number, judge, local_candidates

__all__ = ["GradingError", "Check", "Grade", "grade_op", "diagnose_number", "Candidate", "MISTAKES"]


class GradingError(AssertionError):
    """A graded submission is wrong: raised by :meth:`Grade.assert_correct` with the whole report as its message.

    An ``AssertionError`` on purpose: in a course's pytest file a wrong submission is a failed test (F), not an
    error (E). It is raised explicitly, so ``python -O`` does not remove it. ``grade`` holds the :class:`Grade`.
    """

    def __init__(self, message: str, grade: Grade | None = None) -> None:
        super().__init__(message)
        self.grade = grade


@dataclass(frozen=True)
class Check:
    """One graded number.

    Attributes:
        group: what it belongs to (``"d out / d x"``, ``"layer 1"``), for the report.
        where: which number (``"at x = 0.5"``, ``"dW[0][1]"``).
        expected: the right number.
        got: the student's number, or None when the student's code failed (``message`` says how).
        ok: within the tolerance.
        mistakes: the kinds of :data:`MISTAKES` the wrong number matches (empty when right or unexplained).
        message: the diagnosis, one or more lines ("" when right).
    """

    group: str
    where: str
    expected: float
    got: Union[float, None]
    ok: bool
    mistakes: tuple = ()
    message: str = ""


@dataclass(frozen=True)
class Grade:
    """The result of grading one submission: its :class:`Check` list and notes about the reference."""

    subject: str
    checks: tuple
    notes: tuple = ()

    @property
    def ok(self) -> bool:
        """Every check right (and at least one check)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def score(self) -> float:
        """The fraction of checks that are right."""
        return sum(1 for c in self.checks if c.ok) / len(self.checks) if self.checks else 0.0

    @property
    def failures(self) -> list:
        """The wrong checks."""
        return [c for c in self.checks if not c.ok]

    @property
    def mistakes(self) -> dict:
        """kind -> how many wrong checks name it, most frequent first."""
        counts = Counter(k for c in self.checks for k in c.mistakes)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], list(MISTAKES).index(kv[0]))))

    def report(self, max_shown: int = 6) -> str:
        """The report: per group how many are right and which mistakes, then up to ``max_shown`` wrong numbers
        per group with their diagnosis."""
        right = sum(1 for c in self.checks if c.ok)
        lines = [f"{self.subject}: {right} of {len(self.checks)} right" + (" (all right)" if self.ok else "")]
        lines += [f"  {n}" for n in self.notes]
        groups: dict = {}
        for c in self.checks:
            groups.setdefault(c.group, []).append(c)
        for name, checks in groups.items():
            explained: set = set()  # per group: each mistake's explanation once, then "(as above)"
            wrong = [c for c in checks if not c.ok]
            named = Counter(k for c in wrong for k in c.mistakes)
            summary = f"{name}: {len(checks) - len(wrong)} of {len(checks)} right"
            if named:
                summary += "; " + ", ".join(f"{MISTAKES[k].title} x{n}" for k, n in named.most_common())
            unexplained = sum(1 for c in wrong if not c.mistakes and c.got is not None)
            if unexplained:
                summary += f"; {unexplained} wrong no classic mistake explains"
            lines.append(summary)
            for c in wrong[:max_shown]:
                got = "failed" if c.got is None else format_number(c.got, 6)
                head = f"  {c.where}: yours {got}, right {format_number(c.expected, 6)}: "
                if c.mistakes and c.mistakes in explained:
                    lines.append(head + " and ".join(MISTAKES[k].title for k in c.mistakes) + " (as above)")
                    continue
                explained.add(c.mistakes)
                body = c.message.split("\n")
                lines.append(head + body[0])
                lines += [f"    {b}" for b in body[1:]]
            if len(wrong) > max_shown:
                lines.append(f"  ... {len(wrong) - max_shown} more wrong in {name}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def assert_correct(self) -> None:
        """Raise :class:`GradingError` with the report unless every check is right (for pytest)."""
        if not self.ok:
            raise GradingError(self.report(), self)


def diagnose_number(expected: float, got: float, candidates: Iterable[Candidate], *, prompt: str, step: str = "",
                    rtol: float = 1e-6, atol: float = 1e-9) -> Feedback:
    """The tutor's verdict on one graded number: right, the classic mistakes it matches, or the step to redo.

    ``candidates`` are the numbers the mistakes give (:class:`Candidate`, ``{answer}`` standing for the student's
    number); those within the tolerance of ``expected`` are ignored, so a right number is never a mistake.
    """
    expected = to_float(expected, "diagnose_number(expected=...)")
    got = to_float(got, "diagnose_number(got=...)")
    kept = tuple(c for c in candidates if math.isfinite(c.value) and not _close(c.value, expected, rtol, atol))
    q = Question("graded", "value", prompt, prompt, "", expected, kept, (), step or f"{prompt} = ?",
                 f"{prompt} = {format_number(expected, 6)}")
    return judge(q, format_number(got, 6), got, rtol, atol, texts=_GRADER_TEXTS)


_GRADER_TEXTS = {"none": "none of the classic mistakes gives {answer}.", "close": "",
                 "step": "how it is computed: {step}"}


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# ------------------------------------------------------------------------------------------------ custom ops
class _Numeric:
    # d forward / d input i by central differences, with the table's calling convention
    __slots__ = ("forward", "i", "eps")

    def __init__(self, forward: Callable, i: int, eps: float) -> None:
        self.forward, self.i, self.eps = forward, i, eps

    def __call__(self, *args):
        inputs, arg = list(args[:-2]), args[-1]
        h = self.eps * max(1.0, abs(inputs[self.i]))
        plus, minus = list(inputs), list(inputs)
        plus[self.i] += h
        minus[self.i] -= h
        return (self.forward(*plus, arg) - self.forward(*minus, arg)) / (2.0 * h)


def _as_op(what: str, spec, forward: Callable, arity: int | None, param: bool, name: str) -> Op:
    if isinstance(spec, Op):
        return spec
    if callable(spec):
        spec = [spec]
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence) or not spec:
        raise TypeError(f"grade_op: {what} must be an Op (from define_op) or a list of derivative functions "
                        f"d(*inputs, out), got {type(spec).__name__}")
    if not all(callable(d) for d in spec):
        raise TypeError(f"grade_op: every derivative of {what} must be callable, d(*inputs, out)")
    n = len(spec) if arity is None else arity
    if len(spec) != n or n not in (1, 2):
        raise ValueError(f"grade_op: {what} has {len(spec)} derivative(s); a custom op takes 1 or 2 inputs, one "
                         "derivative each" + (f", and the student's takes {n}" if arity is not None else ""))
    derivs = tuple(d if param else drop_arg(d) for d in spec)
    return Op(name, n, forward, derivs, param="arg" if param else None)


def _points(points: Iterable, arity: int) -> list:
    out = []
    for k, p in enumerate(points):
        xs = (p,) if not isinstance(p, (tuple, list)) else tuple(p)
        if len(xs) != arity:
            raise ValueError(f"grade_op: point {k} has {len(xs)} input(s), the op takes {arity}")
        out.append(tuple(to_float(x, f"grade_op: point {k}") for x in xs))
    if not out:
        raise ValueError("grade_op: give at least one point, e.g. points=[-1.5, 0.3, 2.0]")
    return out


def grade_op(student, reference=None, points: Iterable = (-1.5, -0.4, 0.3, 1.2), *, forward: Callable | None = None,
             arg=None, rtol: float | None = None, atol: float | None = None, eps: float = 1e-6,
             name: str | None = None) -> Grade:
    """Grade a student's local derivatives of a custom op at ``points``; name the misconception of each wrong one.

    Args:
        student: the student's op, an :class:`~autograd_core.Op` as :func:`~autograd_core.define_op` returns it,
            or a list of derivative functions ``d(*inputs, out)`` (one per input; with ``arg`` given,
            ``d(*inputs, out, arg)``).
        reference: the right derivatives in the same forms, or None for central differences of the forward
            (then mistakes that need the formula, such as ``input_for_output``, cannot be recognised).
        points: the inputs to grade at: numbers for a unary op, tuples for a binary one.
        forward: the op's forward ``f(*inputs)`` (``f(*inputs, arg)`` with ``arg``), needed when neither
            ``student`` nor ``reference`` is an Op. When both are Ops, the student's forward is graded too.
        arg: the op's constant parameter, if it has one.
        rtol, atol: the tolerance; default 1e-6 / 1e-9 against a formula, 1e-4 / 1e-6 against central differences.
        eps: the step of the central differences.
        name: what the report calls the op (default: the student's op name).

    Returns a :class:`Grade` with one :class:`Check` per point and input (plus the forward's, when graded). A
    student function that raises is a failed check whose message names the exception.
    """
    has_arg = arg is not None
    if isinstance(reference, Op):
        fwd = reference.forward
    elif forward is not None:
        if not callable(forward):
            raise TypeError(f"grade_op: forward must be callable, got {type(forward).__name__}")
        fwd = forward if has_arg else drop_arg(forward)
    elif isinstance(student, Op):
        fwd = student.forward
    else:
        raise TypeError("grade_op: pass forward= (the op's forward function) or an Op as student or reference")
    label = name or (student.name if isinstance(student, Op) else "custom_op")
    ident = label if label.isidentifier() else "custom_op"
    stud = _as_op("student", student, fwd, None, has_arg, ident)
    arity = stud.arity
    if reference is None:
        ref = Op(ident, arity, fwd, tuple(_Numeric(fwd, i, eps) for i in range(arity)))
        numeric = True
    else:
        ref = reference if isinstance(reference, Op) else _as_op("reference", reference, fwd, arity, has_arg, ident)
        numeric = False
    if ref.arity != arity:
        raise ValueError(f"grade_op: the student's op takes {arity} input(s), the reference {ref.arity}")
    rtol = (1e-4 if numeric else 1e-6) if rtol is None else rtol
    atol = (1e-6 if numeric else 1e-9) if atol is None else atol
    inputs_names = ["x"] if arity == 1 else ["x", "y"]
    written = stud.write([(n, ATOM) for n in inputs_names], arg)[0]  # the op table's printer
    checks = []
    notes = [f"reference: {'central differences of the forward' if numeric else 'the given derivatives'}; "
             f"tolerance |got - right| <= {atol:g} + {rtol:g} |right|"]
    for xs in _points(points, arity):
        at = ", ".join(f"{n} = {format_number(x, 6)}" for n, x in zip(inputs_names, xs))
        try:
            out = float(ref.forward(*xs, arg))
        except (ArithmeticError, ValueError) as e:
            raise ValueError(f"grade_op: the forward is undefined at {at}: {e}") from None
        if isinstance(student, Op) and isinstance(reference, Op) and student is not reference:
            checks.append(_forward_check(student, xs, arg, out, at, rtol, atol))
        try:
            expected = [float(d) for d in ref.local_derivatives(xs, out, arg)]
        except (ArithmeticError, ValueError) as e:
            raise ValueError(f"grade_op: the reference derivative is undefined at {at}: {e}") from None
        try:
            got_all = [float(d) for d in stud.local_derivatives(xs, out, arg)]
            failure = None
        except Exception as e:  # a student's code may fail in any way; the check reports how
            got_all, failure = None, f"{type(e).__name__}: {e}"
        for i in range(arity):
            prompt = f"d out / d {inputs_names[i]}"
            if got_all is None:
                checks.append(Check(prompt, f"at {at}", expected[i], None, False, (),
                                    f"the student's derivative raised {failure}"))
                continue
            got = got_all[i]
            if _close(got, expected[i], rtol, atol):
                checks.append(Check(prompt, f"at {at}", expected[i], got, True))
                continue
            cands = local_candidates(ref, xs, out, arg, i, node="out", parents=inputs_names,
                                     written=f"out = {written}")
            step = f"{prompt} for out = {written} at {at} (out = {format_number(out, 6)})"
            fb = diagnose_number(expected[i], got, cands, prompt=prompt, step=step, rtol=rtol, atol=atol) \
                if math.isfinite(got) else Feedback("wrong", got, (), (f"not a finite number: {got!r}",))
            checks.append(Check(prompt, f"at {at}", expected[i], got, False, fb.mistakes, "\n".join(fb.lines)))
    return Grade(f"{label}: local derivatives", tuple(checks), tuple(notes))


def _forward_check(student: Op, xs: tuple, arg, out: float, at: str, rtol: float, atol: float) -> Check:
    try:
        got = float(student.forward(*xs, arg))
    except Exception as e:  # the student's forward may fail in any way
        return Check("forward", f"at {at}", out, None, False, (), f"the student's forward raised {type(e).__name__}: "
                                                                   f"{e}")
    if _close(got, out, rtol, atol):
        return Check("forward", f"at {at}", out, got, True)
    return Check("forward", f"at {at}", out, got, False, (), f"the forward gives {format_number(got, 6)} instead of "
                                                               f"{format_number(out, 6)}")
