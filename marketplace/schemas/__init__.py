"""Marshmallow schemas of the JSON API: inputs, and outputs with public/owner/admin views."""
