"""The board's side of remote tuning, `tessel-runner --serve`, spoken to as the tuner's worker
speaks to it (runtime/rpc.h), on this machine:

    rpc_server.py --runner BUILD/tools/tessel-runner --cc CC --work-dir DIR

With two small kernels compiled by CC as shared libraries, it checks that the server greets,
loads a kernel and refuses a name the library lacks, takes arguments and refuses to keep one it
does not have, runs the kernel and sends its outputs (the kernel's sum of its inputs, checked
against numpy), times it, ends with its input (status 0), answers a request outside the protocol
with an error and status 2, and ends itself, with a message, when a kernel runs past its time
limit.
"""

import argparse
import pathlib
import subprocess
import sys
import time

import numpy as np

KERNELS = r"""
void add(void *const *args) {
  const float *a = args[0], *b = args[1];
  float *out = args[2];
  for (int i = 0; i < 1000; i++) out[i] = a[i] + b[i];
}
void spin(void *const *args) {
  (void)args;
  for (;;) __asm__ volatile("");
}
"""


class Server:
    def __init__(self, runner):
        self.process = subprocess.Popen([str(runner), "--serve", "--threads", "1"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)

    def request(self, line, payload=b""):
        self.process.stdin.write(line.encode() + b"\n" + payload)
        self.process.stdin.flush()
        return self.process.stdout.readline().decode().rstrip("\n")

    def finish(self, timeout=10):
        self.process.stdin.close()
        status = self.process.wait(timeout=timeout)
        return status, self.process.stderr.read().decode()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--runner", "--cc", "--work-dir"):
        parser.add_argument(name, required=True, type=pathlib.Path)
    args = parser.parse_args()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    (work / "kernels.c").write_text(KERNELS)
    library = work / "kernels.so"
    subprocess.run([str(args.cc), "-shared", "-fPIC", "-O1", "-o", str(library),
                    str(work / "kernels.c")], check=True)
    code = library.read_bytes()
    failures = []

    def expect(what, got, want):
        print(f"{what}: {got!r}")
        if not (got.startswith(want) if isinstance(want, str) else want(got)):
            failures.append(f"{what}: got {got!r}, wanted {want!r}")

    server = Server(args.runner)
    expect("greeting", server.process.stdout.readline().decode(), "tessel-rpc 1 ")
    expect("load a missing kernel", server.request(f"load absent {len(code)}", code),
           "error the library has no kernel absent")
    expect("load", server.request(f"load add {len(code)}", code), "ok")
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(1000).astype(np.float32) for _ in range(2))
    expect("args", server.request("args 3"), "ok")
    expect("keep what was never sent", server.request("arg 0 4000 k"), "error")
    expect("arg 0", server.request("arg 0 4000 ic", a.tobytes()), "ok")
    expect("arg 1", server.request("arg 1 4000 i", b.tobytes()), "ok")
    expect("arg 2", server.request("arg 2 4000 o"), "ok")
    expect("run", server.request("run 10"), "outputs 4000")
    out = np.frombuffer(server.process.stdout.read(4000), dtype=np.float32)
    error = float(np.abs(out - (a + b)).max())
    print(f"output's largest difference from numpy: {error}")
    if error > 1e-6:
        failures.append(f"the kernel's output is off by {error}")
    expect("keep", server.request("arg 0 4000 kc"), "ok")
    expect("run again", server.request("run 10"), "outputs 4000")
    server.process.stdout.read(4000)
    seconds = server.request("time 0.01 10")
    expect("time", seconds, lambda line: line.startswith("seconds ")
           and 0 < float(line.split()[1]) < 0.01)
    status, _ = server.finish()
    expect("status at the end of the input", str(status), "0")

    server = Server(args.runner)
    server.process.stdout.readline()
    expect("a request outside the protocol", server.request("hello"), "error")
    status, stderr = server.finish()
    expect("its status", str(status), "2")
    expect("its message", stderr, "tessel-runner --serve: 'hello' is not a request")

    server = Server(args.runner)
    server.process.stdout.readline()
    server.request(f"load spin {len(code)}", code)
    server.request("args 0")
    started = time.monotonic()
    expect("a kernel past its time limit", server.request("run 1"), "")
    status, stderr = server.finish()
    took = time.monotonic() - started
    print(f"the server ended after {took:.2f} s with status {status}: {stderr.strip()}")
    if status == 0 or not 0.9 < took < 5 or "ran past its time limit" not in stderr:
        failures.append(f"a hanging kernel: status {status} after {took:.2f} s, {stderr!r}")

    if failures:
        print("\n".join(f"FAIL {failure}" for failure in failures))
        return 1
    print("tessel-runner --serve speaks its protocol")
    return 0


if __name__ == "__main__":
    sys.exit(main())
