"""`hotline`: serve, migrate, demo, import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from config.settings import Settings

if TYPE_CHECKING:
    from app.db.uow import UnitOfWork

cli = typer.Typer(help="Hotline contact-center server.", no_args_is_help=True)
importer = typer.Typer(help="Import customers or transactions from CSV.", no_args_is_help=True)
cli.add_typer(importer, name="import")
console = Console()


def _settings(**overrides: object) -> Settings:
    """Settings, or a plain message naming the bad variable (no traceback)."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        for err in exc.errors():
            name = "HOTLINE_" + "_".join(str(p) for p in err["loc"]).upper()
            console.print(f"[red]invalid setting {name}:[/red] {err['msg']}")
        raise typer.Exit(2) from None


def _uow_factory(settings: Settings):  # type: ignore[no-untyped-def]
    from app.db.engine import make_engine, make_sessionmaker
    from app.db.uow import uow_factory

    engine = make_engine(settings)
    return engine, uow_factory(make_sessionmaker(engine))


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="HTTP host (HOTLINE_HTTP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (HOTLINE_HTTP_PORT)")] = None,
) -> None:
    """Run the server (migrates the database first)."""
    import uvicorn

    from app.main import create_app

    overrides = {k: v for k, v in (("http_host", host), ("http_port", port)) if v is not None}
    settings = _settings(**overrides)
    from app.preflight import PreflightError, check_shared_mode

    try:  # before anything listens: a half-configured shared mode must not start at all
        check_shared_mode(settings)
    except PreflightError as exc:
        from rich.markup import escape

        console.print(f"[red]cannot start:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(3) from None
    if settings.sip_enabled is None:  # SIP is on for a server unless turned off
        settings = settings.model_copy(update={"sip_enabled": True})
    if settings.gc_freeze is None:  # so is the frozen start-up heap (app/heap.py)
        settings = settings.model_copy(update={"gc_freeze": True})
    if settings.log_format == "json":  # one JSON object per line (docs/operations.md)
        from app.observability.logs import configure

        configure("json")
    else:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    # No per-message compression on websockets: consoles sit next to the server, and
    # deflating every screen pop cost more CPU than the bytes it saved (docs/benchmarks.md).
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        ws_per_message_deflate=False,
        # JSON lines: uvicorn's own loggers go through the root's JSON handler, not its own.
        **({"log_config": None} if settings.log_format == "json" else {}),
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from app.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url)
    console.print(f"database at head: {settings.effective_database_url.split('@')[-1]}")


@cli.command()
def demo(
    customers: Annotated[int, typer.Option(min=0, max=1_000_000)] = 3000,
    past_contacts: Annotated[
        bool, typer.Option(help="Give customers earlier calls and chats, as a centre in use has.")
    ] = True,
) -> None:
    """Load demo queues, staff and customers (idempotent) and print the logins."""
    from app.db.migrate import upgrade
    from app.demo import load_demo

    settings = _settings()
    upgrade(settings.effective_database_url)

    async def run() -> list[tuple[str, str, str]]:
        engine, factory = _uow_factory(settings)
        try:
            return await load_demo(factory, customers, past_contacts=past_contacts)
        finally:
            await engine.dispose()

    logins = asyncio.run(run())
    graded, _ = asyncio.run(_regrade(settings, show=False))
    console.print(f"graded {graded} customers")
    console.print("[bold]Demo logins[/bold] (username / password / role):")
    for username, password, role in logins:
        console.print(f"  {username:<12} {password:<14} {role}")


async def _regrade(settings: Settings, show: bool = True) -> tuple[int, int]:
    from app.customers.valuation import Valuation, load_grading_config, regrade_base

    valuation = Valuation(load_grading_config(settings.grades_file))
    engine, factory = _uow_factory(settings)
    try:
        with Progress(console=console, disable=not show) as progress:
            tasks: dict[str, object] = {}

            def report(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(phase, total=total or None)
                progress.update(tasks[phase], completed=done, total=total or None)  # type: ignore[arg-type]

            async with factory() as uow:
                graded = await regrade_base(uow, valuation, report)
            await _refresh_statistics(factory)
            return graded
    finally:
        await engine.dispose()


async def _refresh_statistics(factory: Callable[[], UnitOfWork]) -> None:
    """After a bulk job: the planner's statistics as the tables are now (PostgreSQL)."""
    from app.db.repositories.maintenance import MaintenanceRepository

    async with factory() as uow:
        await MaintenanceRepository(uow).refresh_statistics()


@cli.command()
def regrade() -> None:
    """Recompute every customer's grade, RFM, CLV, lifecycle and churn risk."""
    import time

    from app.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url)
    started = time.perf_counter()
    graded, changed = asyncio.run(_regrade(settings))
    took = time.perf_counter() - started
    console.print(f"graded {graded} customers in {took:.1f} s; {changed} grades changed")


def _import(kind: str, path: Path) -> None:
    from app.db.migrate import upgrade
    from app.importers import import_csv

    settings = _settings()
    upgrade(settings.effective_database_url)
    try:
        total = max(0, sum(1 for _ in path.open(encoding="utf-8-sig")) - 1)
    except UnicodeDecodeError as exc:
        console.print(f"[red]{path} is not UTF-8 text:[/red] {exc}")
        raise typer.Exit(2) from None

    async def run():  # type: ignore[no-untyped-def]
        engine, factory = _uow_factory(settings)
        try:
            with Progress(console=console) as progress:
                task = progress.add_task(f"importing {kind}", total=total)
                report = await import_csv(
                    kind,
                    path,
                    factory,
                    settings.default_region,
                    lambda n: progress.advance(task, n),
                )
            await _refresh_statistics(factory)
            return report
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    console.print(f"imported {report.imported}, rejected {len(report.rejected)}")
    for line, reason in report.rejected:
        console.print(f"  line {line}: {reason}")
    if report.rejected and not report.imported:
        raise typer.Exit(1)


