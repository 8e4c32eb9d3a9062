"""Text arguments may not contain NUL (U+0000).

No person types one, and PostgreSQL cannot store one in a text column: a NUL that reached a
service failed deep inside the database driver as an unexpected error, and only on PostgreSQL. Every
string in the request (literals in the document and variable values, however deep) is checked
before validation; one with a NUL makes the whole request an error about the request itself, with
``extensions.code = invalid_characters`` and ``field`` naming the argument (decision 0151).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ObjectFieldNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

NUL = "\x00"
CODE = "invalid_characters"
MESSAGE = "Text cannot contain NUL characters."


class _FindNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: tuple[StringValueNode, str] | None = None

    def enter_string_value(self, node: StringValueNode, _key, parent, _path, ancestors) -> Any:
        if NUL in node.value:
            above = [*ancestors, parent]
            names = [ancestor.name.value for ancestor in above if isinstance(ancestor, ArgumentNode | ObjectFieldNode)]
            inside_default = any(isinstance(ancestor, VariableDefinitionNode) for ancestor in above)
            self.found = (node, ".".join(names) if not inside_default else "")
            return Visitor.BREAK
        return None


def nul_in_document(query: str | None, document: DocumentNode | None) -> tuple[StringValueNode, str] | None:
    """The first string literal holding a NUL, and the argument path it was given for."""
    # a literal can only hold a NUL written raw or as an escape: most documents skip the walk
    if document is None or not query or (NUL not in query and "\\u" not in query):
        return None
    finder = _FindNul()
    visit(document, finder)
    return finder.found


def _paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                yield f"{path}.{key}"
            yield from _paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, f"{path}.{index}")


def nul_in_variables(variables: dict[str, Any] | None) -> str | None:
    """The path (``v.input.name``) of the first variable value holding a NUL."""
    if not variables:
        return None
    for name, value in variables.items():
        for path in _paths(value, str(name)):
            return path
    return None


class RefuseNulCharacters(SchemaExtension):
    """Refuse a request whose strings hold a NUL before it is validated or run."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        literal = nul_in_document(context.query, context.graphql_document)
        if literal is not None:
            node, field = literal
            extensions = {"code": CODE, "field": field} if field else {"code": CODE}
            context.pre_execution_errors = [GraphQLError(MESSAGE, nodes=[node], extensions=extensions)]
        else:
            variable = nul_in_variables(context.variables)
            if variable is not None:
                context.pre_execution_errors = [GraphQLError(MESSAGE, extensions={"code": CODE, "field": variable})]
        yield
