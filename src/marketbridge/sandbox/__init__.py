"""Local emulators of the marketplaces' APIs, one package each, plus shared machinery in common/."""
