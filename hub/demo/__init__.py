"""The demo (`manage.py seed_demo`): a year of history made through the hub's own services,
each step run at its own date, and generated pictures for review images. Demo-only code:
nothing else imports it."""
