"""Every code a ``DomainError`` is raised with is listed in core/error_codes.py, the source of the
GraphQL error-code enums (docs/decisions/0108), and every listed code is raised somewhere.

The source is read, not run: each ``DomainError(...)``, ``ValidationFailed(..., code=...)``,
``NotFound(...)`` and ``PermissionDenied(...)`` call of the project's code, with its code worked
out from the call (a literal, a conditional of literals, a variable assigned literals in the same
function, a module constant or a module-level mapping). A call whose code cannot be worked out
fails the test, except ``something.code``: an error passed on with the code it already had.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path

from core import errors
from core.error_codes import AREA_OF, AREAS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "conversations", "graphql_api", "web", "realtime", "config")
# the classes whose calls raise a code, with the code each gives when the call names none
RAISERS = {
    "DomainError": None,
    "ValidationFailed": errors.ValidationFailed("field", "message").code,
    "NotFound": errors.NotFound().code,
    "PermissionDenied": errors.PermissionDenied().code,
}


class Unresolved(Exception):
    pass


class Passed(Exception):
    def __init__(self, function: str, parameter: str, defaults: set[str]) -> None:
        self.function, self.parameter, self.defaults = function, parameter, defaults


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _assigned(nodes: list[ast.AST], name: str) -> list[ast.expr]:
    return [node.value for node in nodes if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name) and target.id == name]


def _codes(expr: ast.expr, scope: ast.AST, tree: ast.Module, namespace: Callable[[], dict]) -> set[str]:
    """Every code ``expr`` can be. A parameter of the enclosing function gives its default and, through
    :class:`Passed`, every literal ``<parameter>=`` its function is called with."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.Name) and isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = scope.args
        names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
        if expr.id in names and not _assigned(list(ast.walk(scope)), expr.id):
            positional = [*arguments.posonlyargs, *arguments.args]
            defaults = dict(zip([a.arg for a in positional][-len(arguments.defaults):] if arguments.defaults else [],
                                arguments.defaults, strict=True))
            defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d})
            default = defaults.get(expr.id)
            raise Passed(scope.name, expr.id, _codes(default, scope, tree, namespace) if default is not None else set())
    if isinstance(expr, ast.IfExp):
        return _codes(expr.body, scope, tree, namespace) | _codes(expr.orelse, scope, tree, namespace)
    if isinstance(expr, ast.Name):
        local = _assigned(list(ast.walk(scope)), expr.id) if scope is not tree else []
        values = local or _assigned(tree.body, expr.id)  # the function's own variable, else the module's
        if values:
            return set().union(*(_codes(value, scope, tree, namespace) for value in values))
    if isinstance(expr, ast.Attribute) and expr.attr == "code":
        try:
            _evaluate(expr.value, namespace)
        except Unresolved:
            return set()  # an error passed on with its own code, which was checked where it was made
    if isinstance(expr, ast.Subscript):
        mapping = _evaluate(expr.value, namespace)
        if isinstance(mapping, dict) and all(isinstance(value, str) for value in mapping.values()):
            return set(mapping.values())
    value = _evaluate(expr, namespace)
    if isinstance(value, str):
        return {value}
    raise Unresolved(ast.unparse(expr))


def _evaluate(expr: ast.expr, namespace: Callable[[], dict]) -> object:
    """A module-level name or attribute (``CODE``, ``conflicts.CODE``) in the module's namespace."""
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        raise Unresolved(ast.unparse(expr))
    try:
        return eval(compile(ast.Expression(expr), "<code>", "eval"), namespace())
    except (NameError, AttributeError):
        raise Unresolved(ast.unparse(expr)) from None


