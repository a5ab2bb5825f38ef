"""The Django service: models, migrations, the ORM, forms-style validation, templates."""
