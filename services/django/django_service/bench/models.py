"""The tables, as Django models with the contract's table and column names."""

from __future__ import annotations

from django.db import models


class World(models.Model):
    """A row of the 10,000-row world table."""

    randomnumber = models.IntegerField()

    class Meta:
        db_table = "world"


class Fortune(models.Model):
    """A fortune cookie message."""

    message = models.CharField(max_length=2048)

    class Meta:
        db_table = "fortune"


class User(models.Model):
    """The article's example resource."""

    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254)

    class Meta:
        db_table = "users"