def passed_codes(source: str) -> dict[tuple[str, str], set[str]]:
    """(function, parameter) -> the string literals the source passes it by keyword."""
    out: dict[tuple[str, str], set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    out.setdefault((name, keyword.arg), set()).add(keyword.value.value)
    return out


def raised_codes(source: str, namespace: Callable[[], dict], passed: dict[tuple[str, str], set[str]] | None = None,
                 ) -> tuple[dict[str, list[int]], list[tuple[int, str]]]:
    """(code -> lines raising it, [(line, expression) whose code could not be worked out]);
    ``passed``: what :func:`passed_codes` found in every module, for codes given as parameters."""
    passed = passed_codes(source) if passed is None else passed
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: dict[str, list[int]] = {}
    unresolved: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in RAISERS:
            continue
        keyword = next((k.value for k in node.keywords if k.arg == "code"), None)
        if name == "DomainError":
            expr = node.args[0] if node.args else keyword
        elif name == "ValidationFailed":
            expr = keyword if keyword is not None else (node.args[2] if len(node.args) > 2 else None)
        else:
            expr = None
        scope: ast.AST = node
        while scope in parents and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope = parents[scope]
        try:
            codes = {RAISERS[name]} if expr is None else _codes(expr, scope, tree, namespace)
        except Unresolved as exc:
            unresolved.append((node.lineno, str(exc)))
            continue
        except Passed as given:
            codes = given.defaults | passed.get((given.function, given.parameter), set())
        for code in codes:
            found.setdefault(code, []).append(node.lineno)
    return found, unresolved


def _project_codes() -> tuple[dict[str, list[str]], list[str]]:
    found: dict[str, list[str]] = {}
    unresolved: list[str] = []
    paths = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if "migrations" not in path.parts and path != ROOT / "core" / "errors.py"]
    passed: dict[tuple[str, str], set[str]] = {}
    for path in paths:
        for key, codes in passed_codes(path.read_text()).items():
            passed.setdefault(key, set()).update(codes)
    for path in paths:
        codes, bad = raised_codes(path.read_text(),  # the module is imported only for a non-literal code
                                  lambda path=path: vars(importlib.import_module(_module_name(path))), passed)
        where = path.relative_to(ROOT)
        for code, lines in codes.items():
            found.setdefault(code, []).extend(f"{where}:{line}" for line in lines)
        unresolved.extend(f"{where}:{line}: {expr}" for line, expr in bad)
    return found, unresolved


def test_every_code_raised_is_listed_and_every_listed_code_is_raised():
    found, unresolved = _project_codes()
    assert not unresolved, f"codes the scan cannot work out (use a literal or a module constant): {unresolved}"
    unlisted = {code: places for code, places in found.items() if code not in AREA_OF}
    assert not unlisted, f"raised but listed in no area of core/error_codes.py: {unlisted}"
    never = sorted(set(AREA_OF) - set(found))
    assert not never, f"listed in core/error_codes.py but raised nowhere: {never}"
    assert len(found) > 50  # the scan reads the services (125 codes when this was written)


def test_the_scan_sees_each_way_a_code_is_given():
    source = '''
from core.bookings import conflicts
from core.errors import DomainError, NotFound, ValidationFailed

MAPPING = {"a": "from_a_mapping"}

def f(x, exc):
    raise DomainError("made_up_literal", "m")
    raise ValidationFailed("field", "m", code="made_up_keyword")
    raise ValidationFailed("field", "m")
    code = "made_up_then" if x else "made_up_else"
    raise DomainError(code, "m")
    raise DomainError(MAPPING[x])
    raise DomainError(conflicts.CODE)
    raise NotFound("booking")
    raise DomainError(exc.code, "passed on")
    raise DomainError(x + "_suffix")

def g(value, code="made_up_default"):
    raise ValidationFailed("field", "m", code=code)

def h():
    g(1, code="made_up_by_caller")
'''
    namespace: dict = {}
    exec(compile(source, "<sample>", "exec"), namespace)
    found, unresolved = raised_codes(source, lambda: namespace)
    assert set(found) == {"made_up_literal", "made_up_keyword", "invalid", "made_up_then", "made_up_else",
                          "from_a_mapping", "fieldworker_conflict", "not_found", "made_up_default",
                          "made_up_by_caller"}
    assert [expr for _line, expr in unresolved] == ["x + '_suffix'"]
    assert "made_up_literal" not in AREA_OF  # so the project test would fail on such a call


def test_a_code_is_in_one_area_and_reads_as_an_enum_value():
    assert sum(len(codes) for codes in AREAS.values()) == len(AREA_OF)
    for code, area in AREA_OF.items():
        assert code.isidentifier() and code == code.lower(), code
        assert AREAS[area][code].endswith("."), f"{code}: say what it means"
