"""Routes of banli.delivery."""

app_name = "delivery"

urlpatterns: list = []
