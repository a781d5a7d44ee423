from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from banli.accounts import views as accounts

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", accounts.login_view, name="login"),
    path("body/", views.switch_body, name="switch_body"),
    path("logout/", accounts.logout_view, name="logout"),
    path("account/", include("banli.accounts.urls")),
    path("items/", include("banli.items.urls")),
    path("handling/", include("banli.handling.urls")),
    path("supervision/", include("banli.supervision.urls")),
    path("followup/", include("banli.followup.urls")),
    path("assessment/", include("banli.assessment.urls")),
    path("reminders/", include("banli.reminders.urls")),
    path("reports/", include("banli.reports.urls")),
    path("delivery/", include("banli.delivery.urls")),
    path("batch/", include("banli.batch.urls")),
    path("desk/", include("banli.desk.urls")),
    path("notices/", include("banli.notices.urls")),
    path("body-admin/", include("banli.bodies.urls")),
    # One way in: the admin's own login would skip the second step and the lockout page.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The benchmark's floor (banli.bench): harmless, and measured behind the same middleware.
    path("-/floor/", views.floor, name="floor"),
    # Browsers ask for /favicon.ico whatever the page links: the icon the pages link.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}banli/favicon.svg")),
]

handler400 = "banli.views.bad_request"
handler403 = "banli.views.forbidden"
handler404 = "banli.views.not_found"
handler500 = "banli.views.server_error"
