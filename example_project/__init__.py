"""Demo shop used to exercise django-remarket against a project-owned data model."""
