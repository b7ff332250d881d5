"""A persistent Python kernel for the code interpreter sandbox.

Runs inside bubblewrap as /usr/bin/python3 -I -B kernel.py '<json config>'. Speaks JSON lines
(see kernel-protocol.ts): requests on stdin, one reply line per request on stdout. Every cell is
exec'd in one __main__ namespace; the value of a trailing expression is printed like a notebook.
Everything in here runs next to untrusted code, so nothing the host relies on is decided here:
limits, timeouts and output caps are enforced again by the host.
"""

import ast
import base64
import builtins
import io
import json
import linecache
import os
import queue
import secrets
import signal
import sys
import threading
import traceback
import types

# Descriptors inherited from the server's side (bubblewrap does not close them): gone before any
# cell runs.
for _fd in os.listdir("/proc/self/fd"):
    if int(_fd) > 2:
        try:
            os.close(int(_fd))
        except OSError:
            pass

CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
MAX_OUTPUT = int(CONFIG.get("maxOutputBytes", 1 << 20))
MAX_IMAGES = int(CONFIG.get("maxImages", 20))
MAX_IMAGE_BYTES = int(CONFIG.get("maxImageBytes", 16 << 20))  # all figures of one cell together
MAX_VALUE_CHARS = int(CONFIG.get("maxValueChars", 100_000))
MAX_TRACEBACK_CHARS = 64_000
KERNEL_FILE = os.path.abspath(__file__)
KERNEL_PID = os.getpid()

# The protocol keeps private, non-inheritable copies of the original stdin/stdout; fds 0/1/2 are
# then pointed elsewhere so a print, os.write(1, ...) or a subprocess cannot corrupt the protocol.
_proto_in = os.fdopen(os.dup(0), "rb")
_proto_out = os.fdopen(os.dup(1), "wb")
# Node's stdio pipes are socket pairs: make them one-way, so a cell writing into the request
# channel fails at once instead of filling a buffer nobody reads.
for _fd, _how in ((_proto_in.fileno(), "SHUT_WR"), (_proto_out.fileno(), "SHUT_RD")):
    try:
        import socket

        _sock = socket.socket(fileno=os.dup(_fd))
        _sock.shutdown(getattr(socket, _how))
        _sock.close()
    except OSError:
        pass  # a real pipe: one-way already
_proto_lock = threading.Lock()
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)


def send(message):
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace") + b"\n"
    with _proto_lock:
        _proto_out.write(data)
        _proto_out.flush()


class Capture:
    """fd 1 or 2 of the kernel and its children: a pipe drained by a thread into a capped buffer.

    A cell's output ends at a random sentinel written after the cell, so output of the cell that
    is still in the pipe is not lost and output of background threads between cells is dropped.
    """

    def __init__(self, target_fd):
        self.target_fd = target_fd
        self.rfd, self.wfd = os.pipe()  # both non-inheritable; only target_fd is inherited
        os.dup2(self.wfd, target_fd)
        self.lock = threading.Lock()
        self.buf = bytearray()
        self.dropped = 0
        self.token = None
        self.done = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def repair(self):
        """Points the target fd at the pipe again (the cell may have closed or replaced it)."""
        try:
            os.dup2(self.wfd, self.target_fd)
        except OSError:
            pass

    def reset(self):
        with self.lock:
            self.buf = bytearray()
            self.dropped = 0

    def _append(self, data):
        with self.lock:
            room = MAX_OUTPUT - len(self.buf)
            if room > 0:
                self.buf += data[:room]
            self.dropped += max(0, len(data) - max(room, 0))

    def _drain(self):
        carry = b""
        while True:
            try:
                data = os.read(self.rfd, 1 << 16)
            except InterruptedError:
                continue
            if not data:
                return
            data = carry + data
            carry = b""
            token = self.token
            if token is not None:
                at = data.find(token)
                if at >= 0:
                    self._append(data[:at])
                    data = data[at + len(token):]
                    self.token = None
                    self.done.set()
                    token = None
            if token is not None and len(data) >= len(token):
                keep = len(token) - 1  # a sentinel may be split across reads
                self._append(data[:-keep])
                carry = data[-keep:]
            elif token is not None:
                carry = data
            else:
                self._append(data)

    def finish(self, timeout=2.0):
        """Waits until everything written before this call has been drained; returns (text, dropped)."""
        self.done.clear()
        token = b"\x00oa-end-" + secrets.token_hex(16).encode() + b"\x00"
        self.token = token
        try:
            os.write(self.wfd, token)
            self.done.wait(timeout)
        except OSError:
            pass
        self.token = None
        with self.lock:
            data, dropped = bytes(self.buf), self.dropped
            self.buf = bytearray()
            self.dropped = 0
        return data.decode("utf-8", "replace"), dropped


