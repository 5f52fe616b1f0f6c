#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse test-machine serial logs and decide pass or fail.

results.py [-v] [--allow FILE] MACHINE:LIST:LOG [MACHINE:LIST:LOG ...]

For each machine it reports KUnit cases (KTAP in the kernel log), every
selftest in LIST (exit status, kselftest TAP subtests, timeouts), and the
kernel-log check: any WARN, BUG, Oops, lockdep or KASAN/KFENCE report is a
failure unless a line of the allow-list explains it.  A listed test that
skips, times out or never ran is a failure: the lists name only tests that
must run on that machine.  A test that prints a "guest-visible digest" on
more than one machine is cross-checked: the digests must be equal.  It
also prints what each machine ran with (its VSM-PARAM and VSM-MSR lines)
and the numbers the VSM *_perf_test programs printed, which are reported, not
judged.  Ends with "N passed, N failed, N skipped" and exits non-zero on
any failure.
"""
import argparse
import re
import sys

KSFT_SKIP = 4
# What each runner exists for: the vendor module it must bring up.
MACHINE_FACTS = {
    'qemu': ['kvm_amd.npt=Y', 'kvm.tdp_mmu=Y'],
    'qemu-shadow-mmu': ['kvm_amd.npt=Y', 'kvm.tdp_mmu=N'],
    'bochs': ['kvm_intel.ept=Y', 'kvm_intel.enable_apicv=Y',
              'kvm_intel.spp=Y'],
    'bochs-sw': ['kvm_intel.ept=Y', 'kvm_intel.spp=N'],
    'bochs-ryzen': ['kvm_amd.npt=Y', 'kvm.tdp_mmu=Y'],
}
# The VSM tests and programs (the suite they are reported in), and the VSM
# benchmarks, whose output is reported; TAP and seeds are not.
VSM_TEST = re.compile(r'^vsm/|hyperv_vsm')
VSM_PERF = re.compile(r'hyperv_vsm_\w*_perf_test')
NOT_NUMBERS = re.compile(r'^(#|ok |not ok |1\.\.|Random seed:)')
DIGEST = re.compile(r'^# guest-visible digest: ([0-9a-f]+)$', re.M)
TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
# What the kernel prints when something is wrong.
BAD = re.compile(r'------------\[ cut here \]------------|WARNING:|'
                 r'BUG:|Oops|kernel BUG|general protection fault|'
                 r'Kernel panic|possible recursive locking|'
                 r'possible circular locking|inconsistent lock state|'
                 r'suspicious RCU usage|'
                 r'KASAN:|KFENCE:|UBSAN:|hung_task|soft lockup|'
                 r'Call Trace:')


def load_allow(path):
    """Lines "machine<TAB>regex<TAB>reason"; the reason is mandatory."""
    rules = []
    if not path:
        return rules
    for line in open(path):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        machine, regex, reason = line.split('\t', 2)
        if not reason.strip():
            sys.exit('allow-list rule without a reason: ' + line)
        rules.append((machine, re.compile(regex)))
    return rules


def read_list(path):
    tests = []
    for line in open(path):
        f = line.split()
        if f and not f[0].startswith('#'):
            # As harness/init labels a run: NAME, or NAME[ARGS] with '_'.
            label = f[0] + ('[%s]' % '_'.join(f[2:]) if f[2:] else '')
            tests.append((label, int(f[1])))
    return tests


class Machine:
    def __init__(self, name, listfile, logfile, allow):
        self.name = name
        self.expected = read_list(listfile)
        self.log = open(logfile, errors='replace').read().replace('\r', '')
        self.allow = [r for m, r in allow if m in (name, '*')]
        self.rows = []          # (suite, test, verdict, detail)
        self.digests = {}       # test label -> guest-visible digest
        self.numbers = []       # what the *_perf_test programs printed

    def add(self, suite, test, verdict, detail=''):
        self.rows.append((suite, test, verdict, detail))

    def dmesg(self):
        """The kernel log: the dump /init makes at the end, plus whatever
        the console printed after it (the power-off path).  No dump means
        the machine died early: then the whole console is all there is."""
        m = re.search(r'VSM-DMESG-BEGIN\n(.*?)VSM-DMESG-END(.*)', self.log, re.S)
        if not m:
            return self.log.splitlines()
        # A machine that stalled and was booted again (run-bochs.sh): what
        # the first boot printed counts too.
        before = self.log.split('\nVSM-STALL', 1)[0] if self.stalls() else ''
        before = re.sub(r'VSM-TEST-BEGIN .*?VSM-TEST-END [^\n]*\n', '',
                        before, flags=re.S)
        return (before + m.group(1) + m.group(2)).splitlines()

    def stalls(self):
        return re.findall(r'^VSM-STALL ?(.*)$', self.log, re.M)

    def parse_kunit(self, lines):
        """KTAP: "    # Subtest: <suite>", then "    ok N <case>" per case,
        then "ok N <suite>".  Every suite in the top-level plan must report:
        a suite that crashed, or output lost, is a failure."""
        suite = None
        planned = reported = 0
        for raw in lines:
            line = TS.sub('', raw)
            m = re.match(r'^1\.\.(\d+)$', line)
            if m:
                planned += int(m.group(1))
            m = re.match(r'^    # Subtest: (\S+)', line)
            if m:
                suite = m.group(1)
                continue
            m = re.match(r'^    (not ok|ok) \d+ (\S+)(?: # (SKIP.*))?', line)
            if m and suite:
                verdict = ('skip' if m.group(3) else
                           'pass' if m.group(1) == 'ok' else 'fail')
                self.add('kunit', suite + '.' + m.group(2), verdict,
                         m.group(3) or '')
            elif re.match(r'^(not ok|ok) \d+ ', line):
                reported += 1
                if line.startswith('not ok'):
                    self.add('kunit', line.split()[3], 'fail', 'suite failed')
                suite = None
        if reported != planned:
            self.add('kunit', 'all suites report', 'fail',
                     '%d of %d planned suites reported' % (reported, planned))

    def parse_selftests(self):
        runs = {}
        for m in re.finditer(r'VSM-TEST-BEGIN (\S+)\n(.*?)'
                             r'VSM-TEST-END \1 rc=(\d+) start=(\S+) end=(\S+)',
                             self.log, re.S):
            runs[m.group(1)] = (m.group(2), int(m.group(3)),
                                float(m.group(5)) - float(m.group(4)))
        started = dict(re.findall(r'^VSM-TEST-START (\S+) start=(\S+)$',
                                  self.log, re.M))
        for name, tmo in self.expected:
            suite = 'vsm' if VSM_TEST.search(name) else 'selftests'
            if name not in runs:
                self.add(suite, name, 'fail',
                         'started at %ss of uptime, never finished: the '
                         'machine hung or ran out of time' % started[name]
                         if name in started else
                         'did not run (machine died?)')
                continue
            out, rc, secs = runs[name]
            if VSM_PERF.search(name):
                self.numbers += [name + ': ' + line
                                 for line in out.splitlines()
                                 if line.strip() and not NOT_NUMBERS.match(line)]
            digest = DIGEST.findall(out)
            if digest:
                self.digests[name] = digest[-1]
            bad_sub = re.findall(r'^not ok \d+ .*$', out, re.M)
            bad_sub = [s for s in bad_sub if '# SKIP' not in s]
            detail = '%.1fs' % secs
            if rc == 137 and secs >= tmo - 1:
                self.add(suite, name, 'fail', 'timed out after %ds' % tmo)
            elif rc == KSFT_SKIP:
                reason = re.findall(r'^(?:ok \d+ .*# SKIP.*|.*[Ss]kip.*)$',
                                    out, re.M)
                self.add(suite, name, 'fail', 'skipped but must run: ' +
                         (reason[-1].strip() if reason else 'rc=4'))
            elif rc != 0 or bad_sub:
                last = [line for line in out.splitlines() if line.strip()]
                why = bad_sub[0] if bad_sub else (last[-1] if last else '')
                self.add(suite, name, 'fail', 'rc=%d %s%s' %
                         (rc, why[:160], assertion(out)))
            else:
                self.add(suite, name, 'pass', detail)

    def check_kernel_log(self, lines):
        """A WARN is a block from "cut here" to "end trace": the allow-list
        is matched against the block's first bad line, and an allowed
        block is skipped whole.  Other lines are judged one by one."""
        bad = []
        block = None
        for raw in lines:
            line = TS.sub('', raw).strip()
            if block is not None:
                block.append(line)
                if line.startswith('---[ end trace'):
                    self.judge(block, bad)
                    block = None
                continue
            if 'cut here' in line:
                block = [line]
            elif BAD.search(line):
                self.judge([line], bad)
        if block:
            self.judge(block, bad)
        if 'VSM-DONE' not in self.log:
            bad.insert(0, 'the run did not finish (no VSM-DONE marker)')
        boots = len(re.findall(r'^VSM-BOOTED', self.log, re.M))
        if boots != 1 + len(self.stalls()):
            bad.insert(0, 'the machine booted %d times' % boots)
        self.add('kernel-log', 'no WARN/BUG/Oops/lockdep/KASAN/KFENCE',
                 'fail' if bad else 'pass', '; '.join(bad[:3]))

    def judge(self, block, bad):
        first = next((ln for ln in block if BAD.search(ln) and
                      'cut here' not in ln), block[0])
        if not any(r.search(first) for r in self.allow):
            bad.append(first)

    def check_machine(self):
        for fact in MACHINE_FACTS.get(self.name, []):
            ok = re.search(r'^VSM-PARAM ' + re.escape(fact) + '$', self.log, re.M)
            self.add('machine', fact, 'pass' if ok else 'fail',
                     '' if ok else 'the vendor module is not up as expected')

    def describe(self):
        facts = re.findall(r'^VSM-(?:PARAM|MSR) (.*)$', self.log, re.M)
        print('%s machine: %s' % (self.name, ' '.join(facts)))
        for running in self.stalls():
            print('%s: the emulator stalled (no output for minutes) while '
                  'running %s, and was booted again for the tests left' %
                  (self.name, running or 'no test'))
        for line in self.numbers:
            print('%s: %s' % (self.name, line))

    def run(self):
        self.check_machine()
        lines = self.dmesg()
        self.parse_kunit(lines)
        self.parse_selftests()
        self.check_kernel_log(lines)
        return self.rows


def assertion(out):
    """The first failed assertion of a selftest's output: where, and why.

    CI shows only this report, so a failure there must be readable from it.
    """
    m = re.search(r'^==== Test Assertion Failure ====\n'
                  r'((?:(?!#|ok |not ok ).*\n)*)', out, re.M)
    if not m:
        return ''
    keep = [line.strip() for line in m.group(1).splitlines()
            if line.strip() and
            not re.match(r'^\s*(\d+\s+0x|pid=|sh: addr2line)', line)]
    return ''.join('\n         ' + line[:160] for line in keep[:8])


def cross_check(machines):
    """Rows for the tests that printed a digest on several machines."""
    rows = []
    labels = sorted({t for m in machines for t in m.digests})
    for label in labels:
        seen = [(m.name, m.digests[label]) for m in machines
                if label in m.digests]
        if len(seen) < 2:
            continue
        same = len({d for _, d in seen}) == 1
        rows.append(('cross-check', label, 'pass' if same else 'fail',
                     ' '.join('%s=%s' % s for s in seen)))
    return rows


def report(name, rows, total, verbose):
    suites = {}
    for suite, test, verdict, detail in rows:
        suites.setdefault(suite, []).append((test, verdict, detail))
        total[verdict] += 1
    for suite, tests in suites.items():
        counts = {v: sum(1 for t in tests if t[1] == v)
                  for v in ('pass', 'fail', 'skip')}
        print('%s/%s: %d passed, %d failed, %d skipped' %
              (name, suite, counts['pass'], counts['fail'], counts['skip']))
        for test, verdict, detail in tests:
            if verdict != 'pass' or verbose or suite == 'cross-check':
                print('  %-4s %s %s' % (verdict.upper(), test, detail))


def main():
    ap = argparse.ArgumentParser(description='Judge test-machine logs.')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='list passing tests too')
    ap.add_argument('--allow', help='allow-list of kernel-log lines')
    ap.add_argument('specs', nargs='+', metavar='MACHINE:LIST:LOG')
    args = ap.parse_args()
    allow = load_allow(args.allow)
    total = {'pass': 0, 'fail': 0, 'skip': 0}
    machines = []
    for spec in args.specs:
        name, listfile, logfile = spec.split(':', 2)
        machine = Machine(name, listfile, logfile, allow)
        rows = machine.run()
        machine.describe()
        report(name, rows, total, args.verbose)
        machines.append(machine)
    report('all', cross_check(machines), total, args.verbose)
    print('%d passed, %d failed, %d skipped' %
          (total['pass'], total['fail'], total['skip']))
    return 1 if total['fail'] or not (total['pass']) else 0


if __name__ == '__main__':
    sys.exit(main())
