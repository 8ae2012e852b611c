#!/usr/bin/python3
"""Print the VM bench results (a JSON array from tests/vm/run.sh --bench) as
tables, one per kind of measurement. Exit 1 if the file holds no result."""
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


def main(path):
    with open(path, encoding='utf-8') as f:
        results = json.load(f)
    if not results:
        print(f'{path}: no bench results', file=sys.stderr)
        return 1
    for what, cols in COLUMNS.items():
        rows = [r for r in results if r.get('what') == what]
        if rows:
            print(f'# {what} ({path})')
            table(rows, cols)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