class State:
    executing = False
    interrupt_reason = None


STATE = State()
OUT = Capture(1)
ERR = Capture(2)


def fresh_streams():
    """New sys.stdout/sys.stderr on fds 1/2 for each cell (the last cell may have closed or replaced them)."""
    OUT.repair()
    ERR.repair()
    # Line-buffered, so prints and the output of subprocesses (os.system) come out in order.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")


def flush_streams():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass


class ExecutionTimeout(BaseException):
    """Raised into a cell at its soft time limit: a BaseException, so `except Exception` (or
    `except OSError`, which the built-in TimeoutError would match) in the cell does not swallow it."""


ExecutionTimeout.__name__ = ExecutionTimeout.__qualname__ = "TimeoutError"


def on_sigint(signum, frame):
    if not STATE.executing:
        return
    reason = STATE.interrupt_reason
    STATE.interrupt_reason = None
    if reason == "timeout":
        raise ExecutionTimeout(f"execution exceeded the time limit of {CONFIG.get('timeoutSeconds', '?')} s")
    raise KeyboardInterrupt("execution interrupted")


# ---- matplotlib: figures shown or left open become PNG images of the cell ----------------------

FIGURES = []
SAVED_TO_FILE = set()
plt = None


def collect_figures(explicit):
    if plt is None:
        return
    for num in list(plt.get_fignums()):
        fig = plt.figure(num)
        if explicit or id(fig) not in SAVED_TO_FILE:
            if len(FIGURES) < MAX_IMAGES:
                buf = io.BytesIO()
                fig.savefig(buf, format="png", bbox_inches="tight")
                data = buf.getvalue()
                if len(data) + sum(len(f) for f in FIGURES) <= MAX_IMAGE_BYTES:
                    FIGURES.append(data)
                else:
                    sys.stderr.write(f"[figure {num} not returned: the figures of one execution are limited to {MAX_IMAGE_BYTES} bytes of PNG]\n")
        plt.close(fig)


def preload():
    """Imports the heavy libraries once at start so every cell finds them in sys.modules."""
    global plt
    versions = {}
    for name in ("numpy", "pandas", "matplotlib"):
        try:
            versions[name] = __import__(name).__version__
        except Exception:
            versions[name] = None
    if versions["matplotlib"]:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as pyplot
            from matplotlib.figure import Figure

            original_savefig = Figure.savefig

            def savefig(self, *args, **kwargs):
                SAVED_TO_FILE.add(id(self))
                return original_savefig(self, *args, **kwargs)

            Figure.savefig = savefig
            pyplot.show = lambda *args, **kwargs: collect_figures(True)
            plt = pyplot
        except Exception:
            versions["matplotlib"] = None
    return versions


# ---- running a cell ----------------------------------------------------------------------------

MAIN = types.ModuleType("__main__")
MAIN.__dict__["__builtins__"] = builtins
sys.modules["__main__"] = MAIN
if "/mnt/data" not in sys.path:
    sys.path.insert(0, "/mnt/data")


