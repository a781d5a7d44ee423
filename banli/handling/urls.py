from django.urls import include, path

app_name = "handling"

# The unit's pages and the staff's and proposer's pages live in separate modules.
urlpatterns = [
    path("", include("banli.handling.urls_unit")),
    path("", include("banli.handling.urls_staff")),
]
