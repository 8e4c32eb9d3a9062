"""The business's default trading name, made from the company row (its name and contact details)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Company = apps.get_model("company", "Company")
    TradingName = apps.get_model("company", "TradingName")
    if TradingName.objects.filter(is_default=True).exists():
        return
    company = Company.objects.filter(pk=1).first()
    if company is None:
        TradingName.objects.create(name="Fieldops Demo Services", is_default=True)
        return
    TradingName.objects.create(name=company.name, email=company.email, phone=company.phone,
                               website=company.website, address=company.address, is_default=True)


def backwards(apps, schema_editor):
    apps.get_model("company", "TradingName").objects.filter(is_default=True, terms_versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("company", "0004_trading_names_terms_numbers_labels")]

    operations = [migrations.RunPython(forwards, backwards)]
