from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("body/", views.switch_body, name="switch_body"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("items/", include("banli.items.urls")),
    path("handling/", include("banli.handling.urls")),
    path("supervision/", include("banli.supervision.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "banli.views.bad_request"
handler403 = "banli.views.forbidden"
handler404 = "banli.views.not_found"
handler500 = "banli.views.server_error"
