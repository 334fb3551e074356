"""Run every benchmark, or the ones named: `python -m bench [catalog ...]`."""

import importlib
import sys

BENCHMARKS = ["catalog", "checkout", "csv_order"]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
