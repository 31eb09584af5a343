"""The dashboard: server-rendered pages for a person, served by the hub process beside the API.

Every page works with plain links and forms (POST, then redirect); htmx, when it is
installed under var/web, only makes navigation smoother and refreshes live parts.
"""

from marketbridge.web.mount import mount_dashboard

__all__ = ["mount_dashboard"]
