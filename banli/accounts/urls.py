from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("verify/", views.verify_view, name="verify"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/off/", views.disable_two_factor, name="disable_two_factor"),
    path("password/", views.password_change, name="password"),
    path("sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
    path("reset/<uidb64>/<token>/", views.ResetView.as_view(), name="reset"),
    path("support/", views.support, name="support"),
    path("support/unlock/", views.unlock, name="unlock"),
]
