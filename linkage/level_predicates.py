"""Splink comparison levels' SQL conditions compiled once into Python functions of a pair of rows.

Resolve on arrival scores a handful of pairs per record: the cost of a DuckDB statement for them is
almost all parsing, binding and planning Splink's CASE expressions, not evaluating them. Each
level's condition (Splink writes `name_tokens_l = name_tokens_r`, `jaro_winkler_similarity(a_l,
a_r) >= 0.92`, ...) is parsed with sqlglot (Splink's own SQL parser) and turned into nested
closures that evaluate it on a left and a right row (dicts of column -> value) with SQL's
three-valued logic (None is NULL; a CASE takes only a true condition).

Only the SQL these models use is compiled, each piece with DuckDB's semantics, checked against
DuckDB itself on generated strings (tests/linkage/test_level_predicates.py); anything else is
Unsupported and the caller keeps DuckDB's SQL. A similarity (a float) compared within NEAR of its
threshold raises Undecided: the last bit of a float may differ from DuckDB's arithmetic, so such
a pair is left to DuckDB too.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import sqlglot
from rapidfuzz.distance import DamerauLevenshtein, Jaro, Levenshtein
from sqlglot import exp

NEAR = 1e-9  # a float this close to what it is compared with is decided by DuckDB
Row = dict
Evaluate = Callable[[Row, Row], object]


class Unsupported(ValueError):
    """SQL this module does not reproduce: evaluate it with DuckDB."""


class Undecided(ArithmeticError):
    """A float compared within NEAR of its threshold for one pair: evaluate that pair with DuckDB."""


def compile_case(conditions: list[tuple[str, int]], default: int) -> Callable[[Row, Row], int]:
    """CASE WHEN condition THEN value ... ELSE default END over a pair of rows."""
    compiled = [(compile_condition(sql), value) for sql, value in conditions]

    def case(left: Row, right: Row) -> int:
        for condition, value in compiled:
            if condition(left, right) is True:
                return value
        return default

    return case


def compile_condition(sql: str) -> Evaluate:
    """One condition (DuckDB SQL over columns named column_l and column_r) as a function of (left, right)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise Unsupported(f"cannot parse {sql!r}") from exc
    for node in tree.find_all(exp.Anonymous):  # an unordered intersection is only counted or searched
        counted = isinstance(node.parent, (exp.Length, exp.ArraySize, exp.ArrayContains)) and node.arg_key == "this"
        if node.name.lower() == "list_intersect" and not counted:
            raise Unsupported(f"{sql!r}: a list_intersect used as a list")
    return _compile(tree)


def jaro_winkler_similarity(a: str, b: str) -> float:
    """DuckDB's jaro_winkler_similarity (prefix weight 0.1, at most 4 characters, above 0.7): two
    empty strings are 0 there, not 1. Its last bit may differ from DuckDB's (hence Undecided)."""
    if not a or not b:
        return 0.0
    similarity = Jaro.similarity(a, b)
    if similarity > 0.7:
        prefix = 0
        for x, y in zip(a[:4], b[:4]):
            if x != y:
                break
            prefix += 1
        similarity += prefix * 0.1 * (1.0 - similarity)
    return similarity


def string_split(text: str, separator: str) -> list[str]:
    return text.split(separator) if separator else list(text)


def split_part(text: str, separator: str, index: int) -> str:
    parts = string_split(text, separator) if text else [""]
    if index == 0 or abs(index) > len(parts):
        return ""
    return parts[index - 1] if index > 0 else parts[index]


def right(text: str, count: int) -> str:
    return text[max(len(text) - count, 0) :] if count >= 0 else text[-count:]


def list_intersect(a: list, b: list | None) -> frozenset:
    """The distinct values in both lists, nulls left out (only counted or searched: its order is
    DuckDB's). A null first list is NULL (the caller's), a null second one intersects as empty."""
    return frozenset(v for v in a if v is not None) & frozenset(v for v in b or () if v is not None)


def list_contains(values, value) -> bool | None:
    if not values:  # DuckDB: an empty list holds nothing, not even NULL
        return False
    return None if value is None else value in values


# function -> (its Python twin of non-null arguments, how many arguments); NULL in, NULL out
_FUNCTIONS: dict[type | str, tuple[Callable, int]] = {
    exp.JarowinklerSimilarity: (jaro_winkler_similarity, 2),
    exp.Levenshtein: (Levenshtein.distance, 2),
    "levenshtein": (Levenshtein.distance, 2),
    "damerau_levenshtein": (DamerauLevenshtein.distance, 2),
    exp.Length: (len, 1),
    exp.ArraySize: (len, 1),
    exp.Split: (string_split, 2),
    "string_split": (string_split, 2),
    exp.SplitPart: (split_part, 3),
    exp.Right: (right, 2),
    "list_intersect": (list_intersect, 2),
}
_COMPARISONS = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
}
_ARITHMETIC = {exp.Add: operator.add, exp.Sub: operator.sub, exp.Mul: operator.mul}


