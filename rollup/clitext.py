"""The command line's own words in Chinese: the help screens (用法, 选项, 参数, 命令, [默认：…],
显示本帮助并退出。) and the usage errors that typer and the click it carries write in English
(缺少参数, 没有这个命令, …的值无效). Neither reads a translation catalogue, so the words are set
here: typer's panel titles are module constants, the usage line and the help option come from
the command classes below, and each error's message is put into Chinese just before typer
prints it. ``ChineseTyper`` is the app class the CLI uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import typer
from typer import core as typer_core
from typer.core import TyperCommand, TyperGroup

USAGE = "用法："
HELP_OPTION = "显示本帮助并退出。"
OPTIONS_METAVAR = "[选项]"

_TITLES = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "DEFAULT_STRING": "[默认：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "DEPRECATED_STRING": "（已弃用）",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}

# English messages of typer, click and pydantic (typer converts values with it), in Chinese.
_MESSAGES = [
    (r"Missing argument (.+)\.", r"缺少参数 \1"),
    (r"Missing option (.+)\.", r"缺少选项 \1"),
    (r"Missing parameter (.+)\.", r"缺少参数 \1"),
    (r"Missing command\.", "缺少命令"),
    (r"No such command (.+)\.", r"没有这个命令：\1"),
    (r"No such option: (\S+)(?:\s+Did you mean (\S+)\?)?", r"没有这个选项：\1"),
    (r"Option (.+) requires an argument\.", r"选项 \1 后面需要写一个值"),
    (r"Option (.+) does not take a value\.", r"选项 \1 后面不能写值"),
    (r"Got unexpected extra argument\(s\) \((.+)\)", r"多余的参数：\1"),
    (r"[Ff]ile (.+) does not exist\.", r"文件 \1 不存在"),
    (r"[Dd]irectory (.+) does not exist\.", r"文件夹 \1 不存在"),
    (r"[Pp]ath (.+) does not exist\.", r"路径 \1 不存在"),
    (r"[Ff]ile (.+) is a directory\.", r"\1 是文件夹，不是文件"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid date.*", "应为日期，如 2020-01-31"),
    (r"(?:Value error, )?(.+) is not one of (.+)\.", r"\1 不是可选的值，可选：\2"),
    (r"(?:Value error, )?(.+) is not a valid (.+)\.", r"\1 不是有效的值"),
]


def chinese(message: str) -> str:
    """An English message of typer or click in Chinese (a message already in Chinese, or one not
    known here, as it is)."""
    for pattern, words in _MESSAGES:
        match = re.fullmatch(pattern, message.strip(), flags=re.S)
        if match:
            return match.expand(words)
    return message


def error_words(error: Exception) -> str:
    """What a usage error says, in Chinese."""
    if isinstance(error, typer.BadParameter) and type(error).__name__ == "BadParameter":
        hint = error.param_hint or (error.param.get_error_hint() if error.param else None)
        what = chinese(error.message)
        return f"{_hint(hint)} 的值无效：{what}" if hint else f"值无效：{what}"
    return chinese(error.format_message() if isinstance(error, typer.BadParameter) else str(error))


def _hint(hint: Any) -> str:
    return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint)


class _Chinese:
    """The usage line, the help option and the help screen's panels in Chinese (mixed into
    typer's command classes)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _chinese_panels()
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION
        return option


class ChineseCommand(_Chinese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "options_metavar": OPTIONS_METAVAR})


class ChineseGroup(_Chinese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *args, **{**kwargs, "options_metavar": OPTIONS_METAVAR, "subcommand_metavar": "命令 [参数]..."}
        )

    # Every usage error of the group and its commands passes through these two on its way to
    # typer's error panel.
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _errors_in_chinese():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _errors_in_chinese():
            return super().invoke(ctx)


class ChineseTyper(typer.Typer):
    """A typer app whose group and commands speak Chinese."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=ChineseGroup, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", ChineseCommand)
        return super().command(*args, **kwargs)


# The kinds of value typer shows beside each option (<str>, <int>, <path> …); a flag shows none.
_TYPES = {
    "bool": None,
    "str": "文字",
    "int": "整数",
    "float": "数字",
    "path": "路径",
    "Path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "list[Path]": "路径",
}


def _display_type(self: Any, ctx: Any) -> str | None:
    shown = _english_display_type(self, ctx)  # type: ignore[misc]
    if shown is None or not (shown.startswith("<") and shown.endswith(">")):
        return shown
    kind = shown[1:-1]
    if kind in _TYPES:
        return None if _TYPES[kind] is None else f"<{_TYPES[kind]}>"
    return shown


@contextmanager
def _errors_in_chinese() -> Iterator[None]:
    try:
        yield
    except (typer.TyperException, typer.Abort, EOFError):
        _chinese_panels()
        raise


@cache
def _chinese_panels() -> None:
    """Put typer's panel titles and error panel into Chinese, once. typer imports its rich_utils
    (with rich's markdown and tracebacks, some 50 ms) only to draw a help screen or an error, so
    this is done then, not at import, and `rollup check` starts without it."""
    from typer import rich_utils

    print_english_error = rich_utils.rich_format_error

    def print_error(error: Any) -> None:
        """typer's error panel, with the message in Chinese."""
        message = error_words(error)
        error.format_message = lambda: message
        print_english_error(error)

    for name, words in _TITLES.items():
        setattr(rich_utils, name, words)
    setattr(rich_utils, "rich_format_error", print_error)  # noqa: B010


# typer's parameter class and its display_type are internal: where a typer version lacks them,
# the kinds of values simply stay in English.
_parameter = getattr(typer_core, "_TyperParameter", None)
_english_display_type = getattr(_parameter, "display_type", None)
if _parameter is not None and _english_display_type is not None:
    setattr(_parameter, "display_type", _display_type)  # noqa: B010
