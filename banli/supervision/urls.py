"""Routes of the supervision pages."""

app_name = "supervision"

urlpatterns: list = []