def describe(exc):
    report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    # Only the cell's own frames: not the kernel's exec() call, nor its interrupt handler.
    report.stack = traceback.StackSummary.from_list([f for f in report.stack if f.filename != KERNEL_FILE])
    text = "".join(report.format())
    if len(text) > MAX_TRACEBACK_CHARS:
        text = text[: MAX_TRACEBACK_CHARS // 2] + "\n[... traceback truncated ...]\n" + text[-MAX_TRACEBACK_CHARS // 2 :]
    errno = getattr(exc, "errno", None)
    return {
        "name": type(exc).__name__,
        "value": str(exc)[:MAX_TRACEBACK_CHARS],
        "traceback": text,
        "errno": errno if isinstance(errno, int) else None,
    }


def run_cell(cell_no, code):
    filename = f"<cell {cell_no}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), MAIN.__dict__)
    if last is not None:
        value = eval(compile(last, filename, "eval"), MAIN.__dict__)
        if value is not None:
            builtins._ = value
            text = repr(value)
            if len(text) > MAX_VALUE_CHARS:
                text = text[:MAX_VALUE_CHARS] + f"... [{len(text) - MAX_VALUE_CHARS} more characters]"
            sys.stdout.write(text + "\n")
    collect_figures(False)


def execute(request):
    FIGURES.clear()
    SAVED_TO_FILE.clear()
    OUT.reset()
    ERR.reset()
    fresh_streams()
    signal.signal(signal.SIGINT, on_sigint)
    error = None
    try:
        STATE.executing = True
        try:
            run_cell(request["cell"], request["code"])
        finally:
            STATE.executing = False
            if os.getpid() != KERNEL_PID:
                os._exit(0)  # a child forked by the cell must not answer for the kernel
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the kernel lives on
        try:
            error = describe(exc)
        except BaseException:
            error = {"name": "Error", "value": "the error could not be described", "traceback": "", "errno": None}
        if error["name"] not in ("TimeoutError", "KeyboardInterrupt", "MemoryError"):
            try:
                collect_figures(False)  # what was drawn before the error, as a notebook shows it
            except BaseException:
                pass
    if plt is not None:
        try:
            plt.close("all")
        except Exception:
            pass
    flush_streams()
    stdout, stdout_dropped = OUT.finish()
    stderr, stderr_dropped = ERR.finish()
    images = [base64.b64encode(data).decode("ascii") for data in FIGURES]
    FIGURES.clear()
    return {
        "type": "result",
        "id": request["id"],
        "stdout": stdout,
        "stderr": stderr,
        "stdoutDropped": stdout_dropped,
        "stderrDropped": stderr_dropped,
        "error": error,
        "images": images,
    }


# ---- the loop ----------------------------------------------------------------------------------

REQUESTS = queue.Queue()


def read_requests():
    """Reads the protocol on its own thread so an interrupt can reach a running cell."""
    for line in _proto_in:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if request.get("op") == "interrupt":
            if STATE.executing:
                STATE.interrupt_reason = request.get("reason")
                os.kill(os.getpid(), signal.SIGINT)
        else:
            REQUESTS.put(request)
    os._exit(0)  # the host closed stdin: it is gone or done with us


def main():
    versions = preload()
    fresh_streams()
    threading.Thread(target=read_requests, daemon=True).start()
    send({"type": "ready", "python": sys.version.split()[0], "modules": versions})
    while True:
        request = REQUESTS.get()
        try:
            reply = execute(request)
        except BaseException as exc:  # a failure of the kernel itself, not of the cell
            reply = {"type": "result", "id": request.get("id"), "stdout": "", "stderr": "", "stdoutDropped": 0,
                     "stderrDropped": 0, "images": [], "error": {"name": "KernelError", "value": repr(exc)[:2000], "traceback": "", "errno": None}}
        try:
            send(reply)
        except MemoryError:
            send({"type": "result", "id": request.get("id"), "stdout": "", "stderr": "", "stdoutDropped": 0,
                  "stderrDropped": 0, "images": [], "error": {"name": "MemoryError", "value": "the result was too large to send", "traceback": "", "errno": None}})


if __name__ == "__main__":
    main()
