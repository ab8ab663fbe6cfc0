"""The `--port-file` every local test server writes once it listens."""

import os


def write_port_file(path, port):
    """Write atomically, so a launcher polling the file never reads half a number."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)
