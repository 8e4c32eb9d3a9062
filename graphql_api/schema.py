"""The GraphQL schema root: per-area classes merged into Query and Mutation.

To plug in an area, import its classes and add them to QUERIES / MUTATIONS (one line each).
Subscriptions: add classes to SUBSCRIPTIONS; the Subscription type appears when it is non-empty.
After changing the schema run ``python manage.py graphql_schema`` (a test fails when
``schema.graphql`` is stale).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

import strawberry
from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from .accounts.mutations import AccountsMutation
from .accounts.queries import AccountsQuery
from .bookings.mutations import BookingsMutation
from .bookings.queries import BookingsQuery
from .branding.mutations import BrandingMutation
from .branding.queries import BrandingQuery
from .catalog.mutations import CatalogMutation
from .catalog.queries import CatalogQuery
from .catalog.tax_rates import TaxRatesMutation, TaxRatesQuery
from .characters import RefuseNulCharacters
from .chat.mutations import ChatMutation
from .company.mutations import CompanyMutation
from .company.queries import CompanyQuery
from .complaints.mutations import ComplaintsMutation
from .complaints.queries import ComplaintsQuery
from .crm.imports import ImportsMutation
from .crm.inbox import InboxMutation, InboxQuery
from .crm.leads import LeadsMutation, LeadsQuery
from .crm.lists import ListsMutation, ListsQuery
from .crm.mutations import CrmMutation
from .crm.queries import CrmQuery
from .errors import ERROR_TYPES, ErrorPolicy, expected_error
from .fastpath import install_column_resolvers
from .files.mutations import FilesMutation
from .integrations.mutations import IntegrationsMutation
from .integrations.queries import IntegrationsQuery
from .invoices.mutations import InvoicesMutation
from .invoices.queries import InvoicesQuery
from .jobdata.form_mutations import FormMutation
from .jobdata.form_queries import FormQuery
from .jobdata.mutations import JobDataMutation
from .jobdata.queries import JobDataQuery
from .metrics import OperationMetrics
from .nodes import NodeQuery
from .outreach.mutations import OutreachMutation
from .outreach.queries import OutreachQuery
from .payroll.mutations import PayrollMutation
from .payroll.queries import PayrollQuery
from .quotes.mutations import QuotesMutation
from .quotes.queries import QuotesQuery
from .realtime.execution import SharedEventExecutionContext
from .realtime.subscriptions import RealtimeSubscription
from .reviews.mutations import ReviewsMutation
from .reviews.queries import ReviewsQuery
from .scalars import SCALAR_OVERRIDES
from .scheduling.mutations import SchedulingMutation
from .scheduling.queries import SchedulingQuery
from .sms.mutations import SmsMutation
from .sms.queries import SmsQuery
from .workforce.mutations import WorkforceMutation
from .workforce.profile import ProfileMutation, ProfileQuery
from .workforce.queries import WorkforceQuery

# --- plug-in points: add an area's classes here ------------------------------------------------
QUERIES: tuple[type, ...] = (
    NodeQuery,
    AccountsQuery,
    CompanyQuery,
    BrandingQuery,
    CrmQuery,
    InboxQuery,
    LeadsQuery,
    ListsQuery,
    CatalogQuery,
    TaxRatesQuery,
    WorkforceQuery,
    ProfileQuery,
    SchedulingQuery,
    BookingsQuery,
    SmsQuery,
    OutreachQuery,
    JobDataQuery,
    FormQuery,
    InvoicesQuery,
    ComplaintsQuery,
    QuotesQuery,
    PayrollQuery,
    ReviewsQuery,
    IntegrationsQuery,
)
MUTATIONS: tuple[type, ...] = (
    AccountsMutation,
    CompanyMutation,
    BrandingMutation,
    CrmMutation,
    ImportsMutation,
    InboxMutation,
    LeadsMutation,
    ListsMutation,
    CatalogMutation,
    TaxRatesMutation,
    WorkforceMutation,
    ProfileMutation,
    SchedulingMutation,
    BookingsMutation,
    SmsMutation,
    OutreachMutation,
    ChatMutation,
    JobDataMutation,
    FormMutation,
    InvoicesMutation,
    ComplaintsMutation,
    FilesMutation,
    QuotesMutation,
    PayrollMutation,
    ReviewsMutation,
    IntegrationsMutation,
)
# Subscriptions (issue 3: graphql_api/realtime/): add the Subscription classes here.
SUBSCRIPTIONS: tuple[type, ...] = (RealtimeSubscription,)
# ------------------------------------------------------------------------------------------------

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS) if SUBSCRIPTIONS else None


class QuerysetOptimizer(DjangoOptimizerExtension):
    """The optimiser without its per-field ``resolve`` hook.

    strawberry-django's own fields (lists, connections, nodes) already optimise their querysets
    when the optimiser is active for the operation; the hook only adds a wrapper call around every
    field, scalars included (about a third of the execution time of a 100-row bookings page).
    Custom resolvers that return a queryset optimise it themselves with ``optimize``.
    """

    resolve = SchemaExtension.resolve  # type: ignore[assignment]


class RememberValidDocuments(SchemaExtension):
    """Skip validating a document that already passed under the same limits.

    Validation is a pure function of the schema, the document and the rules (which follow the
    limit settings); re-walking a 100-field query on every request cost about 6 ms here. Only
    documents that passed are remembered, at most ``SIZE`` of them, so unique junk cannot grow the
    cache, and a document that failed is validated (and refused) every time."""

    SIZE = 256
    MAX_QUERY_CHARS = 20_000
    _passed: OrderedDict[tuple, None] = OrderedDict()
    _lock = threading.Lock()

    def _key(self) -> tuple | None:
        context = self.execution_context
        query = context.query
        if not query or len(query) > self.MAX_QUERY_CHARS:
            return None
        return (id(context.schema), query, settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES,
                settings.GRAPHQL_MAX_TOKENS, settings.GRAPHQL_INTROSPECTION)

    def on_validate(self) -> Iterator[None]:
        key = self._key()
        with self._lock:
            known = key is not None and key in self._passed
            if known:
                self._passed.move_to_end(key)
        if known:
            self.execution_context.pre_execution_errors = []  # Strawberry then skips validation
        yield
        if key is not None and not known and self.execution_context.pre_execution_errors == []:
            with self._lock:
                self._passed[key] = None
                if len(self._passed) > self.SIZE:
                    self._passed.popitem(last=False)


def _introspection_rule() -> AddValidationRules:
    allowed = settings.GRAPHQL_INTROSPECTION
    return AddValidationRules([] if allowed else [NoSchemaIntrospectionCustomRule])


def build_extensions() -> list:
    """Schema extensions. Factories run per operation, so limits follow the current settings."""
    return [
        OperationMetrics,  # first: it counts the errors as ErrorPolicy leaves them
        ErrorPolicy,
        QuerysetOptimizer,
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        _introspection_rule,
        lambda: ParserCache(maxsize=RememberValidDocuments.SIZE),  # keyed by text and token limit
        RememberValidDocuments,
        RefuseNulCharacters,  # after RememberValidDocuments: a refusal here wins over "known valid"
    ]


class FieldopsSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Log only what is unexpected; a DomainError is an answer, not a fault."""
        unexpected = [error for error in errors if not expected_error(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    built = FieldopsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[error for error, _enum in ERROR_TYPES.values()],  # each area's UserError (decision 0108)
        extensions=build_extensions(),
        config=StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
        scalar_overrides=SCALAR_OVERRIDES,  # dates and times in years 1900-2999 only
        execution_context_class=SharedEventExecutionContext,  # one execution per live event (0203)
    )
    install_column_resolvers(built._schema, built.config.info_class)
    return built


schema = build_schema()
