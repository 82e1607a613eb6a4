from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import health

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("health/", health.web, name="health"),
    path("health/worker/", health.worker, name="health-worker"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("console/", include("console.urls")),
]
