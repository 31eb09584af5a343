"""`marketbridge sandbox KIND`: one command per registered sandbox, with its declared credential options."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Optional

import typer

sandbox_app = typer.Typer(
    help="Run a local emulator of a marketplace's seller API: one command per registered sandbox.",
    no_args_is_help=True,
)


def _serve_sandbox(
    kind: str,
    *,
    port: int,
    host: str,
    demo_data: bool,
    no_limits: bool,
    push_url: str | None,
    given: dict[str, Any],
) -> None:
    from marketbridge.sandbox import registry
    from marketbridge.sandbox.common.sellers import SellerRouter
    from marketbridge.sandbox.common.server import serve as serve_sandbox

    spec = registry.get(kind)
    credentials = spec.make_credentials()
    credentials.update({k: str(v) for k, v in given.items() if v and k in spec.credential_options})
    application = SellerRouter(
        spec.create_app,
        spec.make_credentials,
        credentials,
        demo_data=demo_data,
        limits=not no_limits,
        push_url=push_url,
    )
    typer.echo(f"{kind} sandbox on http://{host}:{port}")
    typer.echo(spec.describe(credentials))
    serve_sandbox(application, host=host, port=port)


def _sandbox_command(kind: str, credential_options: tuple[str, ...]) -> Callable[..., None]:
    """The `sandbox KIND` command, with one option per credential the sandbox declares."""

    def command(
        port: int, host: str, demo_data: bool, no_limits: bool, push_url: str | None, **given: Any
    ) -> None:
        _serve_sandbox(
            kind,
            port=port,
            host=host,
            demo_data=demo_data,
            no_limits=no_limits,
            push_url=push_url,
            given=given,
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            "port", keyword, default=typer.Option(8100, help="port to listen on"), annotation=int
        ),
        inspect.Parameter(
            "host",
            keyword,
            default=typer.Option("127.0.0.1", help="address to bind (loopback by default)"),
            annotation=str,
        ),
        inspect.Parameter(
            "demo_data",
            keyword,
            default=typer.Option(False, "--demo-data", help="start with a small demo shop"),
            annotation=bool,
        ),
        inspect.Parameter(
            "no_limits",
            keyword,
            default=typer.Option(False, "--no-limits", help="switch the marketplace's rate limits off"),
            annotation=bool,
        ),
        inspect.Parameter(
            "push_url",
            keyword,
            default=typer.Option(None, help="where to send push notifications, if the marketplace has them"),
            annotation=Optional[str],  # noqa: UP045 - typer reads this at run time
        ),
    ]
    for option in credential_options:
        params.append(
            inspect.Parameter(
                option,
                keyword,
                default=typer.Option(
                    None, help=f"the {option} to accept (a fresh one is made up when absent)"
                ),
                annotation=Optional[str],  # noqa: UP045 - typer reads this at run time
            )
        )
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def register_sandbox_commands() -> None:
    from marketbridge.sandbox import registry

    for kind, spec in sorted(registry.load_all().items()):
        sandbox_app.command(
            name=kind, help=f"Run the {kind} sandbox (its seller API and /_sandbox/ control)."
        )(_sandbox_command(kind, spec.credential_options))
