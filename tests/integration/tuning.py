"""`tessel tune` and tuning records: what survives a kill, a second tuner, a bad candidate, and
which compiles use the records.

    tuning.py --tessel BUILD/tools/tessel --work-dir DIR

On two small generated models that share their first layer:
- a tuner killed with SIGKILL keeps every committed batch (the database stays intact) and
  leaves no file in its TMPDIR, and the same command again finishes the requested trials;
- two tuners writing one database at once both finish, and every record is whole;
- a candidate is timed beside the default schedule, so a worker twice as slow (injected)
  measures twice the time and the same ratio to the default, and the records' times are that
  ratio times the default schedule's time the database keeps for the workload (its anchor);
- a candidate that crashes, hangs or computes a wrong output is recorded as such and the tuner
  goes on (faults injected with TESSEL_MEASURE_FAULTS), also with two workers building at once
  (--jobs 2), where the fault costs its own candidate and no other;
- `tessel db top` lists each workload's fastest record as `db list` counts it, and the N
  fastest of one workload as the database holds them;
- the model check at the end of a tune sets aside a record whose claimed time its schedule
  does not reach inside the model, and compiles then take the default schedule for it;
- `tessel bench --against-defaults` compares the records a compile takes with the default
  schedules: such a record, before the check, shows as slower;
- a compile for this machine uses the records, one for another CPU does not, and a second model
  that shares a layer with the tuned one uses that layer's record.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
    return condition


def conv(name, x, weights, channels_in, channels_out, kernel, rng, nodes, initializers):
    w = rng.standard_normal((channels_out, channels_in, kernel, kernel)).astype(np.float32) * 0.1
    initializers.append(numpy_helper.from_array(w, f"{name}_w"))
    nodes.append(helper.make_node("Conv", [x, f"{name}_w"], [f"{name}_y"], name=name,
                                  pads=[kernel // 2] * 4))
    nodes.append(helper.make_node("Relu", [f"{name}_y"], [f"{name}_r"], name=f"{name}_relu"))
    return f"{name}_r"


def write_model(path, tail_channels, tail_kernel, seed):
    """Conv 3x3 8->16 + ReLU (the shared layer), then a conv of its own + ReLU."""
    rng = np.random.default_rng(seed)
    nodes, initializers = [], []
    x = conv("head", "x", None, 8, 16, 3, rng, nodes, initializers)
    y = conv("tail", x, None, 16, tail_channels, tail_kernel, rng, nodes, initializers)
    graph = helper.make_graph(
        nodes, "tuning_test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 28, 28])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, tail_channels, 28, 28])],
        initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def tessel(args, env=None, **kwargs):
    return subprocess.run([ARGS.tessel, *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env, **kwargs)


def records(db):
    connection = sqlite3.connect(db, timeout=30)
    rows = connection.execute("SELECT trace, seconds, error FROM records").fetchall()
    intact = connection.execute("PRAGMA integrity_check").fetchone()[0]
    connection.close()
    return rows, intact


def kill_and_resume(model, db):
    # Without the model check, which may set aside a record that the last test expects used.
    command = [ARGS.tessel, "tune", model, "--records", db, "--trials", "1000",
               "--no-model-check"]
    scratch = pathlib.Path(db).with_suffix(".tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.time() + 300
    committed = 0
    seen = set()  # files in the tuner's TMPDIR while it runs
    while time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
        seen.update(os.listdir(scratch))
        if os.path.exists(db):
            try:
                committed = len(records(db)[0])
            except sqlite3.OperationalError:
                continue
            if committed >= 16:
                break
    process.send_signal(signal.SIGKILL)
    process.wait()
    rows, intact = records(db)
    check(intact == "ok", f"after SIGKILL the database is not intact: {intact}")
    check(len(rows) >= committed >= 16,
          f"after SIGKILL {len(rows)} records, {committed} were committed before")
    seen.update(os.listdir(scratch))
    check(not seen, f"the tuner left files in its TMPDIR, where SIGKILL would leave them: {seen}")
    report = pathlib.Path(db).with_suffix(".html")
    result = tessel(["tune", model, "--records", db, "--trials", 40, "--report", report,
                     "--no-model-check"])
    check(result.returncode == 0, f"the rerun failed:\n{result.stderr}")
    html = report.read_text() if report.exists() else ""
    check("<svg" in html and "tsl_k0_conv_relu" in html and "40 trials" in html,
          f"the tuning report lacks its charts or kernels:\n{html[:500]}")
    again = pathlib.Path(db).with_suffix(".again.html")
    result = tessel(["db", "report", db, "-o", again])
    check(result.returncode == 0 and again.exists() and again.read_text() == html,
          f"tessel db report differs from tune --report:\n{result.stderr}")
    rows, _ = records(db)
    check(len(rows) == max(40, committed),
          f"the rerun asked for 40 trials in all and left {len(rows)} records")


def timed_beside_the_default(db):
    """The worker (`tessel tune-worker`, spoken to directly) times a candidate beside the default
    schedule: made twice as slow (the "slow" fault), both times double and their ratio holds.
    The tuner records each time as that ratio times the workload's anchor: the default
    schedule's own record is its anchor within noise."""
    connection = sqlite3.connect(db, timeout=30)
    text, target, trace = connection.execute(
        "SELECT w.text, t.key, r.trace FROM records r JOIN workloads w ON w.id = r.workload "
        "JOIN targets t ON t.id = r.target ORDER BY r.id LIMIT 1").fetchone()
    anchored = connection.execute(
        "SELECT a.seconds, (SELECT r.seconds FROM records r WHERE r.workload = a.workload AND "
        "r.target = a.target ORDER BY r.id LIMIT 1) FROM anchors a").fetchall()
    workloads = connection.execute("SELECT count(DISTINCT workload) FROM records").fetchone()[0]
    connection.close()
    check(len(anchored) == workloads
          and all(0.8 < first / anchor < 1.25 for anchor, first in anchored),
          f"{workloads} workloads; their anchors and default schedules' records: {anchored}")
    worker = subprocess.Popen([ARGS.tessel, "tune-worker"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    header = {"workload": text, "target": target, "min_seconds": 0.2, "timeout": 30}
    answers = []
    try:
        worker.stdin.write(json.dumps(header) + "\n")
        worker.stdin.flush()
        ready = json.loads(worker.stdout.readline())
        for fault in (None, "slow", None, "slow"):
            worker.stdin.write(json.dumps(json.loads(trace)) + "\n")
            worker.stdin.flush()
            built = json.loads(worker.stdout.readline())
            run = {"run": True, **({"fault": fault} if fault else {})}
            worker.stdin.write(json.dumps(run) + "\n")
            worker.stdin.flush()
            answers.append((built, json.loads(worker.stdout.readline())))
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
    if not check(ready == {"ready": True} and all(b.get("built") for b, _ in answers)
                 and all("default_seconds" in a for _, a in answers),
                 f"tune-worker: {ready}, {answers}"):
        return
    normal = [a for i, (_, a) in enumerate(answers) if i % 2 == 0]
    slow = [a for i, (_, a) in enumerate(answers) if i % 2 == 1]
    ratio = lambda a: a["seconds"] / a["default_seconds"]
    check(min(s["seconds"] for s in slow) > 1.5 * max(n["seconds"] for n in normal)
          and all(0.8 < ratio(s) / ratio(n) < 1.25 for s in slow for n in normal),
          f"timed beside the default schedule, normal: {normal}, twice as slow: {slow}")


def two_tuners(model, db):
    command = ["tune", model, "--records", db, "--trials", 48]
    first = subprocess.Popen([ARGS.tessel, *map(str, command), "--seed", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen([ARGS.tessel, *map(str, command), "--seed", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for process in (first, second):
        _, stderr = process.communicate(timeout=600)
        check(process.returncode == 0, f"one of two tuners on one database failed:\n{stderr}")
    rows, intact = records(db)
    check(intact == "ok", f"two tuners left the database not intact: {intact}")
    check(len(rows) >= 48, f"two tuners asked for 48 trials and left {len(rows)} records")
    check(all(trace.startswith("{") and (seconds is not None or error) for trace, seconds, error
              in rows), "a record is not whole after two tuners")


def faults(model, work):
    for fault, kind, extra in (("crash@1", "run", []), ("hang@1", "timeout", ["--timeout", "2s"]),
                               ("wrong@1", "wrong", [])):
        db = work / f"fault-{kind}.db"
        env = dict(os.environ, TESSEL_MEASURE_FAULTS=fault)
        result = tessel(["tune", model, "--records", db, "--trials", 4, *extra], env=env)
        if not check(result.returncode == 0, f"{fault}: the tuner failed:\n{result.stderr}"):
            continue
        rows, _ = records(db)
        check(len(rows) == 4, f"{fault}: {len(rows)} records, not 4")
        check(any(error == kind for _, _, error in rows),
              f"{fault}: no record of error '{kind}' in {[error for _, _, error in rows]}")


def faults_with_jobs(model, work):
    """Two workers: the 1st candidate (built beside the 2nd) crashes, the 3rd hangs and the 6th
    computes a wrong output; every other candidate is measured."""
    db = work / "fault-jobs.db"
    env = dict(os.environ, TESSEL_MEASURE_FAULTS="crash@1,hang@3,wrong@6")
    result = tessel(["tune", model, "--records", db, "--trials", 8, "--jobs", 2, "--timeout", "5s"],
                    env=env)
    if not check(result.returncode == 0,
                 f"--jobs 2 with faults: the tuner failed:\n{result.stderr}"):
        return
    rows, intact = records(db)
    check(intact == "ok", f"--jobs 2 with faults: the database is not intact: {intact}")
    check(len(rows) == 8, f"--jobs 2 with faults: {len(rows)} records, not 8")
    errors = sorted(error for _, _, error in rows if error)
    check(errors == ["run", "timeout", "wrong"],
          f"--jobs 2 with faults: the failed records are {errors}, not run, timeout and wrong")
    check(all(seconds and seconds > 0 for _, seconds, error in rows if not error),
          "--jobs 2 with faults: a working record has no time")


def table(output):
    """The rows of a `tessel db list` or `db top` table, split at spaces, without the header."""
    return [line.split() for line in output.splitlines()[1:] if line.strip()]


def top_lists_the_best(db):
    listed = tessel(["db", "list", db])
    top = tessel(["db", "top", db])
    if not check(listed.returncode == 0 and top.returncode == 0,
                 f"db list or db top failed:\n{listed.stderr}{top.stderr}"):
        return
    # list: workload records failed best-ms target; top: workload rank ms trial build-s measured
    # target.
    best = {row[0]: (row[1], row[3]) for row in table(listed.stdout) if row[3] != "-"}
    ranked = {row[0]: row for row in table(top.stdout)}
    if not check(best, f"db list shows no working record:\n{listed.stdout}"):
        return
    check(sorted(best) == sorted(ranked) and len(table(top.stdout)) == len(ranked),
          f"db top lists other workloads than db list:\n{top.stdout}\n{listed.stdout}")
    for key, (records, best_ms) in best.items():
        row = ranked.get(key, ["?"] * 7)
        check(row[1] == "1" and row[2] == best_ms and row[3].endswith(f"/{records}"),
              f"db top's row {row} does not match db list's best {best_ms} of {records}")
    # One workload, by a prefix of its key: its three fastest working records, fastest first.
    key = max(best, key=lambda k: int(best[k][0]))
    three = tessel(["db", "top", db, "--workload", key[:8], "-n", 3])
    connection = sqlite3.connect(db, timeout=30)
    fastest = connection.execute(
        "SELECT r.seconds FROM records r JOIN workloads w ON w.id = r.workload WHERE w.key LIKE ?"
        " AND r.error IS NULL ORDER BY r.seconds, r.id LIMIT 3", (key + "%",)).fetchall()
    connection.close()
    rows = table(three.stdout)
    check(three.returncode == 0 and [row[1] for row in rows] == ["1", "2", "3"][:len(fastest)]
          and [row[2] for row in rows] == [f"{seconds * 1e3:.4f}" for seconds, in fastest]
          and all(row[0] == key for row in rows),
          f"db top --workload {key[:8]} -n 3 is not the three fastest {fastest}:\n{three.stdout}"
          f"{three.stderr}")


def used_records(model, db, target, work):
    args = ["compile", model, "-o", work / "model.so", "--records", db]
    if target:
        args += ["--target", target]
    result = tessel(args)
    if not check(result.returncode == 0, f"compile {model} {target}:\n{result.stderr}"):
        return -1, -1
    match = re.search(r"(\d+) of (\d+) kernels from tuning records", result.stdout)
    check(match, f"compile with records printed no summary:\n{result.stdout}")
    return (int(match.group(1)), int(match.group(2))) if match else (-1, -1)


UNSCHEDULED = '{"format": "tessel-trace", "version": 1, "steps": []}'


def lying_record_is_set_aside(model, work):
    """A record whose time claims what its schedule does not do inside the model (the kernel
    left unscheduled: scalar, one thread; claimed at 1 ns) is set aside by the model check at
    the end of `tessel tune`, and compiles take the default schedule for its kernel."""
    db = work / "check.db"
    result = tessel(["tune", model, "--records", db, "--trials", "4", "--no-model-check"])
    check(result.returncode == 0 and "model check" not in result.stdout,
          f"tune --no-model-check:\n{result.stdout}{result.stderr}")
    before, kernels = used_records(model, db, None, work)
    exported = tessel(["db", "export", db]).stdout.splitlines()
    row = json.loads(exported[0])
    row.update(trace=json.loads(UNSCHEDULED), seconds=1e-9)
    (work / "lie.jsonl").write_text(json.dumps(row) + "\n")
    result = tessel(["db", "import", db, work / "lie.jsonl"])
    check(result.returncode == 0, f"db import:\n{result.stdout}{result.stderr}")
    lying, _ = used_records(model, db, None, work)
    against_defaults(model, db, work, lying, kernels, slower=True)
    # Trials are done already: the tuner measures nothing and checks the records.
    result = tessel(["tune", model, "--records", db, "--trials", "1"])
    print(result.stdout)
    match = re.search(r"model check: (\d+) of (\d+) kernels' best records timed inside the model"
                      r" against the default schedules \(\d+ more are the default schedule itself\);"
                      r" (\d+) set aside",
                      result.stdout)
    check(result.returncode == 0 and match and int(match.group(3)) >= 1,
          f"the model check set aside nothing:\n{result.stdout}{result.stderr}")
    connection = sqlite3.connect(db, timeout=30)
    verdicts = connection.execute(
        "SELECT c.slower, c.seconds, c.default_seconds FROM model_checks c JOIN records r ON "
        "r.id = c.record WHERE r.seconds < 1e-8").fetchall()
    connection.close()
    check(len(verdicts) == 1 and verdicts[0][0] == 1 and verdicts[0][1] > verdicts[0][2],
          f"the record claiming 1 ns was not set aside: {verdicts}")
    after, _ = used_records(model, db, None, work)
    check(lying == before and after < before,
          f"kernels from records: {before} before the lie, {lying} with it, {after} after the "
          f"check (of {kernels})")


def against_defaults(model, db, work, used, kernels, slower=False):
    """`bench --against-defaults` times the kernels a compile takes from the records (as many
    as the compile reports) against the default schedules; with `slower`, a record known to be
    far slower than its default schedule (scalar, one thread) must show as slower. Refused, with
    a usage error, for an artifact and without records."""
    result = tessel(["bench", model, "--records", db, "--against-defaults", "--rounds", "2",
                     "--min-time", "0.2", "--json"])
    if not check(result.returncode == 0, f"bench --against-defaults:\n{result.stderr}"):
        return
    report = json.loads(result.stdout)
    check(report["rounds"] == 2 and report["from_records"] == used
          and report["kernels"] == kernels
          and 0 < report["ratio_min"] <= report["ratio"] <= report["ratio_max"]
          and report["tuned_ms"] > 0 and report["default_ms"] > 0,
          f"bench --against-defaults (compile: {used} of {kernels} from records): {report}")
    if slower:
        check(report["ratio_min"] > 1.5,
              f"a scalar one-thread record did not show as slower than the default: {report}")
    tessel(["compile", model, "-o", work / "artifact.so", "--no-records"])
    for args, expected in (([work / "artifact.so"], "artifact"),
                           ([model, "--no-records"], "needs tuning records")):
        result = tessel(["bench", *args, "--against-defaults"])
        check(result.returncode == 2 and expected in result.stderr,
              f"bench {args} --against-defaults: status {result.returncode}, {result.stderr}")


def inspect_shows_the_records(model, db):
    """`inspect --ir trace` prints the schedules a compile takes: with the records, each
    kernel's trace is one of its workload's records and says so; without, the default's."""
    tuned = tessel(["inspect", model, "--ir", "trace", "--records", db])
    default = tessel(["inspect", model, "--ir", "trace", "--no-records"])
    if not check(tuned.returncode == 0 and default.returncode == 0,
                 f"inspect --ir trace failed:\n{tuned.stderr}{default.stderr}"):
        return
    connection = sqlite3.connect(db, timeout=30)
    stored = {}
    for key, trace in connection.execute(
            "SELECT w.key, r.trace FROM records r JOIN workloads w ON w.id = r.workload "
            "WHERE r.error IS NULL"):
        stored.setdefault(key, []).append(json.loads(trace))
    connection.close()

    def kernels(output):
        """(workload, origin, trace) for each kernel printed."""
        parts = re.split(r"^# (\S+), workload (\w+), (tuning record|default schedule)\n",
                         output, flags=re.M)
        return [(parts[i + 1], parts[i + 2], json.loads(parts[i + 3]))
                for i in range(1, len(parts) - 3, 4)]

    shown, defaults = kernels(tuned.stdout), kernels(default.stdout)
    check(shown and len(shown) == len(defaults)
          and all(origin == "default schedule" for _, origin, _ in defaults),
          f"inspect --no-records printed {len(defaults)} kernels, not all default schedules:\n"
          f"{default.stdout[:400]}")
    from_records = [(key, trace) for key, origin, trace in shown if origin == "tuning record"]
    check(from_records and all(trace in stored.get(key, []) for key, trace in from_records),
          f"inspect --records printed {len(from_records)} kernels from records, not all of them "
          f"a record of their workload:\n{tuned.stdout[:400]}")
    check("kernels from tuning records" in tuned.stderr,
          f"inspect --records printed no summary:\n{tuned.stderr}")


def other_cpu():
    """An x86 CPU name unlike this machine's."""
    with open("/proc/cpuinfo") as info:
        text = info.read()
    return "znver3" if "GenuineIntel" in text else "skylake-avx512"


def main():
    work = pathlib.Path(ARGS.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("*.db*"):
        stale.unlink()
    tuned, sharing = work / "tuned.onnx", work / "sharing.onnx"
    write_model(tuned, 16, 3, seed=1)
    write_model(sharing, 4, 1, seed=2)
    db = work / "records.db"

    kill_and_resume(tuned, str(db))
    faults(tuned, work)
    faults_with_jobs(tuned, work)
    top_lists_the_best(str(db))
    timed_beside_the_default(str(db))
    two_tuners(tuned, str(work / "shared.db"))
    lying_record_is_set_aside(tuned, work)

    used, kernels = used_records(tuned, db, None, work)
    check(used == kernels and used > 0,
          f"the tuned model compiled for this machine took {used} of {kernels} kernels from records")
    inspect_shows_the_records(tuned, str(db))
    against_defaults(tuned, str(db), work, used, kernels)
    used, kernels = used_records(tuned, db, f"llvm -mcpu={other_cpu()}", work)
    check(used == 0, f"compiled for another CPU, {used} of {kernels} kernels came from records")
    used, kernels = used_records(sharing, db, None, work)
    check(0 < used < kernels,
          f"the model sharing a layer took {used} of {kernels} kernels from records")

    for failure in FAILURES:
        print("FAIL:", failure)
    print(f"tuning: {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True)
    parser.add_argument("--work-dir", required=True)
    ARGS = parser.parse_args()
    sys.exit(main())
