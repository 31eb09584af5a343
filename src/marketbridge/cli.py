"""The `marketbridge` command: serve, worker, database, accounts, sandboxes, sync, demo, bench."""

from __future__ import annotations

import typer

from marketbridge.runtime.logging import configure as configure_logging
from marketbridge.runtime.settings import get_settings

app = typer.Typer(
    help="marketbridge: one API for the seller, many marketplaces behind it.", no_args_is_help=True
)


@app.command()
def sandbox(
    name: str = typer.Argument(..., help="marketplace to emulate, e.g. ozon or wildberries"),
    port: int = typer.Option(8100, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", help="address to bind (loopback by default)"),
    demo_data: bool = typer.Option(False, "--demo-data", help="start with a small demo shop"),
    no_limits: bool = typer.Option(False, "--no-limits", help="switch the marketplace's rate limits off"),
    client_id: str | None = typer.Option(None, help="Ozon: Client-Id to accept"),
    api_key: str | None = typer.Option(None, help="Ozon / Yandex Market: Api-Key to accept"),
    token: str | None = typer.Option(None, help="Wildberries: token to accept (all categories)"),
    push_url: str | None = typer.Option(
        None, help="where to send push notifications, if the marketplace has them"
    ),
) -> None:
    """Run a local emulator of a marketplace's seller API."""
    from marketbridge.sandbox import registry
    from marketbridge.sandbox.common.server import serve

    try:
        spec = registry.get(name)
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    given = {"client_id": client_id, "api_key": api_key, "token": token}
    credentials = spec.make_credentials()
    credentials.update({k: v for k, v in given.items() if v and k in spec.credential_options})
    application = spec.create_app(
        credentials=credentials, demo_data=demo_data, limits=not no_limits, push_url=push_url
    )
    typer.echo(f"{name} sandbox on http://{host}:{port}")
    typer.echo(spec.describe(credentials))
    serve(application, host=host, port=port)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app()


if __name__ == "__main__":
    main()
