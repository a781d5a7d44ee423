import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "banli.settings")
application = get_wsgi_application()
# Everything loaded at start-up (Django, the apps, the URL patterns, the translations) lives
# as long as the worker: kept out of the collector's generations, a full collection during
# a request no longer walks it (the use gc.freeze() is documented for).
gc.freeze()
