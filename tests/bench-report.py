#!/usr/bin/python3
"""Print bench results (JSON arrays from tests/vm/run.sh --bench,
tests/bench/qemu-start.py, tests/system/run.sh and tests/xen/run.sh) as tables, one per kind of measurement.

  bench-report.py [-o OUT] FILE...

With -o, also write all the results of the FILEs as one array to OUT
(how make bench puts build/bench/vm-start.json together). Exit 1 if the
files hold no result."""
import argparse
import json
import sys

COLUMNS = {
    'zeroing': [
        ('kernel', 'kernel', '{}'),
        ('module_gib_per_s', 'module GiB/s', '{:.2f}'),
        ('memset_gib_per_s', 'memset GiB/s', '{:.2f}'),
        ('ratio', 'module/memset', '{:.0%}'),
        ('module_cpu_s_per_gib', 'module CPU s/GiB', '{:.3f}'),
        ('memset_cpu_s_per_gib', 'memset CPU s/GiB', '{:.3f}'),
        ('scrub_wall_gib_per_s', 'scrub wall GiB/s', '{:.2f}'),
    ],
    'corunner': [
        ('kernel', 'kernel', '{}'),
        ('cpu_slowdown_pct', 'CPU slowdown %', '{:+.1f}'),
        ('mem_slowdown_pct', 'mem slowdown %', '{:+.1f}'),
        ('cpu_policy_slowdown_pct', 'CPU (policy) %', '{:+.1f}'),
        ('mem_policy_slowdown_pct', 'mem (policy) %', '{:+.1f}'),
        ('cpu_s_base', 'CPU s base', '{:.2f}'),
        ('cpu_s_full', 'CPU s full', '{:.2f}'),
        ('mem_s_base', 'mem s base', '{:.2f}'),
        ('mem_s_full', 'mem s full', '{:.2f}'),
        ('zeroing_busy_pct', 'zeroing busy %', '{:.0f}'),
        ('zeroed_mib_per_run', 'MiB zeroed/run', '{:.0f}'),
    ],
    'vfio-map': [
        ('kernel', 'kernel', '{}'),
        ('backing', 'pool on', '{}'),
        ('size_mib', 'MiB', '{}'),
        ('cold_s', 'cold s', '{:.3f}'),
        ('pool_s', 'pool s', '{:.3f}'),
        ('limit_s', 'limit s', '{:.3f}'),
        ('cold_over_pool', 'cold/pool', '{:.1f}x'),
        ('pool_over_limit', 'pool/limit', '{:.2f}x'),
        ('claim_s', 'claim s', '{:.3f}'),
        ('cold_huge_pct', 'huge % cold', '{:.0f}'),
        ('pool_huge_pct', 'huge % pool', '{:.0f}'),
    ],
    'qemu-start': [
        ('kernel', 'host kernel', '{}'),
        ('backing', 'pool on', '{}'),
        ('size_mib', 'MiB', '{}'),
        ('cold_s', 'cold s', '{:.3f}'),
        ('pool_s', 'pool s', '{:.3f}'),
        ('limit_s', 'limit s', '{:.3f}'),
        ('noprealloc_s', 'no-prealloc s', '{:.3f}'),
        ('cold_over_pool', 'cold/pool', '{:.1f}x'),
        ('claim_s', 'claim s', '{:.3f}'),
    ],
    'virsh-start': [
        ('kernel', 'guest kernel', '{}'),
        ('vm_mib', 'MiB', '{}'),
        ('rounds', 'rounds', '{}'),
        ('cold_s', 'cold s', '{:.2f}'),
        ('pool_s', 'pool s', '{:.2f}'),
        ('cold_over_pool', 'cold/pool', '{:.2f}x'),
    ],
    'xen': [
        ('guest', 'guest', '{}'),
        ('type', 'type', '{}'),
        ('scan_frames_per_s', 'scan frames/s', '{:.0f}'),
        ('query_scan_frames_per_s', 'hvm_scan=query frames/s', '{:.0f}'),
        ('dump_bytes_without_list', 'dump bytes w/o list', '{}'),
        ('dump_bytes_with_list', 'dump bytes with list', '{}'),
        ('dump_ms_without_list', 'ms w/o list', '{:.0f}'),
        ('dump_ms_with_list', 'ms with list', '{:.0f}'),
    ],
}


def table(rows, cols):
    cells = [[h for _, h, _ in cols]]
    for r in rows:
        cells.append([fmt.format(r[k]) if r.get(k) is not None else '-'
                      for k, _, fmt in cols])
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    for c in cells:
        print('  '.join(v.rjust(w) if i else v.ljust(w)
                        for i, (v, w) in enumerate(zip(c, widths))))


def main():
    ap = argparse.ArgumentParser(description='Print bench results as tables.')
    ap.add_argument('-o', '--out', help='also write all results here')
    ap.add_argument('files', nargs='+')
    args = ap.parse_args()
    results = []
    for path in args.files:
        with open(path, encoding='utf-8') as f:
            results += json.load(f)
    src = ', '.join(args.files)
    if not results:
        print(f'{src}: no bench results', file=sys.stderr)
        return 1
    for what, cols in COLUMNS.items():
        rows = [r for r in results if r.get('what') == what]
        if rows:
            print(f'# {what} ({args.out or src})')
            table(rows, cols)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
            f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
