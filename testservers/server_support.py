"""What every local test server does around its requests: write the
`--port-file` once it listens, stop cleanly on SIGTERM (launchers send it)
or Ctrl-C, and log that it stopped."""

import os
import signal


def write_port_file(path, port):
    """Write atomically, so a launcher polling the file never reads half a number."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def stop_on_sigterm(signum, frame):
    # Launchers (make run, test fixtures) send SIGTERM: leave as on Ctrl-C.
    raise KeyboardInterrupt


def serve_until_stopped(server, port_file, log, banner):
    """Serves `server` (an http.server) until SIGTERM or Ctrl-C; the port file
    is written once it listens, then `banner` is logged."""
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if port_file:
        write_port_file(port_file, server.server_address[1])
    log(banner)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log("stopped")
