"""Blueprints: one per trade mode plus auth, seller, admin and the JSON API."""
