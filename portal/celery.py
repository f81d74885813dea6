"""The Celery application. Settings (with the reasons for each) live in portal/settings.py
under the CELERY_ prefix; queues per concern are declared here so workers can subscribe to
any subset of them (``make worker QUEUES=routing``)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Queues per concern; CELERY_TASK_ROUTES in settings sends each task to its queue.
QUEUES = ("default", "routing", "notifications", "documents", "postal")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()
