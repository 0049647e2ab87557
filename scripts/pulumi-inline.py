"""`npm run pulumi -- up|preview|refresh|destroy ...` for a `runtime: python` project.

On a machine without the Python language host (`pulumi-language-python`, whose Go module is
not served here), the real CLI engine runs the project's program through Pulumi's Automation
API: an inline program runs in this Python process's own language host. It is the counterpart
of scripts/pulumi-inline.ts (Node.js projects) and takes the same verbs and flags. What the CLI
prints is printed (stdout and stderr streamed as they come); the exit code is 2 for a usage
error (such as `up` without `--yes`), 1 when the CLI fails (with the program's error), 0 else.

scripts/pulumi.sh sends only these verbs here, only for `runtime: python` projects when no
language host is on PATH, and runs this file with the cached venv's Python
(scripts/setup/pulumi-python.sh), with the generated virtkit SDK on PYTHONPATH
(scripts/build-python-sdk.sh) and VIRTKIT_PULUMI_ROOT naming a folder whose bin/pulumi is the
built CLI.

The program is the project's entry point as Pulumi's Python host finds it: Pulumi.yaml's
`main` (a .py file, or a folder with __main__.py), else the project folder's __main__.py. It
runs as `__main__`, with its folder first on sys.path and the project folder as the current
directory. Packages in the project's own virtualenv (Pulumi.yaml's runtime option
`virtualenv`), when it exists and has this Python's version, are importable after the venv's.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import inspect
import os
import runpy
import site
import sys
from typing import Any, Callable, NoReturn, Optional

import yaml
from pulumi import automation as auto

VERBS = {
    "up": "up",
    "update": "up",
    "preview": "preview",
    "pre": "preview",
    "refresh": "refresh",
    "destroy": "destroy",
    "down": "destroy",
}


class UsageError(Exception):
    """A mistake in the command line or the project; exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are UsageErrors, reported like every other usage mistake."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse(argv: list[str]) -> argparse.Namespace:
    p = Parser(prog="pulumi", add_help=False, allow_abbrev=False)
    p.add_argument("verb")
    p.add_argument("-C", "--cwd", help="run in this project directory")
    p.add_argument("-s", "--stack", help="the stack to operate on")
    p.add_argument("-y", "--yes", action="store_true", help="skip the confirmation (required)")
    p.add_argument("--diff", action="store_true", help="display operation as a rich diff")
    p.add_argument("-j", "--json", action="store_true", help="print the preview as JSON")
    p.add_argument("-f", "--skip-preview", action="store_true", help="do not preview first")
    p.add_argument("-r", "--refresh", action="store_true", help="refresh the state first")
    p.add_argument("-m", "--message", help="message of the update")
    p.add_argument("-t", "--target", action="append", help="only this resource (repeatable)")
    p.add_argument("-p", "--parallel", type=int, help="resource operations run in parallel")
    p.add_argument("--expect-no-changes", action="store_true", help="fail on any change")
    p.add_argument("--color", choices=["always", "never", "raw", "auto"], help="colorize output")
    p.add_argument("--non-interactive", action="store_true", help="accepted: never interactive")
    return p.parse_args(argv)


def load_project(directory: str) -> dict[str, Any]:
    """The project's Pulumi.yaml, checked for what this runner reads."""
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            break
    else:
        raise UsageError(f"no Pulumi.yaml in {directory}; pass --cwd DIR of a Pulumi project")
    with open(path, encoding="utf-8") as f:
        project = yaml.safe_load(f) or {}
    if not isinstance(project, dict) or not isinstance(project.get("name"), str) or not project["name"]:
        raise UsageError(f"{path}: name is required; give the project a name")
    return project


def entry_point(directory: str, main: Optional[str]) -> str:
    """The file Pulumi's Python host runs: `main` (a file, or a folder's __main__.py), else
    the project folder's __main__.py."""
    target = os.path.normpath(os.path.join(directory, main or "."))
    candidates = [target] if target.endswith(".py") else [os.path.join(target, "__main__.py")]
    for c in candidates:
        if os.path.isfile(c):
            return c
    if main:
        raise UsageError(
            f"no program in {directory}: Pulumi.yaml main {main!r} names neither a .py file nor a "
            "folder with __main__.py; fix main or write the file"
        )
    raise UsageError(f"no program in {directory}: write __main__.py, or set main in Pulumi.yaml")


