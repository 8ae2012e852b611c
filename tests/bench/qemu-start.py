#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
"""Host benchmark: how long real QEMU takes to start (until QMP answers
query-status) with SIZE of guest RAM preallocated (prealloc=on), for

  cold        memory-backend-ram: QEMU faults in (the kernel zeroes) every
              page
  pool        memory-backend-file,share=on on a file claimed from
              prezerod's warm pool with `prezeroctl pool claim`: the pages
              are there
  noprealloc  memory-backend-ram without prealloc: QEMU's start with no
              memory work at all (for scale; not the same work, so limit_s
              is null)

for each pool filesystem (tmpfs with huge=always, hugetlbfs with 2 MiB
pages). Each runs its own prezerod (BUILD/daemon/prezerod, no module
needed) with a private socket and a pool on a private mount, driven as
libvirt's hook drives it: `vm reserve --for VM` (the pool fills one SIZE
file on node 0), `pool claim --for VM` before QEMU starts (the
reservation is in use: no refill), `vm release VM` after QEMU quit and the
file was deleted (the pool fills again). Every run waits until the file
is ready and nothing fills, so no fill runs during a measurement.
ROUNDS rounds, the variants interleaved in rotating order; medians.
QEMU: -machine q35 -accel tcg -S (the vCPUs never run), no devices.

hugetlbfs: prezerod raises vm.nr_overcommit_hugepages; the values of
nr_hugepages and nr_overcommit_hugepages are put back afterwards, and the
mounts are removed. Needs root.

Prints one JSON object per pool filesystem on stdout (what "qemu-start",
backing, size_mib, cold_s, pool_s, limit_s (null), noprealloc_s,
cold_over_pool, pool_over_noprealloc, claim_s, rounds, kernel) and writes
them as an array to --out. Nothing is asserted about the times; exit 1 if
a step fails.

  tests/bench/qemu-start.py [--build-dir DIR] [--out FILE] [--size MIB]
                            [--rounds N] [--backings tmpfs,hugetlbfs-2M]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HUGE_SYSCTLS = ('/proc/sys/vm/nr_hugepages', '/proc/sys/vm/nr_overcommit_hugepages')
BACKINGS = ('tmpfs', 'hugetlbfs-2M')
VM = 'pz-bench-vm'


class BenchError(Exception):
    pass


def log(msg):
    print(f'qemu-start: {msg}', file=sys.stderr, flush=True)


class Daemon:
    """prezerod with a private config, socket and pool directory."""

    def __init__(self, build, work, pool_dir, size):
        self.prezerod = os.path.join(build, 'daemon', 'prezerod')
        self.ctl = os.path.join(build, 'client', 'prezeroctl')
        self.sock = os.path.join(work, 'prezerod.sock')
        self.conf = os.path.join(work, 'prezerod.conf')
        self.logf = os.path.join(work, 'prezerod.log')
        with open(self.conf, 'w', encoding='utf-8') as f:
            f.write(f'[daemon]\nsocket = {self.sock}\ninterval_ms = 250\n'
                    f'[pool]\ndir = {pool_dir}\ntarget = 0\n'
                    f'file_size = {size}\nfill_rate = 64G\n'
                    f'hugetlb_overcommit = yes\n'
                    f'state_file = {os.path.join(work, "pool.json")}\n')
        self.proc = None

    def start(self):
        with open(self.logf, 'w', encoding='utf-8') as out:
            self.proc = subprocess.Popen([self.prezerod, '-c', self.conf],
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f'prezerod exited with {self.proc.returncode}:\n'
                                 + self.log_tail())
            if self.status() is not None:
                return
            time.sleep(0.1)
        raise BenchError('prezerod does not answer status within 15 s')

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise BenchError('prezerod did not exit within 10 s of SIGTERM')

    def log_tail(self, n=20):
        with open(self.logf, encoding='utf-8', errors='replace') as f:
            return ''.join(f.readlines()[-n:])

    def ctl_run(self, *args):
        return subprocess.run([self.ctl, '--socket', self.sock, *args],
                              capture_output=True, text=True, check=False)

    def status(self):
        r = self.ctl_run('--json', 'status')
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def pool_node0(self):
        st = self.status()
        if st is None:
            raise BenchError('prezerod stopped answering status')
        return (st.get('nodes') or [{}])[0].get('pool'), st.get('pool')

    def ctl_ok(self, *args):
        r = self.ctl_run(*args)
        if r.returncode != 0:
            raise BenchError(f'prezeroctl {" ".join(args)} failed ({r.returncode}): '
                             f'{r.stderr.strip()}')
        return r

    def wait_ready(self, secs=120):
        """Until the reserved file is ready and the pool fills nothing."""
        deadline = time.monotonic() + secs
        while True:
            node, pool = self.pool_node0()
            resv = (pool or {}).get('reservations') or [{}]
            if node and node.get('state') == 'full' and resv[0].get('state') == 'ready':
                return
            if time.monotonic() >= deadline:
                raise BenchError(f'the pool is not ready within {secs} s: node 0 {node}, '
                                 f'pool {pool}\n' + self.log_tail())
            time.sleep(0.25)

    def claim(self, size, path):
        t0 = time.monotonic()
        self.ctl_ok('pool', 'claim', '--node', '0', '--size', str(size),
                    '--to', path, '--for', VM)
        t1 = time.monotonic()
        st = os.stat(path)
        if st.st_size != size or st.st_blocks * 512 < size:
            raise BenchError(f'claimed {path}: size {st.st_size}, '
                             f'{st.st_blocks * 512} bytes populated, want {size}')
        return t1 - t0


def qmp_line(f):
    """The next QMP reply line (events skipped)."""
    while True:
        line = f.readline()
        if not line:
            raise BenchError('QEMU closed the QMP socket')
        msg = json.loads(line)
        if 'event' not in msg:
            return msg


def qemu_start(work, size, backend):
    """Seconds from exec to QMP's answer to query-status; QEMU is quit."""
    qsock = os.path.join(work, 'qmp.sock')
    if os.path.exists(qsock):
        os.unlink(qsock)
    cmd = ['qemu-system-x86_64', '-nodefaults', '-display', 'none',
           '-serial', 'none', '-monitor', 'none', '-S', '-accel', 'tcg',
           '-machine', 'q35,memory-backend=ram0', '-m', f'{size >> 20}M',
           '-object', backend, '-qmp', f'unix:{qsock},server=on,wait=off']
    errf = os.path.join(work, 'qemu.err')
    with open(errf, 'w', encoding='utf-8') as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                s.connect(qsock)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if proc.poll() is not None:
                    with open(errf, encoding='utf-8', errors='replace') as e:
                        raise BenchError(f'QEMU exited with {proc.returncode}: '
                                         f'{e.read().strip()}') from None
                if time.monotonic() - t0 > 300:
                    raise BenchError('QEMU did not open QMP within 300 s') from None
                time.sleep(0.001)
        with s, s.makefile('rw', encoding='utf-8') as f:
            if 'QMP' not in qmp_line(f):
                raise BenchError('no QMP greeting')
            for c in ('qmp_capabilities', 'query-status'):
                f.write(json.dumps({'execute': c}) + '\n')
                f.flush()
                reply = qmp_line(f)
                if 'return' not in reply:
                    raise BenchError(f'QMP {c}: {reply}')
            t1 = time.monotonic()
            if reply['return'].get('status') != 'prelaunch':
                raise BenchError(f'query-status: {reply}')
            f.write(json.dumps({'execute': 'quit'}) + '\n')
            f.flush()
            # until QEMU closes the socket: closing first could lose the quit
            s.settimeout(30)
            try:
                while f.readline():
                    pass
            except ConnectionResetError:
                pass
        proc.wait(30)
        return t1 - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_backing(args, backing, root):
    size = args.size << 20
    work = tempfile.mkdtemp(prefix=f'{backing}.', dir=root)
    mnt = os.path.join(work, 'mnt')
    os.mkdir(mnt)
    if backing == 'tmpfs':
        mount = ['mount', '-t', 'tmpfs', '-o', f'huge=always,size={3 * size}',
                 'pz-bench', mnt]
    else:
        mount = ['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2M', 'pz-bench', mnt]
    r = subprocess.run(mount, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        # e.g. a kernel without hugetlbfs or THP: no row, said so
        log(f'{backing}: not measured: {" ".join(mount)}: {r.stderr.strip()}')
        return None
    saved = {}
    for p in HUGE_SYSCTLS:
        with open(p, encoding='ascii') as f:
            saved[p] = f.read()
    daemon = Daemon(args.build_dir, work, os.path.join(mnt, 'pool'), size)
    times = {'cold': [], 'pool': [], 'noprealloc': [], 'claim': []}
    try:
        daemon.start()
        daemon.ctl_ok('vm', 'reserve', '--node', '0', '--size', str(size), '--for', VM)
        daemon.wait_ready()
        log(f'{backing}: pool ready')
        orders = (('cold', 'pool', 'noprealloc'), ('pool', 'noprealloc', 'cold'),
                  ('noprealloc', 'cold', 'pool'))
        for rnd in range(args.rounds):
            for v in orders[rnd % 3]:
                # no fill next to a measurement
                daemon.wait_ready()
                if v == 'pool':
                    vm = os.path.join(mnt, f'vm-{rnd}')
                    times['claim'].append(daemon.claim(size, vm))
                    obj = (f'memory-backend-file,id=ram0,size={size},'
                           f'mem-path={vm},share=on,prealloc=on')
                else:
                    obj = (f'memory-backend-ram,id=ram0,size={size},'
                           f'prealloc={"on" if v == "cold" else "off"}')
                try:
                    t = qemu_start(work, size, obj)
                finally:
                    if v == 'pool':
                        os.unlink(vm)
                if v == 'pool':
                    daemon.ctl_ok('vm', 'release', VM)
                times[v].append(t)
                log(f'{backing} round {rnd + 1} {v}: {t:.3f} s')
        daemon.ctl_ok('vm', 'unreserve', '--for', VM)
        daemon.stop()
    finally:
        daemon.stop()
        shutil.rmtree(os.path.join(mnt, 'pool'), ignore_errors=True)
        subprocess.run(['umount', mnt], check=False)
        for p, v in saved.items():
            with open(p, 'w', encoding='ascii') as f:
                f.write(v)
    med = {k: statistics.median_low(v) for k, v in times.items()}
    return {'what': 'qemu-start', 'backing': backing, 'size_mib': args.size,
            'cold_s': round(med['cold'], 4), 'pool_s': round(med['pool'], 4),
            'limit_s': None, 'noprealloc_s': round(med['noprealloc'], 4),
            'cold_over_pool': round(med['cold'] / med['pool'], 1),
            'pool_over_noprealloc': round(med['pool'] / med['noprealloc'], 2),
            'claim_s': round(med['claim'], 3), 'rounds': args.rounds,
            'kernel': os.uname().release}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build-dir', default='build')
    ap.add_argument('--out', help='write the results here (JSON array)')
    ap.add_argument('--size', type=int, default=4096, help='guest MiB (default 4096)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--backings', default=','.join(BACKINGS))
    args = ap.parse_args()
    backings = args.backings.split(',')
    bad = [b for b in backings if b not in BACKINGS]
    if bad or args.size < 2 or args.size % 2 or args.rounds < 1:
        ap.error(f'backings from {BACKINGS}, --size an even number of MiB, --rounds >= 1')
    if os.geteuid() != 0:
        ap.error('needs root (mounts, the pool, vm.nr_overcommit_hugepages)')
    args.build_dir = os.path.realpath(args.build_dir)
    results = []
    root = tempfile.mkdtemp(prefix='pz-qemu-start.')
    try:
        for b in backings:
            res = run_backing(args, b, root)
            if res:
                results.append(res)
                print(json.dumps(res), flush=True)
    except (BenchError, subprocess.CalledProcessError, OSError) as e:
        log(f'error: {e}')
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if not results:
        log('error: no pool filesystem could be measured')
        return 1
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
            f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
