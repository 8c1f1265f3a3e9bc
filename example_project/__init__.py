"""Demo shop used to exercise django-remarket against a project-owned data model."""

# The Celery app is loaded with Django, so @shared_task binds to it (standard layout).
from example_project.celery import app as celery_app

__all__ = ("celery_app",)