def add_project_virtualenv(directory: str, project: dict[str, Any]) -> None:
    """Packages of the project's own virtualenv (runtime option `virtualenv`), after ours."""
    runtime = project.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if not isinstance(venv, str) or not venv:
        return
    venv = os.path.join(directory, venv)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = glob.glob(os.path.join(venv, "lib", version, "site-packages"))
    if found:
        site.addsitedir(found[0])
    elif os.path.isdir(venv):
        sys.stderr.write(
            f"warning: {venv} has no {version} site-packages; its packages are not used "
            f"(this runner's Python is {sys.version.split()[0]})\n"
        )


def program(entry: str, directory: str, quiet_stdout: bool) -> Callable[[], None]:
    """The inline program: the entry file run as __main__, as the Python host runs it. With
    quiet_stdout (preview --json) what the program prints goes to stderr, so stdout is the
    CLI's JSON alone."""

    def run() -> None:
        os.chdir(directory)
        folder = os.path.dirname(entry)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        if quiet_stdout:
            with contextlib.redirect_stdout(sys.stderr):
                runpy.run_path(entry, run_name="__main__")
        else:
            runpy.run_path(entry, run_name="__main__")

    return run


def options_for(method: Callable[..., Any], verb: str, wanted: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a Stack method, refusing a flag the verb does not take."""
    accepted = inspect.signature(method).parameters
    out = {}
    for name, value in wanted.items():
        if value is None or value is False:
            continue
        if name not in accepted:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} is not a flag of pulumi {verb}")
        out[name] = value
    return out


def write_line(stream: Any) -> Callable[[str], None]:
    """An on_output callback: the Automation API hands over lines without their newline."""

    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return write


def run(argv: list[str]) -> int:
    args = parse(argv)
    verb = VERBS.get(args.verb)
    if verb is None:
        raise UsageError(
            f"{args.verb} is not run through the Automation API; scripts/pulumi.sh runs it with the CLI"
        )
    directory = os.path.abspath(args.cwd or os.getcwd())
    project = load_project(directory)
    if verb != "preview" and not args.yes and not args.skip_preview:
        raise UsageError(
            "--yes must be passed in to proceed when running in non-interactive mode "
            f"(pulumi {args.verb} runs through the Automation API here)"
        )
    if args.json and verb != "preview":
        raise UsageError(f"--json is not a flag of pulumi {args.verb} here (only preview takes it)")
    main = project.get("main")
    entry = entry_point(directory, main if isinstance(main, str) else None)
    add_project_virtualenv(directory, project)

    # scripts/pulumi.sh links the built CLI under VIRTKIT_PULUMI_ROOT/bin; else the one on PATH.
    root = os.environ.get("VIRTKIT_PULUMI_ROOT") or None
    command = auto.PulumiCommand(root=root, skip_version_check=True)
    workspace = auto.LocalWorkspace(
        work_dir=directory, program=program(entry, directory, args.json), pulumi_command=command
    )
    stack_name = args.stack
    if not stack_name:
        current = workspace.stack()
        if current is None:
            raise UsageError(
                "no stack is selected; pass --stack NAME, or create one with "
                "`npm run pulumi -- stack init NAME`"
            )
        stack_name = current.name
    stack = auto.Stack.select(stack_name, workspace)

    method = getattr(stack, verb)
    wanted = {
        "color": args.color or "auto",
        "diff": args.diff,
        "message": args.message,
        "target": args.target,
        "parallel": args.parallel,
        "expect_no_changes": args.expect_no_changes,
        "refresh": args.refresh,
        # The CLI's own `preview --json`, streamed as it prints it.
        "json": args.json,
        "on_output": write_line(sys.stdout),
        "on_error": write_line(sys.stderr),
    }
    kwargs = options_for(method, args.verb, wanted)
    try:
        method(**kwargs)
    except auto.CommandError as e:
        # The CLI's stdout and stderr were streamed as they came: nothing more to print.
        raise Streamed() from e
    return 0


class Streamed(Exception):
    """The operation failed after its output was printed."""


def command_stderr(e: Exception) -> str:
    """The stderr of a CLI command that failed before anything was streamed (stack select)."""
    text = str(e)
    marker = "\n stderr: "
    return text.rsplit(marker, 1)[-1].strip() if marker in text else text.strip()


def main() -> int:
    try:
        return run(sys.argv[1:])
    except UsageError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except Streamed:
        return 1
    except auto.CommandError as e:
        sys.stderr.write(command_stderr(e) + "\n")
        return 1
    except Exception as e:  # noqa: BLE001 - any other failure is reported, not a traceback
        sys.stderr.write(f"error: {type(e).__name__}: {e}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
