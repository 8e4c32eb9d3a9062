# A rate for each distinct percent the catalogue used ("Tax 10%"), the most used one the default, and
# every service, product and package pointing at the rate of its percent (decision 0870). Reversible:
# going back writes each item's percent from its rate (the default's when it names none).

from decimal import Decimal

from django.db import migrations

MODELS = ("Service", "Product", "ServicePackage")


def _plain(percent):
    return format(Decimal(percent).normalize(), "f")


def rates_from_percents(apps, schema_editor):
    TaxRate = apps.get_model("catalog", "TaxRate")
    counts = {}
    for name in MODELS:
        for percent in apps.get_model("catalog", name).objects.values_list("tax_rate", flat=True):
            counts[percent] = counts.get(percent, 0) + 1
    if not counts:
        counts[Decimal("10.00")] = 0  # nothing sold yet: the old default percent
    # the most used percent is the default; a tie goes to the lower percent
    ranked = sorted(counts, key=lambda percent: (-counts[percent], percent))
    rates = {}
    for position, percent in enumerate(sorted(counts)):
        rates[percent] = TaxRate.objects.create(name=f"Tax {_plain(percent)}%", percent=percent,
                                                is_default=percent == ranked[0], position=position)
    for name in MODELS:
        model = apps.get_model("catalog", name)
        for percent, rate in rates.items():
            model.objects.filter(tax_rate=percent).update(named_tax_rate=rate)


def percents_from_rates(apps, schema_editor):
    TaxRate = apps.get_model("catalog", "TaxRate")
    default = TaxRate.objects.filter(is_default=True).first()
    for name in MODELS:
        model = apps.get_model("catalog", name)
        for rate in TaxRate.objects.all():
            model.objects.filter(named_tax_rate=rate).update(tax_rate=rate.percent)
        model.objects.filter(named_tax_rate__isnull=True).update(
            tax_rate=default.percent if default is not None else Decimal("10.00"))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_tax_rates'),
    ]

    operations = [
        migrations.RunPython(rates_from_percents, percents_from_rates),
    ]
