"""The `owui-router` command: explain a decision, build the single-file function, and the
subcommands other modules provide (eval, install, uninstall)."""

import argparse
import json
import pathlib
import sys

from ..function.router import decide
from .build import DEFAULT_OUTPUT, build_source
from .options import load_valves, one_line


def _messages_from(args) -> list:
    if args.messages:
        data = json.loads(pathlib.Path(args.messages).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("messages", [])
        if not isinstance(data, list):
            raise ValueError(f"{args.messages}: expected a list of messages or an object with 'messages'")
        return data
    prompt = args.prompt
    if prompt is None or prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise ValueError("nothing to explain: the prompt is empty (give it as an argument, on stdin, or --messages FILE)")
    return [{"role": "user", "content": prompt}]


def cmd_explain(args) -> int:
    valves = load_valves(args.valves, args.set)
    decision = decide(_messages_from(args), valves, model_id=args.model)
    if args.json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(decision)
        print(f"status:     {decision.status_text()}")
    return 0


def cmd_build(args) -> int:
    source = build_source()
    output = pathlib.Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != source:
            print(f"{output} is out of date: run 'owui-router build'", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(source, encoding="utf-8")
    print(f"wrote {output} ({len(source.encode())} bytes)")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="owui-router", description="Automatic model routing for Open WebUI.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    explain = sub.add_parser("explain", help="print the routing decision for a prompt and its reasons")
    explain.add_argument("prompt", nargs="?", help="the prompt ('-' or nothing: read stdin)")
    explain.add_argument("--messages", metavar="FILE.json", help="a JSON list of OpenAI-format messages (or {messages: [...]})")
    explain.add_argument("--valves", metavar="JSON", help="valves as a JSON file or an inline JSON object")
    explain.add_argument("--set", action="append", metavar="KEY=VALUE", help="set one valve (repeatable)")
    explain.add_argument("--model", default=None, help="the model the user picked (default: not checked)")
    explain.add_argument("--json", action="store_true", help="print the decision as JSON")
    explain.set_defaults(func=cmd_explain)

    build = sub.add_parser("build", help="write the single-file Open WebUI function")
    build.add_argument("--output", "-o", default=str(DEFAULT_OUTPUT), help=f"where to write it (default {DEFAULT_OUTPUT})")
    build.add_argument("--check", action="store_true", help="only check that the file is up to date (exit 1 if not)")
    build.set_defaults(func=cmd_build)

    sub.add_parser("eval", help="score the router on a labeled JSONL corpus (see 'owui-router eval -h')", add_help=False)
    sub.add_parser("train", help="learn the scorer's weights from the labeled prompts (see 'owui-router train -h')", add_help=False)
    sub.add_parser("install", help="install the function into Open WebUI (see 'owui-router install -h')", add_help=False)
    sub.add_parser("uninstall", help="remove the function from Open WebUI", add_help=False)
    return top


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":
        from .evaluate import main as eval_main
        return eval_main(argv[1:])
    if argv and argv[0] == "train":
        from .train import main as train_main
        return train_main(argv[1:])
    if argv and argv[0] in ("install", "uninstall"):
        from .install import main as install_main
        return install_main(argv)
    args = parser().parse_args(argv)
    if not getattr(args, "func", None):
        parser().print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:  # `owui-router explain ... | head -1`: the reader has what it wanted
        _silence_stdout()
        return 0
    except (ValueError, OSError) as error:
        print(f"owui-router: {one_line(error)}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
