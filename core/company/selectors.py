from __future__ import annotations

from core import rawsql

from .models import Company


def get_company() -> Company:
    company = rawsql.get(Company, 1)  # read on most requests: no statement building (decision 0409)
    if company is None:
        company, _ = Company.objects.get_or_create(pk=1)
    return company
