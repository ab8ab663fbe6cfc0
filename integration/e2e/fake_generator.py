#!/usr/bin/python3
"""Stands in for bilan-generator in test_detached_spawn.py: records how it was
started, then works for a while, as the real one does for about 90 s.

Writes `$FAKE_GENERATOR_DIR/<pid>.json` at once (argv, process ids, open
descriptors, where stdin/stdout/stderr lead), then sleeps
`$FAKE_GENERATOR_SECONDS` (default 5) and writes `<pid>.finished`.
"""
import json
import os
import sys
import time


def proc_ids(pid):
    """(session id, process group id) of another process, from /proc."""
    try:
        return os.getsid(pid), os.getpgid(pid)
    except OSError:
        return None, None


def open_descriptors():
    """{fd: target} of this process; the descriptor that os.listdir itself
    used to read /proc/self/fd is gone by the time it is looked up."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass
    return found


def is_dev_null(fd):
    try:
        a, b = os.fstat(fd), os.stat("/dev/null")
    except OSError:
        return False
    return (a.st_rdev, a.st_ino, a.st_dev) == (b.st_rdev, b.st_ino, b.st_dev)


def write_atomically(path, text):
    with open(path + ".tmp", "w") as out:
        out.write(text)
    os.rename(path + ".tmp", path)


def main():
    folder = os.environ["FAKE_GENERATOR_DIR"]
    pid, ppid = os.getpid(), os.getppid()
    parent_sid, parent_pgid = proc_ids(ppid)
    record = {
        "argv": sys.argv[1:],
        "pid": pid,
        "sid": os.getsid(0),
        "pgid": os.getpgid(0),
        "ppid": ppid,
        "parent_sid": parent_sid,
        "parent_pgid": parent_pgid,
        "fds": open_descriptors(),
        "stdin_is_dev_null": is_dev_null(0),
        "environ": sorted(os.environ),
        "started": time.time(),
    }
    base = os.path.join(folder, str(pid))
    write_atomically(base + ".json", json.dumps(record))
    time.sleep(float(os.environ.get("FAKE_GENERATOR_SECONDS", "5")))
    write_atomically(base + ".finished", str(time.time()))


if __name__ == "__main__":
    main()