@importer.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Columns: name, phones, emails (';'-separated), language, company, account_manager, ..."""
    _import("customers", file)


@importer.command("transactions")
def import_transactions(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Columns: customer_id or phone or email, amount, margin, occurred_at (ISO 8601), reference."""
    _import("transactions", file)


@cli.command()
def simulate(
    policy: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, readable=True, help="candidate routing.yaml"),
    ],
    from_: Annotated[
        str | None, typer.Option("--from", help="first day (YYYY-MM-DD, supervisor time zone)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, included")] = None,
    agents: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="roster CSV (docs/simulator.md)"
        ),
    ] = None,
    synthetic_rate: Annotated[
        float | None, typer.Option(help="synthetic Poisson arrivals per hour")
    ] = None,
    synthetic_aht: Annotated[float, typer.Option(help="synthetic mean talk seconds")] = 180.0,
    hours: Annotated[float, typer.Option(help="synthetic hours of traffic")] = 8.0,
    synthetic_agents: Annotated[
        int | None, typer.Option(help="synthetic roster size (default: Erlang C for 80 %)")
    ] = None,
    patience: Annotated[
        float | None, typer.Option(help="synthetic mean patience seconds (default: none)")
    ] = None,
    out: Annotated[Path, typer.Option(help="directory for simulation.csv and .html")] = Path(
        "simulation-report"
    ),
    seed: Annotated[int, typer.Option(help="random seed (same seed, same run)")] = 1,
) -> None:
    """Replay recorded traffic (or synthetic traffic) through the current routing policy and
    a candidate; print both side by side and write a CSV and an HTML report."""
    import math
    import time as clock
    from datetime import date, datetime, timedelta
    from datetime import time as day_start

    from rich.table import Table

    from app.contacts.wiring import load_routing_config
    from app.simulation import report
    from app.simulation.service import (
        SimulationInputError,
        SyntheticSpec,
        database_queues,
        known_agents,
        load_candidate,
        options_from,
        recorded_plan,
        run,
        synthetic_plan,
        with_queues,
    )
    from routing import PolicyError

    settings = _settings()
    if synthetic_rate is None and from_ is None:
        console.print("[red]give --from DATE [--to DATE] or --synthetic-rate R[/red]")
        raise typer.Exit(2)

    async def load():  # type: ignore[no-untyped-def]
        engine, factory = _uow_factory(settings)
        try:
            current = load_routing_config(settings.routing_file, settings)
            if from_ is not None:  # the server's queues come from its database
                current = with_queues(current, await database_queues(factory))
            options, zone = options_from(settings.supervisor_file)
            candidate = load_candidate(policy.read_text(encoding="utf-8"), current)
            roster = agents.read_text(encoding="utf-8-sig") if agents else None
            if synthetic_rate is not None:
                spec = SyntheticSpec(
                    synthetic_rate,
                    synthetic_aht,
                    hours,
                    synthetic_agents,
                    patience if patience is not None else math.inf,
                )
                known = await known_agents(factory) if roster is not None else None
                plan = synthetic_plan(spec, current, options, roster, known, seed, zone)
                return current, candidate, plan
            try:
                first = date.fromisoformat(from_ or "")
                last = date.fromisoformat(to) if to else first
            except ValueError:
                raise SimulationInputError(
                    "--from/--to: expected YYYY-MM-DD dates", "from"
                ) from None
            begin = datetime.combine(first, day_start(), zone)
            end = datetime.combine(last + timedelta(days=1), day_start(), zone)
            plan = await recorded_plan(factory, begin, end, current, options, zone, roster, seed)
            return current, candidate, plan
        finally:
            await engine.dispose()

    if (from_ is not None and synthetic_rate is None) or agents is not None:
        from app.db.migrate import upgrade  # the database is read

        upgrade(settings.effective_database_url)
    try:
        current, candidate, plan = asyncio.run(load())
    except SimulationInputError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    except PolicyError as exc:  # the current routing.yaml itself
        console.print(f"[red]current policy {settings.routing_file}: {exc}[/red]")
        raise typer.Exit(2) from None
    for note in plan.notes:
        console.print(f"  {note}")
    started = clock.perf_counter()
    with Progress(console=console) as progress:
        task = progress.add_task("simulating current and candidate", total=2 * len(plan.arrivals))
        result = run(
            plan, current, candidate, lambda done, total: progress.update(task, completed=done)
        )
    took = clock.perf_counter() - started
    table = Table(title=f"{plan.title} ({took:.1f} s)")
    for name in ("group", "figure", "current", "candidate"):
        table.add_column(name, justify="left" if name in ("group", "figure") else "right")
    for section, group, name, a, b in report.rows(result, detail=False):
        label = group if section in ("overall", "queue") else f"grade {group}"
        table.add_row(label, name, report.fmt(name, a), report.fmt(name, b))
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "simulation.csv").write_text(report.to_csv(result), encoding="utf-8")
    (out / "simulation.html").write_text(report.to_html(result), encoding="utf-8")
    console.print(f"report: {out / 'simulation.html'}, figures: {out / 'simulation.csv'}")


def main() -> None:
    cli()
