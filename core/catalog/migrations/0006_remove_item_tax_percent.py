# The items' own percent gives way to their named rate (decision 0870); 0005 copied it over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_tax_rates_from_percents'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='product',
            name='tax_rate',
        ),
        migrations.RemoveField(
            model_name='service',
            name='tax_rate',
        ),
        migrations.RemoveField(
            model_name='servicepackage',
            name='tax_rate',
        ),
    ]
