"""The safe expression parser: typed text such as ``"tanh(w*x + b)"`` becomes a graph of Values.

An expression is data, never code. The text is parsed with Python's :mod:`ast` and every node is checked against a
whitelist; nothing is ever passed to ``eval``, ``exec`` or ``compile``. What an expression may hold:

* numbers (``3``, ``0.5``, ``1e-3``), the declared variables, ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* calls of the op table's functions by name (:data:`autograd_core.OPS`, looked up when the text is parsed, so ops
  added with :func:`autograd_core.define_op` are callable too): ``exp(x)``, ``log(x)``, ``tanh(x)``, ``mul(x, y)``;
* an op with a constant parameter takes it as one more argument, last, or by the parameter's name:
  ``leaky_relu(x, 0.1)`` = ``leaky_relu(x, slope=0.1)``, ``elu(x, 1.0)``, ``pow(x, 3)`` (= ``x**3``),
  ``rpow(x, 2)`` (= ``2**x``). The parameter is required (the op table holds no defaults) and must be a constant;
* ``sum(a, b, c, ...)`` or ``sum([a, b, c])``: one n-ary ``sum`` node, with an optional ``start=`` constant.

The graph is the one Python would build from the same text with the variables as Values: constant sub-expressions
(``2*3``) are computed as floats, ``x**2`` is op ``pow`` with exponent 2, ``2**x`` is ``rpow``, ``x**y`` is ``vpow``.
The one difference: a constant that meets a Value becomes a leaf labelled by its value (``3``), so a trace or a
picture names it.

Everything else is rejected with :class:`ExpressionError` (a ``ValueError``) whose one-line message starts with the
1-based column: attribute access, subscripts, lambdas, comprehensions, comparisons, strings, calls of anything but an
op name, names that are not declared variables. Resource limits (:data:`LIMITS`) keep any input cheap: the text
length, the bracket nesting and the number of operator characters are checked on the raw text *before*
``ast.parse`` (which itself recurses and would fail on 10,000 nested parentheses), then the node count and the
nesting depth of the tree; a constant exponent is bounded, so ``9**9**9`` is rejected instead of computed.

Errors while building the graph (``log`` of a negative number, division by zero) are the engine's own
``ValueError`` / ``ZeroDivisionError`` / ``OverflowError``, exactly as for Values built in Python.
"""

from __future__ import annotations

import ast
import keyword
import math
import numbers
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Union

from . import ops as _ops
from .value import Value, apply

__all__ = ["Expression", "ExpressionError", "parse_expression", "LIMITS", "check_variable_name"]

Number = Union[int, float]

#: Resource limits, checked before any work that could grow with them.
LIMITS: Mapping[str, float] = {
    "length": 2000,  # characters of expression text
    "nesting": 32,  # depth of nested brackets in the raw text
    "operators": 400,  # operator characters, brackets, commas, dots and keywords in the raw text
    "nodes": 500,  # numbers, names, operations and calls in the parsed tree
    "depth": 100,  # nesting depth of the parsed tree (a chain a+b+c+... nests once per +)
    "exponent": 1024,  # largest |c| of a constant exponent (x**c, 9**c)
}

_MAX_LENGTH = int(LIMITS["length"])
_MAX_NESTING = int(LIMITS["nesting"])
_MAX_OPERATORS = int(LIMITS["operators"])
_MAX_NODES = int(LIMITS["nodes"])
_MAX_DEPTH = int(LIMITS["depth"])
_MAX_EXPONENT = float(LIMITS["exponent"])

# Every inner node of a Python expression tree owns at least one of these characters or keywords, so their count
# bounds the tree's depth before ast.parse builds it.
_STRUCTURAL = frozenset("+-*/%@&|^~<>=!.,:;([{")
_KEYWORDS = re.compile(r"\b(?:and|or|not|if|else|for|in|is|lambda|await|yield|async|from)\b")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}  # the op table finds the op by symbol
_BINARY_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
                  ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
                  ast.LShift: "<<", ast.RShift: ">>"}
_UNARY_SYMBOL = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~", ast.Not: "not"}

# What a rejected node is called in the error message.
_DESCRIPTION = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.List: "lists",
    ast.Tuple: "tuples (a ',' outside a call)",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expressions ('if ... else')",
    ast.NamedExpr: "assignment expressions (':=')",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}

