# The quotes (issue 18); an invoice names the quote it was made from by a foreign key (decision 0838).

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0007_booking_location_types'),
        ('catalog', '0002_products_packages_tiers_zones_log'),
        ('company', '0006_company_tax_mode'),
        ('crm', '0007_dependents_property_access_notes_type_order'),
        ('outreach', '0009_inbound_email'),
        ('sales', '0001_invoices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name='invoice',
            name='quote_id',
        ),
        migrations.CreateModel(
            name='Quote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(help_text='As printed: prefix and number (Q-1042).', max_length=40, unique=True)),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('sent', 'Sent'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Expired')], default='draft', max_length=8)),
                ('currency', models.CharField(max_length=3)),
                ('valid_until', models.DateField(blank=True, help_text='Expires after this day (company time).', null=True)),
                ('follow_up_date', models.DateField(blank=True, help_text='The owner is reminded by e-mail that day.', null=True)),
                ('follow_up_reminded_for', models.DateField(blank=True, help_text='The follow-up date a reminder was sent for (once each).', null=True)),
                ('agreed_start', models.DateTimeField(blank=True, help_text='A time agreed for the job: accepting books it then.', null=True)),
                ('notes', models.TextField(blank=True)),
                ('subtotal', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=12)),
                ('discount_total', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=12)),
                ('tax_total', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=12)),
                ('total', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=12)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('sms_to', models.CharField(blank=True, help_text='The number it was texted to (E.164): replies from it may accept.', max_length=20)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_channel', models.CharField(blank=True, max_length=12)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('accepted_terms_version', models.ForeignKey(blank=True, help_text='The terms the customer accepted.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='company.termsversion')),
                ('booking', models.ForeignKey(blank=True, help_text='The booking accepting it made.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='bookings.booking')),
                ('booking_request', models.ForeignKey(blank=True, help_text='The appointment request accepting it made (no time agreed).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='outreach.bookingrequest')),
                ('customer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='crm.customer')),
                ('inquiry', models.ForeignKey(blank=True, help_text='The inquiry (lead) it was made from.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.inquiry')),
                ('issued_number', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='company.issuednumber')),
                ('labels', models.ManyToManyField(blank=True, related_name='+', to='company.label')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('property', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.property')),
                ('terms_version', models.ForeignKey(blank=True, help_text='The terms in force when it was sent.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='company.termsversion')),
                ('trading_name', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='company.tradingname')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='invoice',
            name='quote',
            field=models.ForeignKey(blank=True, help_text='The accepted quote it was made from.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='sales.quote'),
        ),
        migrations.CreateModel(
            name='QuoteEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('email_message', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='outreach.emailmessage')),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='sales.quote')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='QuoteEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quote_id', models.PositiveBigIntegerField(db_index=True)),
                ('number', models.CharField(max_length=40)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('action', models.CharField(max_length=40)),
                ('actor_kind', models.CharField(max_length=12)),
                ('actor_label', models.CharField(blank=True, max_length=150)),
                ('channel', models.CharField(max_length=12)),
                ('changes', models.JSONField(blank=True, default=dict, help_text='field: [before, after]')),
                ('data', models.JSONField(blank=True, default=dict)),
                ('actor_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='QuoteLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('item', 'Item'), ('fee', 'Fee'), ('discount', 'Discount')], default='item', max_length=8)),
                ('description', models.CharField(max_length=200)),
                ('quantity', models.DecimalField(decimal_places=2, default=Decimal('1'), max_digits=8)),
                ('unit_price', models.DecimalField(decimal_places=2, max_digits=10)),
                ('tax_rate', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5)),
                ('tax_inclusive', models.BooleanField(default=False)),
                ('discount_percent', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5)),
                ('list_unit_price', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                ('pricing', models.JSONField(blank=True, default=list)),
                ('price_overridden_at', models.DateTimeField(blank=True, null=True)),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('package', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.servicepackage')),
                ('price_overridden_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.product')),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='sales.quote')),
                ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.service')),
            ],
            options={
                'ordering': ['position', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['status', 'valid_until'], name='sales_quote_status_valid'),
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['customer', 'status'], name='sales_quote_customer'),
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['follow_up_date'], name='sales_quote_follow_up'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('total__gte', 0)), name='sales_quote_total_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='sales_quote_line_quantity_positive'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='sales_quote_line_price_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('discount_percent__gte', 0), ('discount_percent__lte', 100)), name='sales_quote_line_discount_percent'),
        ),
    ]
