"""Routes of banli.reminders."""

app_name = "reminders"

urlpatterns: list = []