# Instruction codes of the compiled (postfix) program.
_CONST, _VAR, _APPLY, _POWER, _SUM = range(5)


class ExpressionError(ValueError):
    """A rejected expression: bad syntax, a construct outside the whitelist, an unknown name, a limit exceeded.

    ``str(error)`` is one line, ``"column 7: unknown variable 'z'; ..."``. Attributes: ``column`` (1-based
    character position in the text), ``reason`` (the message without the column).
    """

    def __init__(self, column: int, reason: str) -> None:
        self.column = int(column)
        self.reason = reason
        super().__init__(f"column {self.column}: {reason}")


def _short(text: str, limit: int = 40) -> str:
    # keeps messages one short line even for a 1 MB name
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callable_ops() -> list[str]:
    return sorted(_ops.OPS)


def check_variable_name(name: object, where: str = "variable") -> str:
    """Return ``name`` if it can be a variable of an expression, else raise ExpressionError (column 1).

    A variable name is an ASCII identifier (``x``, ``w1``, ``x_in``), not a Python keyword and not the name of an op
    (``exp``, ``sum``, ...), which is reserved for calls.
    """
    if not isinstance(name, str):
        raise TypeError(f"{where}: a variable name must be a str, got {type(name).__name__}")
    if not _IDENTIFIER.match(name):
        raise ExpressionError(1, f"{where} name {_short(name)!r} is not a valid name; use letters, digits and '_', "
                                 "not starting with a digit (x, w1, x_in)")
    if keyword.iskeyword(name):
        raise ExpressionError(1, f"{where} name {name!r} is a Python keyword; choose another name")
    if name in _ops.OPS:
        raise ExpressionError(1, f"{where} name {name!r} is the name of an op (a function); choose another name")
    return name


def _check_raw(text: str) -> int:
    """Checks on the raw text before ast.parse; returns the number of leading blanks (ast.parse rejects them)."""
    n = len(text)
    if n > _MAX_LENGTH:
        raise ExpressionError(_MAX_LENGTH + 1, f"expression is {n} characters long; the limit is {_MAX_LENGTH}")
    depth = 0
    operators = 0
    for i, ch in enumerate(text):
        code = ord(ch)
        if not (32 <= code < 127 or ch == "\t"):
            raise ExpressionError(i + 1, f"character U+{code:04X} is not allowed; expressions are one line of "
                                         "ASCII text (numbers, names, + - * / **, parentheses)")
        if ch in _STRUCTURAL:
            operators += 1
            if ch in "([{":
                depth += 1
                if depth > _MAX_NESTING:
                    raise ExpressionError(i + 1, f"brackets nest more than {_MAX_NESTING} levels deep")
        elif ch in ")]}":  # not structural (its opening bracket was counted), but it closes a level
            depth = max(depth - 1, 0)
    operators += len(_KEYWORDS.findall(text))
    if operators > _MAX_OPERATORS:
        raise ExpressionError(1, f"expression has {operators} operators, brackets and commas; the limit is "
                                 f"{_MAX_OPERATORS}")
    stripped = text.lstrip(" \t")
    if not stripped.strip(" \t"):
        raise ExpressionError(1, "empty expression; write one such as 'x*y + 3*x**2'")
    return n - len(stripped)


def _parse_tree(text: str, lead: int) -> ast.expr:
    source = text[lead:]
    try:
        # SyntaxWarnings ("'int' object is not callable") would print to stderr; the whitelist rejects those inputs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        offset = e.offset if isinstance(e.offset, int) and 0 < e.offset <= len(source) else len(source) + 1
        msg = (e.msg or "invalid syntax").split(" (detected at")[0]
        where = " (the expression ends too early)" if offset > len(source) else ""
        raise ExpressionError(lead + offset, f"{_short(msg, 80)}{where}") from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise ExpressionError(1, "expression is too deeply nested to parse") from None
    return tree.body


def _column(node: ast.AST, lead: int) -> int:
    return lead + getattr(node, "col_offset", 0) + 1


def _operator_column(text: str, node: ast.BinOp, lead: int) -> int:
    # ast records no position for an operator: it is the first character after the left operand and its ')'s
    start = lead + getattr(node.left, "end_col_offset", node.left.col_offset)
    stop = lead + node.right.col_offset
    for i in range(start, min(stop, len(text))):
        if text[i] not in " \t)":
            return i + 1
    return _column(node, lead)


