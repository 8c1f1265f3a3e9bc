"""A small django-oscar shop with remarket: ``make demo-oscar`` runs it end to end."""