def _compile(node: exp.Expression) -> Evaluate:
    if isinstance(node, exp.Paren):
        return _compile(node.this)
    if isinstance(node, exp.Column):
        return _column(node)
    if isinstance(node, exp.Literal):
        value = node.this if node.is_string else _number(node.this)
        return lambda left, right: value
    if isinstance(node, exp.Null):
        return lambda left, right: None
    if isinstance(node, exp.Neg):
        return _null_in_null_out(operator.neg, [_compile(node.this)])
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        this = _compile(node.this)
        return lambda left, right: this(left, right) is None
    if isinstance(node, exp.Not):
        this = _compile(node.this)
        return lambda left, right: None if (v := this(left, right)) is None else not v
    if isinstance(node, exp.And):
        return _and(_compile(node.this), _compile(node.expression))
    if isinstance(node, exp.Or):
        return _or(_compile(node.this), _compile(node.expression))
    if type(node) in _COMPARISONS:
        return _comparison(_COMPARISONS[type(node)], _compile(node.this), _compile(node.expression))
    if type(node) in _ARITHMETIC:
        return _null_in_null_out(_ARITHMETIC[type(node)], [_compile(node.this), _compile(node.expression)])
    if isinstance(node, exp.Greatest) and node.args.get("ignore_nulls", True):
        return _greatest([_compile(a) for a in [node.this, *node.expressions]])
    if isinstance(node, exp.ArrayContains):  # list_contains(list, value)
        values, value = _compile(node.this), _compile(node.expression)
        return lambda left, right: None if (v := values(left, right)) is None else list_contains(v, value(left, right))
    return _function(node)


def _function(node: exp.Expression) -> Evaluate:
    key = node.name.lower() if isinstance(node, exp.Anonymous) else type(node)
    if key not in _FUNCTIONS:
        raise Unsupported(f"no Python twin for {node.sql(dialect='duckdb')!r}")
    function, arity = _FUNCTIONS[key]
    arguments = list(node.expressions) if isinstance(node, exp.Anonymous) else _arguments(node)
    if len(arguments) != arity:
        raise Unsupported(f"{node.sql(dialect='duckdb')!r}: {len(arguments)} arguments")
    if function is list_intersect:
        a, b = (_compile(a) for a in arguments)
        return lambda left, right: None if (x := a(left, right)) is None else list_intersect(x, b(left, right))
    return _null_in_null_out(function, [_compile(a) for a in arguments])


_ARGUMENTS = ("this", "expression", "delimiter", "part_index", "part")  # sqlglot's names of a function's arguments


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    arguments = [a for k in _ARGUMENTS if isinstance(a := node.args.get(k), exp.Expression)]
    extra = [k for k, v in node.args.items() if v and k not in _ARGUMENTS]
    if extra:
        raise Unsupported(f"{node.sql(dialect='duckdb')!r}: options {extra}")
    return arguments


def _column(node: exp.Column) -> Evaluate:
    name = node.name
    if node.table or not name.endswith(("_l", "_r")):
        raise Unsupported(f"column {node.sql(dialect='duckdb')!r} is not one of a pair's sides")
    column, side = name[:-2], name[-1]
    if side == "l":
        return lambda left, right: left[column]
    return lambda left, right: right[column]


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _and(a: Evaluate, b: Evaluate) -> Evaluate:
    def both(left: Row, right: Row):
        x = a(left, right)
        if x is False:
            return False
        y = b(left, right)
        if y is False:
            return False
        return None if x is None or y is None else True

    return both


def _or(a: Evaluate, b: Evaluate) -> Evaluate:
    def either(left: Row, right: Row):
        x = a(left, right)
        if x is True:
            return True
        y = b(left, right)
        if y is True:
            return True
        return None if x is None or y is None else False

    return either


def _comparison(compare: Callable, a: Evaluate, b: Evaluate) -> Evaluate:
    def compared(left: Row, right: Row):
        x, y = a(left, right), b(left, right)
        if x is None or y is None:
            return None
        if (type(x) is float or type(y) is float) and abs(x - y) < NEAR:
            raise Undecided
        return compare(x, y)

    return compared


def _null_in_null_out(function: Callable, arguments: list[Evaluate]) -> Evaluate:
    if len(arguments) == 1:
        (a,) = arguments
        return lambda left, right: None if (x := a(left, right)) is None else function(x)
    if len(arguments) == 2:
        a, b = arguments

        def two(left: Row, right: Row):
            x = a(left, right)
            if x is None:
                return None
            y = b(left, right)
            return None if y is None else function(x, y)

        return two

    def many(left: Row, right: Row):
        values = [a(left, right) for a in arguments]
        return None if any(v is None for v in values) else function(*values)

    return many


def _greatest(arguments: list[Evaluate]) -> Evaluate:
    def greatest(left: Row, right: Row):
        values = [v for a in arguments if (v := a(left, right)) is not None]
        return max(values) if values else None

    return greatest
