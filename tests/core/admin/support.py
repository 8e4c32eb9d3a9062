"""Helpers for driving the Django admin as a person does: open the page, fill in the form as it was
rendered (every field, hidden ones and inline management forms included), change a few, submit."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.contrib.admin.models import LogEntry
from django.test import Client

from tests.core.support import db_state


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
                return
            self.data.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data[self._textarea] = ["".join(self._text).removeprefix("\n")]
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_data(html: str, form_id: str) -> dict[str, Any]:
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.data, f"no form #{form_id} on the page"
    return {key: values if len(values) != 1 else values[0] for key, values in reader.data.items()}


def submit(client: Client, url: str, form_id: str, **changes: Any):
    """GET ``url``, take form ``#form_id`` as rendered, apply ``changes`` (None removes a field, as an
    unticked checkbox), POST it back."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.content.decode(), form_id)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return client.post(url, data)


def errors_of(response) -> dict[str, list[str]]:
    """The errors the re-rendered admin form shows, by field (``__all__`` for the form's own)."""
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    form = response.context["adminform"].form
    return {key: list(value) for key, value in form.errors.items()}


def whole_state() -> dict[str, Any]:
    """Every domain row plus the admin's own change log: a refused form leaves both as they were."""
    return {**db_state(), "admin.LogEntry": list(LogEntry.objects.order_by("pk").values())}


def inline_rows(page, model, field: str = "changes") -> list:
    """``field`` of each row of the page's (read-only) inline of ``model``, in the order shown."""
    [inline] = [i for i in page.context["inline_admin_formsets"] if i.formset.model is model]
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
    return [getattr(row.original, field) for row in inline]
