from django.apps import AppConfig


class HubConfig(AppConfig):
    """The top of the house: what spans the domain (the site's URL map, home and error
    pages, hub-wide metrics, the demo data). Nothing imports from here."""

    name = "hub"
