from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/second-factor/", include("guichet.staffauth.urls")),
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("solidaire/", include("guichet.solidarity.urls")),
    path("famille/", include("guichet.families.urls")),
    path("", include("guichet.public.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "guichet.public.errors.permission_denied"
handler404 = "guichet.public.errors.page_not_found"
handler500 = "guichet.public.errors.server_error"
