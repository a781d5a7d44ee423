"""Routes of banli.reports: each part of the app keeps its own list of routes, joined here
under one namespace."""

from . import urls_annual, urls_dashboards, urls_documents, urls_exports

app_name = "reports"

urlpatterns = [
    *urls_dashboards.urlpatterns,
    *urls_annual.urlpatterns,
    *urls_documents.urlpatterns,
    *urls_exports.urlpatterns,
]
