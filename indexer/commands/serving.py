"""`dangan serve`: waitress in several processes sharing one listening socket.

One Python process cannot run two searches at once for long: rendering, Flask and JSON
hold the interpreter lock. So the server forks `processes` workers (one per CPU by
default) after binding the port; each opens the index itself (the generation's files
are memory-mapped, so the page cache holds them once) and runs waitress on the shared
socket with the limits and the request-line handling of web/server.py.

Which worker takes a new connection matters, because a keep-alive client stays on it:
workers publish how many of their connections were active in the last ACTIVE_S seconds
in a small shared array, and only a worker with the fewest listens, so clients spread
over the workers ("least connections"; a connection left idle, such as a health check's
or a browser's spare one, does not count: with it counted, a second client was placed
beside the first about half the time).
The parent restarts a worker that dies and stops them all on SIGTERM / SIGINT.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Callable

ACCEPT_RECHECK_S = 0.02
ACTIVE_S = 2.0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before any worker starts (port 0: the system picks)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def _warm(app) -> None:
    """Prepare the app's index before taking requests: what its first queries would
    otherwise pay for (`Index.warm`: the did-you-mean vocabulary of the generation). An
    index that is not there yet is opened by the first request as usual. (Requests that
    arrive meanwhile wait in the socket's backlog; the parts that do not depend on the
    generation were prepared once, before the workers forked.)"""
    from web.index_access import IndexUnavailable, shared_index

    with app.app_context():
        try:
            shared_index().warm()
        except IndexUnavailable:
            pass
        except Exception:  # noqa: BLE001 - a warm-up is an optimization: never a reason not to serve
            import traceback

            print("dangan serve: index warm-up failed (serving without it):", file=sys.stderr)
            traceback.print_exc()


def _worker(make_app: Callable, sock: socket.socket, settings, loads, slot: int) -> None:
    from waitress.adjustments import Adjustments
    from waitress.server import TcpWSGIServer

    from web.server import Utf8Channel, waitress_options

    class Server(TcpWSGIServer):
        channel_class = Utf8Channel

        def readable(self):
            ok = super().readable()
            if loads is None:
                return ok
            # this worker's connections serving a request or active lately (a new one
            # counts at once)
            since = time.time() - ACTIVE_S
            loads[slot] = sum(1 for ch in list(self._map.values())
                              if isinstance(ch, Utf8Channel) and (ch.requests or ch.last_activity >= since))
            return ok and loads[slot] <= min(loads)

    app = make_app()
    _warm(app)
    adj = Adjustments(sockets=[sock], **waitress_options(settings))
    if loads is not None:
        # A worker that declined to listen (not the least loaded) looks again this often,
        # so it takes its turn soon after another worker accepted. Set on the instance:
        # Adjustments casts the option to whole seconds (0.02 became 0, and an idle
        # worker's poll() never slept); waitress's loop takes it as it is.
        adj.asyncore_loop_timeout = ACCEPT_RECHECK_S
    server = Server(app, _sock=sock, adj=adj, bind_socket=False,
                    sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
    server.run()


def serve(make_app: Callable, sock: socket.socket, settings, processes: int) -> None:
    """Serve `make_app()` on the bound `sock` with `processes` workers (0: one per CPU)
    under `settings` (ServeSettings); returns when they have all stopped."""
    count = processes or os.cpu_count() or 1
    try:
        from indexer.search import kernels, suggest

        suggest.prepare()  # once, shared by the forked workers
        kernels.load()  # the compiled merges too
    except Exception:  # noqa: BLE001 - an optimization only: each worker reads what it needs
        pass
    if count == 1:
        _worker(make_app, sock, settings, None, 0)
        return
    loads = multiprocessing.RawArray("i", count)
    children: dict[int, int] = {}
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                _worker(make_app, sock, settings, loads, slot)
            except BaseException:  # noqa: BLE001 - reported, then the parent restarts us
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        loads[slot] = 0
        children[pid] = slot

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(count):
        spawn(slot)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        slot = children.pop(pid, None)
        if slot is not None:
            loads[slot] = 2**30  # not the least loaded while it is gone
        if slot is not None and not stopping:
            print(f"dangan serve: worker {pid} exited ({status}); starting another", file=sys.stderr)
            time.sleep(0.5)  # a worker failing at start must not spin
            spawn(slot)