def _after_column(text: str, node: ast.expr, lead: int, char: str) -> int:
    # the column of the first `char` ('.' of an attribute, '[' of a subscript) after the operand `node`
    start = lead + getattr(node, "end_col_offset", node.col_offset)
    found = text.find(char, start)
    return found + 1 if found >= 0 else _column(node, lead)


def _has_name(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


class Expression:
    """A parsed and validated expression: parse once with :meth:`parse`, build graphs with :meth:`build`.

    Attributes:
        text: the expression text.
        variables: the variable names it uses, in order of first appearance.
    """

    __slots__ = ("text", "variables", "_program", "_first_column")

    def __init__(self, text: str, variables: tuple, program: tuple, first_column: dict) -> None:
        self.text = text
        self.variables = variables
        self._program = program
        self._first_column = first_column

    def __repr__(self) -> str:
        return f"Expression({_short(self.text, 60)!r}, variables={self.variables!r})"

    @classmethod
    def parse(cls, text: str, names: Iterable[str] | None = None) -> Expression:
        """Parse and validate ``text``; raise :class:`ExpressionError` for anything outside the whitelist.

        ``names``: the declared variables. A name used in the text but not declared is an error; ``None`` accepts
        any valid variable name (values are then checked by :meth:`build`).
        """
        if not isinstance(text, str):
            raise TypeError(f"parse_expression: the expression must be a str, got {type(text).__name__}")
        declared = None if names is None else {check_variable_name(n) for n in names}
        lead = _check_raw(text)
        root = _parse_tree(text, lead)
        return cls._compile(text, root, lead, declared)

    @classmethod
    def _compile(cls, text: str, root: ast.expr, lead: int, declared: set | None) -> Expression:
        # Iterative walk (no recursion): pre-order checks, post-order instructions for a small stack machine.
        program: list = []
        variables: list = []
        first_column: dict = {}
        nodes = 0
        work: list = [("visit", root, 1)]
        while work:
            kind, item, depth = work.pop()
            if kind == "emit":
                program.append(item)
                continue
            node = item
            col = _column(node, lead)
            nodes += 1
            if nodes > _MAX_NODES:
                raise ExpressionError(col, f"expression has more than {_MAX_NODES} numbers, names and operations")
            if depth > _MAX_DEPTH:
                hint = "; for a long sum write sum(a, b, c, ...)" if isinstance(node, ast.BinOp) else ""
                raise ExpressionError(col, f"expression nests more than {_MAX_DEPTH} operations deep{hint}")
            children: list = []
            if isinstance(node, ast.Constant):
                program_item = (_CONST, col, _number(node, col))
            elif isinstance(node, ast.Name):
                program_item = (_VAR, col, _variable(node.id, col, declared))
                if node.id not in first_column:
                    first_column[node.id] = col
                    variables.append(node.id)
            elif isinstance(node, ast.BinOp):
                col = _operator_column(text, node, lead)
                op_type = type(node.op)
                if op_type is ast.Pow:
                    program_item = (_POWER, col, _column(node.right, lead))
                elif op_type in _BINARY:
                    program_item = (_APPLY, col, _ops.find_op("infix", _BINARY[op_type], 2), 2, False, None)
                else:
                    symbol = _BINARY_SYMBOL.get(op_type, op_type.__name__)
                    raise ExpressionError(col, f"operator '{symbol}' is not allowed; use + - * / **")
                children = [node.left, node.right]
            elif isinstance(node, ast.UnaryOp):
                op_type = type(node.op)
                if op_type is ast.USub:
                    program_item = (_APPLY, col, _ops.find_op("prefix", "-", 1), 1, False, None)
                elif op_type is ast.UAdd:
                    program_item = None  # +x is x, as in Python
                else:
                    raise ExpressionError(col, f"operator '{_UNARY_SYMBOL.get(op_type, '?')}' is not allowed; "
                                               "the unary operators are - and +")
                children = [node.operand]
            elif isinstance(node, ast.Call):
                program_item, children = _call(text, node, col, lead)
            else:
                if isinstance(node, (ast.Attribute, ast.Subscript)):
                    col = _after_column(text, node.value, lead, "." if isinstance(node, ast.Attribute) else "[")
                what = _DESCRIPTION.get(type(node), f"'{type(node).__name__}' expressions")
                raise ExpressionError(col, f"{what}: not allowed; expressions hold numbers, variables, "
                                           "+ - * / **, parentheses and op calls")
            if program_item is not None:
                work.append(("emit", program_item, depth))
            for child in reversed(children):
                work.append(("visit", child, depth + 1))
        return cls(text, tuple(variables), tuple(program), first_column)

    def build(self, values: Mapping[str, Union[Number, Value]]) -> Value:
        """Build the graph for ``values`` (name -> number or Value) and return its root Value.

        A number becomes a leaf ``Value(number, label=name)``; pass Values to keep hold of the leaves (for their
        ``.grad`` after ``backward()``). Every use of a variable is the same leaf, so gradients add up over all
        paths. Names in ``values`` that the expression does not use are ignored. A missing value raises
        :class:`ExpressionError`; a domain error (``log`` of a negative) is the engine's ValueError,
        ZeroDivisionError or OverflowError.
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"Expression.build: values must be a mapping name -> number, got "
                            f"{type(values).__name__}")
        leaves: dict = {}
        for name in self.variables:
            if name not in values:
                given = ", ".join(sorted(values)) or "none"
                raise ExpressionError(self._first_column[name], f"no value for variable {name!r}; give it as "
                                                                f"{name}=VALUE (given: {_short(given, 80)})")
            v = values[name]
            if isinstance(v, Value):
                leaves[name] = v
            elif isinstance(v, numbers.Real) and not isinstance(v, bool):
                leaves[name] = Value(float(v), label=name)
            else:
                raise TypeError(f"Expression.build: the value of {name!r} must be a number or a Value, got "
                                f"{type(v).__name__}")
        result = _run(self._program, leaves)
        return result if isinstance(result, Value) else Value(result)


def _number(node: ast.Constant, col: int) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(type(value))
        shown = kind or f"{value!r:.20}"
        raise ExpressionError(col, f"{shown}: not allowed; constants are real numbers such as 3, 0.5 or 1e-3")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(col, "number is too large for a float (limit about 1.8e308)")
    return number


def _variable(name: str, col: int, declared: set | None) -> str:
    if name in _ops.OPS:
        raise ExpressionError(col, f"{name!r} is an op; call it as {name}(...)")
    if declared is not None and name not in declared:
        known = ", ".join(sorted(declared)) or "none"
        raise ExpressionError(col, f"unknown variable {_short(name)!r}; declare it as {_short(name)}=VALUE "
                                   f"(declared: {_short(known, 80)})")
    if declared is None:
        check_variable_name(name)
    return name


def _call(text: str, node: ast.Call, col: int, lead: int) -> tuple:
    func = node.func
    if not isinstance(func, ast.Name):
        if isinstance(func, ast.Attribute):
            raise ExpressionError(_after_column(text, func.value, lead, "."),
                                  "attribute access ('.'): not allowed; call an op by its name, e.g. exp(x)")
        raise ExpressionError(col, "only the op table's functions can be called, by name: " +
                              ", ".join(_callable_ops()))
    name = func.id
    op = _ops.OPS.get(name)
    if op is None:
        raise ExpressionError(col, f"unknown function {_short(name)!r}; the functions are the op table's: " +
                              ", ".join(_callable_ops()))
    args = list(node.args)
    param_node = None
    for kw in node.keywords:
        kw_col = _column(kw, lead) if hasattr(kw, "col_offset") else col
        if kw.arg is None:
            raise ExpressionError(kw_col, "'**' unpacking: not allowed")
        if op.param is None or kw.arg != op.param:
            expected = f"; its parameter is {op.param!r}" if op.param else "; it takes no parameter"
            raise ExpressionError(kw_col, f"{name}() has no keyword argument {_short(kw.arg)!r}{expected}")
        if param_node is not None:
            raise ExpressionError(kw_col, f"{name}(): {op.param} given twice")
        param_node = kw.value
    if op.arity == -1:
        if len(args) == 1 and isinstance(args[0], ast.List):
            args = list(args[0].elts)  # sum([a, b, c]) as in Python's autograd_core.sum(values)
        if not args:
            raise ExpressionError(col, f"{name}() needs at least one argument: {name}(a, b, ...)")
        children = args + ([param_node] if param_node is not None else [])
        return (_SUM, col, op, len(args), param_node is not None), _checked_constant(children, param_node, name, op,
                                                                                 lead)
    if op.param is not None and param_node is None and len(args) == op.arity + 1:
        param_node = args.pop()
    if len(args) != op.arity or (op.param is not None and param_node is None):
        inputs = "x" if op.arity == 1 else "x, y"
        usage = f"{name}({inputs})" if op.param is None else f"{name}({inputs}, {op.param}) or " \
                                                             f"{name}({inputs}, {op.param}=...)"
        raise ExpressionError(col, f"{name} takes {op.arity} input(s)" +
                              (f" and its constant parameter {op.param}" if op.param else "") +
                              f", got {len(node.args) + len(node.keywords)} argument(s); write {usage}")
    children = args + ([param_node] if param_node is not None else [])
    return (_APPLY, col, op, op.arity, param_node is not None, _column(param_node, lead) if param_node else None), \
        _checked_constant(children, param_node, name, op, lead)


def _checked_constant(children: list, param_node: ast.expr | None, name: str, op: _ops.Op, lead: int) -> list:
    if param_node is not None and _has_name(param_node):
        raise ExpressionError(_column(param_node, lead), f"the {op.param} of {name} must be a constant number, "
                                                         "not an expression of variables")
    return children


def _check_exponent(c: object, col: int) -> None:
    if isinstance(c, float) and not (abs(c) <= _MAX_EXPONENT):
        raise ExpressionError(col, f"constant exponent {c:.6g} is too large; the limit is |exponent| <= "
                                   f"{_MAX_EXPONENT:g}")


def _lifted(inputs: list) -> list:
    # With a Value among the inputs, constants become leaves labelled by their value, so a trace reads "3 * x"
    if not any(isinstance(x, Value) for x in inputs):
        return inputs
    return [x if isinstance(x, Value) else Value(x, label=f"{x:g}") for x in inputs]


def _run(program: tuple, leaves: dict) -> Union[float, Value]:
    # The stack machine: floats for constant sub-expressions, Values once a variable is involved.
    stack: list = []
    push, pop = stack.append, stack.pop
    for ins in program:
        code = ins[0]
        if code == _CONST:
            push(ins[2])
        elif code == _VAR:
            push(leaves[ins[2]])
        elif code == _APPLY:
            _, col, op, arity, has_param, param_col = ins
            arg = pop() if has_param else None
            inputs = stack[-arity:]
            del stack[-arity:]
            if op.exponent == "param":
                _check_exponent(arg, param_col)
            elif op.exponent is not None:
                _check_exponent(inputs[op.exponent], col)
            push(apply(op, *_lifted(inputs), arg=arg))
        elif code == _POWER:
            exponent = pop()
            base = pop()
            if isinstance(exponent, Value):
                push(apply(_ops.VPOW, base, exponent) if isinstance(base, Value) else
                     apply(_ops.RPOW, exponent, arg=base))
            else:
                _check_exponent(exponent, ins[2])
                push(apply(_ops.POW, base, arg=exponent))
        else:  # _SUM
            _, col, op, n, has_start = ins
            start = pop() if has_start else (None if op.param is None else 0.0)
            inputs = stack[-n:]
            del stack[-n:]
            push(apply(op, *_lifted(inputs), arg=start))
    return stack[0]


def parse_expression(text: str, variables: Mapping[str, Union[Number, Value]]) -> Value:
    """Parse ``text`` safely and build its graph for ``variables`` (name -> number or Value); return the root.

    ``parse_expression("x*y + 3*x**2", {"x": -2, "y": -2}).data == 8.0``. The declared variables are exactly the
    keys of ``variables``; numbers become leaves labelled by their name (pass Values to keep the leaves). Raises
    :class:`ExpressionError` for rejected text, unknown names and exceeded limits; domain errors are the engine's.
    """
    if not isinstance(variables, Mapping):
        raise TypeError(f"parse_expression: variables must be a mapping name -> number, got "
                        f"{type(variables).__name__}")
    return Expression.parse(text, names=variables.keys()).build(variables)
