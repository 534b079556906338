"""`python -m benchmarks`: the index benchmark, then the FetchHashes walk (what `make bench` runs).

python -m benchmarks                                # 1M and 10M hashes; a 1M-hash walk
python -m benchmarks --sizes 100000 --rows 100000   # a quick run"""

import argparse
import sys

from benchmarks import fetch_bench, index_bench


def main() -> int:
    parser = argparse.ArgumentParser(description="NCII Hub benchmarks")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000], help="index bank sizes")
    parser.add_argument("--rows", type=int, default=1_000_000, help="bank size of the FetchHashes walk")
    args = parser.parse_args()
    index_status = index_bench.main(["--sizes", *map(str, args.sizes)])
    print(flush=True)
    fetch_status = fetch_bench.main(["--rows", str(args.rows)])
    return index_status or fetch_status


if __name__ == "__main__":
    sys.exit(main())
