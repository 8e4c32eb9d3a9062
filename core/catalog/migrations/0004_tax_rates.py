# Named tax rates (decision 0870), in three steps so that the rows are pointed at their rates in a
# transaction of their own (0005) before the percent columns go (0006).

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from decimal import Decimal
from django.db import migrations, models

class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_service_rebook_reminder_days'),
    ]

    operations = [
        migrations.CreateModel(
            name='TaxRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60)),
                ('percent', models.DecimalField(decimal_places=2, help_text='Percent.', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))])),
                ('active', models.BooleanField(default=True, help_text='Inactive: kept where set, not chosen anew.')),
                ('is_default', models.BooleanField(default=False, help_text='Used by items that name no rate; exactly one.')),
                ('position', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'ordering': ['position', 'name', 'id'],
                'constraints': [models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='catalog_tax_rate_name_ci'), models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='catalog_one_default_tax_rate'), models.CheckConstraint(condition=models.Q(('percent__gte', 0), ('percent__lte', 100)), name='catalog_tax_rate_percent')],
            },
        ),
        migrations.AddField(
            model_name='product',
            name='named_tax_rate',
            field=models.ForeignKey(blank=True, help_text='Blank: the default tax rate.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.taxrate', verbose_name='tax rate'),
        ),
        migrations.AddField(
            model_name='service',
            name='named_tax_rate',
            field=models.ForeignKey(blank=True, help_text='Blank: the default tax rate.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.taxrate', verbose_name='tax rate'),
        ),
        migrations.AddField(
            model_name='servicepackage',
            name='named_tax_rate',
            field=models.ForeignKey(blank=True, help_text='Blank: the default tax rate.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.taxrate', verbose_name='tax rate'),
        ),
    ]
