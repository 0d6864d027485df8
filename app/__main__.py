"""`python -m app --data-dir DIR [--port 8050] [--host 127.0.0.1] [--debug]`: serve the dashboard."""
from __future__ import annotations

import argparse
import os
import sys

from app.server import DATA_DIR_ENV, create_app


def port_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app", description="Serve the Neuron Lens dashboard for the runs in DATA_DIR/runs.")
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV, "data"),
                        help="folder holding runs/ (default: $NEURON_LENS_DATA_DIR or ./data)")
    parser.add_argument("--port", type=port_number, default=8050, help="default 8050")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--debug", action="store_true",
                        help="Dash debug mode: tracebacks in the browser; never on a shared server")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:  # python -m app report RUN_ID -o report.html
        from app import report
        return report.main(argv[1:])
    args = parse_args(argv)
    app = create_app(args.data_dir)
    print(f"Neuron Lens: http://{args.host}:{args.port}/  (runs from {args.data_dir}/runs)",
          file=sys.stderr, flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
