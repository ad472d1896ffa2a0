"""``python -m localcloud up|down|status|serve``."""

from __future__ import annotations

import typer

from localcloud import server
from localcloud.settings import LocalCloudSettings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="The local cloud: moto's server plus localcloud.compat."
)


@app.command()
def up() -> None:
    """Start the local cloud in the background (or reuse the running one)."""
    settings = LocalCloudSettings.from_environment()
    started = server.up(settings)
    typer.echo(f"local cloud {'started' if started else 'already running'} at {settings.endpoint}")


@app.command()
def down() -> None:
    """Stop the local cloud started by `up`."""
    settings = LocalCloudSettings.from_environment()
    typer.echo("local cloud stopped" if server.down(settings) else "no local cloud was running")


@app.command()
def status() -> None:
    """Exit 0 when the local cloud answers, 1 when not."""
    settings = LocalCloudSettings.from_environment()
    running = server.is_running(settings)
    typer.echo(f"local cloud at {settings.endpoint}: {'running' if running else 'not running'}")
    raise typer.Exit(0 if running else 1)


@app.command()
def serve() -> None:
    """Run the local cloud in the foreground."""
    server.serve(LocalCloudSettings.from_environment())


if __name__ == "__main__":
    app()
