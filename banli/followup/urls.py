"""Routes of banli.followup."""

app_name = "followup"

urlpatterns: list = []
