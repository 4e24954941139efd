"""CLI flags generated from the Settings table, so a setting cannot exist without its flag."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from theodolite.server.settings import Settings


def _click_type(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return {int: int, float: float, Path: click.Path(path_type=Path), bool: bool}.get(annotation, str)


def settings_options(names: Iterable[str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command with one flag per setting (all of them, or `names`)."""
    fields = Settings.model_fields
    chosen = list(names) if names is not None else list(fields)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(chosen):
            field = fields[name]
            flag = "--" + name.replace("_", "-")
            env = "THEODOLITE_" + name.upper()
            kind = _click_type(field.annotation)
            help_text = f"{field.description} [env: {env}]"
            if kind is bool:
                decl = f"{flag}/--no-{flag[2:]}"
                command = click.option(decl, name, default=None, help=help_text)(command)
            else:
                command = click.option(flag, name, type=kind, default=None, help=help_text)(command)
        return command

    return decorate


def pick_settings(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key in Settings.model_fields}
