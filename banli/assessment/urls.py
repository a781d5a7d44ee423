"""Routes of banli.assessment."""

app_name = "assessment"

urlpatterns: list = []
