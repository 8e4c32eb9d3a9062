from __future__ import annotations

from .models import Company


def get_company() -> Company:
    company = Company.objects.filter(pk=1).first()
    if company is None:
        company, _ = Company.objects.get_or_create(pk=1)
    return company
