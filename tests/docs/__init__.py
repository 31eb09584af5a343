"""Tests of the documentation: its commands run as written."""
