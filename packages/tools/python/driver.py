"""The in-sandbox REPL driver of @hdpo/tools' python tool.

Speaks JSON lines on file descriptor 3 (requests in) and 4 (responses out), never on stdin/stdout, so user
code that prints to fd 1, reads stdin or closes fds 0-2 cannot forge or corrupt the protocol. One process is
one persistent namespace (one trajectory). It runs the reference's (Metis/verl-tool) semantics without a
Jupyter kernel: IPython-style display of the last expression, rich images from display()/figures/the last
expression, tracebacks on stderr, images resized by the reference's rules.

argv[1] is a JSON config: {"limits": {...}, "mplCache": path or null}. Everything here is trusted code; the
hostile part is only what arrives in "run" requests.
"""

import ast
import base64
import builtins
import io
import json
import linecache
import math
import os
import resource
import sys
import textwrap
import traceback
import types

REQUEST_FD = 3
RESPONSE_FD = 4

IMAGE_FACTOR = 32
MIN_PIXELS = 4 * 32 * 32
MAX_PIXELS = 5120 * 32 * 32
MAX_RATIO = 200


def _prefer_as_oom_victim():
    """Without a memory cgroup, a session's processes together may exceed RAM; make them the OOM killer's
    first choice (inherited by children) so the server survives. A value set here could be lowered again by
    user code; a root server writes it once more from outside, which makes it a floor."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


def _set_limits(limits):
    """Caps set before any user code runs: soft = hard, so user code cannot raise them again."""
    pairs = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, limits.get("cpuSeconds")),
        (resource.RLIMIT_NOFILE, limits.get("openFiles")),
        (resource.RLIMIT_FSIZE, limits.get("diskBytes")),
        (resource.RLIMIT_NPROC, limits.get("processes")),
        (resource.RLIMIT_AS, limits.get("memoryBytes")),
    ]
    for which, value in pairs:
        if value is None:
            continue
        try:
            resource.setrlimit(which, (int(value), int(value)))
        except (ValueError, OSError) as error:
            # Never silently run unconfined: the launcher treats a startup failure as fatal.
            raise SystemExit(f"hdpo driver: could not set rlimit {which} to {value}: {error}")


class _CappedWriter(io.TextIOBase):
    """sys.stdout/sys.stderr during a call: keeps at most `cap` UTF-8 bytes and counts what it dropped."""

    def __init__(self, cap, fd):
        super().__init__()
        self.cap = cap
        self.fd = fd
        self.parts = []
        self.kept = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.cap - self.kept
        if room <= 0:
            self.dropped += len(text.encode("utf-8", "replace"))
            return len(text)
        data = text.encode("utf-8", "replace")
        if len(data) <= room:
            self.parts.append(text)
            self.kept += len(data)
        else:
            self.parts.append(data[:room].decode("utf-8", "ignore"))
            self.kept = self.cap
            self.dropped += len(data) - room
        return len(text)

    def flush(self):
        pass

    @property
    def encoding(self):
        return "utf-8"

    def isatty(self):
        return False

    def fileno(self):
        # Like ipykernel: code that needs a real fd (subprocess(stdout=sys.stdout), faulthandler) gets the real
        # stream, which the parent drains and merges into the same call's output.
        return self.fd

    def text(self):
        return "".join(self.parts)


class _LazyModule(types.ModuleType):
    """`np`/`plt` of the reference's init, imported on first use (keeps idle sessions small and fast to start).

    The first attribute access imports the real module and rebinds the name in the user namespace, so later
    code sees the real module object.
    """

    def __init__(self, alias, real_name, namespace):
        super().__init__(real_name)
        object.__setattr__(self, "_hdpo_alias", alias)
        object.__setattr__(self, "_hdpo_real_name", real_name)
        object.__setattr__(self, "_hdpo_namespace", namespace)

    def _hdpo_load(self):
        real_name = object.__getattribute__(self, "_hdpo_real_name")
        namespace = object.__getattribute__(self, "_hdpo_namespace")
        __import__(real_name)
        module = sys.modules[real_name]
        alias = object.__getattribute__(self, "_hdpo_alias")
        if namespace.get(alias) is self:
            namespace[alias] = module
        return module

    def __getattr__(self, name):
        return getattr(self._hdpo_load(), name)

    def __setattr__(self, name, value):
        setattr(self._hdpo_load(), name, value)

    def __dir__(self):
        return dir(self._hdpo_load())

    def __repr__(self):
        return repr(self._hdpo_load())


def _install_font_cache():
    """Copies the prebuilt matplotlib font cache into MPLCONFIGDIR (building it takes seconds and runs fc-list).

    Done at startup and again at bind when the session moves MPLCONFIGDIR, so both `plt` and a plain
    `import matplotlib.pyplot` start fast.
    """
    config_dir = os.environ.get("MPLCONFIGDIR")
    cache = CONFIG.get("mplCache")
    if not config_dir or not cache or not os.path.isdir(cache):
        return
    try:
        os.makedirs(config_dir, exist_ok=True)
        for name in os.listdir(cache):
            target = os.path.join(config_dir, name)
            if not os.path.exists(target):
                with open(os.path.join(cache, name), "rb") as src, open(target, "wb") as dst:
                    dst.write(src.read())
    except OSError:
        pass


# --- the reference's image rules (verl_tool ipython_executor: process_image_with_pixel_limit) ---


def _round_by_factor(number, factor):
    return round(number / factor) * factor


def _floor_by_factor(number, factor):
    return math.floor(number / factor) * factor


def _ceil_by_factor(number, factor):
    return math.ceil(number / factor) * factor


def smart_resize(height, width):
    h_bar = max(IMAGE_FACTOR, _round_by_factor(height, IMAGE_FACTOR))
    w_bar = max(IMAGE_FACTOR, _round_by_factor(width, IMAGE_FACTOR))
    if h_bar * w_bar > MAX_PIXELS:
        beta = math.sqrt((height * width) / MAX_PIXELS)
        h_bar = max(IMAGE_FACTOR, _floor_by_factor(height / beta, IMAGE_FACTOR))
        w_bar = max(IMAGE_FACTOR, _floor_by_factor(width / beta, IMAGE_FACTOR))
    elif h_bar * w_bar < MIN_PIXELS:
        beta = math.sqrt(MIN_PIXELS / (height * width))
        h_bar = _ceil_by_factor(height * beta, IMAGE_FACTOR)
        w_bar = _ceil_by_factor(width * beta, IMAGE_FACTOR)
    return h_bar, w_bar


def _limit_pixels(image):
    from PIL import Image

    h, w = image.height, image.width
    if max(h, w) / min(h, w) > MAX_RATIO:
        if h > w:
            h = int(w * MAX_RATIO)
        else:
            w = int(h * MAX_RATIO)
        image = image.resize((w, h), Image.Resampling.LANCZOS)
    new_h, new_w = smart_resize(h, w)
    if (new_h, new_w) != (h, w):
        image = image.resize((new_w, new_h), Image.Resampling.LANCZOS)
    return image


def _png_data_uri(png_bytes):
    """The reference decodes the rich PNG, applies the rules and re-encodes it as PNG."""
    from PIL import Image

    with Image.open(io.BytesIO(png_bytes)) as image:
        image.load()
        return _image_data_uri(image)


class _CallState:
    """What one `run` collects besides streams: rich images in display order."""

    def __init__(self):
        self.images = []
        self.shown_figures = set()


CALL = _CallState()


def _rich_png(value):
    """PNG bytes for values IPython would show as image/png (PIL images, matplotlib figures), else None."""
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        out = io.BytesIO()
        value.save(out, format="PNG")
        return out.getvalue()
    figure_module = sys.modules.get("matplotlib.figure")
    if figure_module is not None and isinstance(value, figure_module.Figure):
        CALL.shown_figures.add(id(value))
        out = io.BytesIO()
        value.savefig(out, format="png", bbox_inches="tight")
        return out.getvalue()
    repr_png = getattr(type(value), "_repr_png_", None)
    if repr_png is not None:
        data = repr_png(value)
        if isinstance(data, bytes):
            return data
    return None


# Modes PNG stores losslessly: for these, resizing the image itself equals the reference's
# encode -> decode -> resize -> encode round trip, one PNG encode instead of two plus a decode.
_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


def _image_data_uri(image):
    processed = _limit_pixels(image)
    out = io.BytesIO()
    processed.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _display_one(value):
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image) and value.mode in _PNG_MODES:
        CALL.images.append(_image_data_uri(value))
        return
    png = _rich_png(value)
    if png is not None:
        CALL.images.append(_png_data_uri(png))
        return
    # Jupyter's text/plain output carries no newline; the reference concatenates it as is.
    sys.stdout.write(repr(value))


def display(*values, **_kwargs):
    """IPython's display(): images become observation images, anything else its repr on stdout."""
    for value in values:
        _display_one(value)


def _flush_figures():
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        for number in pyplot.get_fignums():
            figure = pyplot.figure(number)
            if id(figure) in CALL.shown_figures:
                continue
            out = io.BytesIO()
            figure.savefig(out, format="png", bbox_inches="tight")
            CALL.images.append(_png_data_uri(out.getvalue()))
    finally:
        pyplot.close("all")


def _format_exception(error, skip_frames):
    tb = error.__traceback__
    for _ in range(skip_frames):
        if tb is not None:
            tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _ends_with_semicolon(code):
    lines = [line for line in code.rstrip().splitlines() if line.strip() and not line.strip().startswith("#")]
    return bool(lines) and lines[-1].rstrip().endswith(";")


CELL_COUNTER = [0]


def _execute(code, namespace):
    """Runs one cell; returns success. Exceptions go to sys.stderr as a traceback without driver frames."""
    CELL_COUNTER[0] += 1
    filename = f"<cell-{CELL_COUNTER[0]}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        tree = ast.parse(code, filename, "exec")
    except SyntaxError as error:
        sys.stderr.write("".join(traceback.format_exception_only(type(error), error)))
        return False
    last_expr = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not _ends_with_semicolon(code):
        last_expr = tree.body.pop()
    try:
        if tree.body:
            exec(compile(tree, filename, "exec"), namespace)
        if last_expr is not None:
            value = eval(compile(ast.Expression(last_expr.value), filename, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                _display_one(value)
    except BaseException as error:  # SystemExit and KeyboardInterrupt included: the session must survive them
        sys.stderr.write(_format_exception(error, 1))
        return False
    return True


def _flush_real_streams():
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def _write_marker(fd, marker):
    try:
        os.write(fd, marker)
        return True
    except OSError:
        return False


def _reap_children():
    """Collects children the server killed after the previous call (or that exited): zombies count against
    RLIMIT_NPROC, and nobody else waits for them."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass
    except ChildProcessError:
        pass


def _cap_images(images):
    """Keeps images in order within the per-call caps the server re-checks; says how many were dropped."""
    limits = CONFIG.get("images") or {}
    max_images = int(limits.get("maxImages", 64))
    max_image = int(limits.get("maxImageChars", 32 << 20))
    max_total = int(limits.get("maxTotalChars", 48 << 20))
    kept = []
    total = 0
    for uri in images:
        if len(kept) < max_images and len(uri) <= max_image and total + len(uri) <= max_total:
            kept.append(uri)
            total += len(uri)
    dropped = len(images) - len(kept)
    if not dropped:
        return kept, ""
    return kept, (
        f"[{dropped} of {len(images)} images were not kept: a call keeps at most {max_images} images "
        f"and {max_total} characters of them, each at most {max_image}]"
    )


def _neutralize_matplotlib_magic(code):
    """`%matplotlib inline` is IPython syntax models often write; figures are always captured, so it is a no-op.
    Other magics and `!shell` lines stay syntax errors (there is no IPython here)."""
    if "%matplotlib" not in code:
        return code
    lines = code.split("\n")
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("%matplotlib"):
            lines[index] = line[: len(line) - len(stripped)] + "pass  # " + stripped
    return "\n".join(lines)


def run(request, namespace, out_cap):
    _reap_children()
    code = _neutralize_matplotlib_magic(textwrap.dedent(request.get("code", "")))
    stdout = _CappedWriter(out_cap, 1)
    stderr = _CappedWriter(out_cap, 2)
    CALL.images = []
    CALL.shown_figures = set()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    success = False
    try:
        success = _execute(code, namespace)
        try:
            _flush_figures()
        except BaseException as error:
            sys.stderr.write(_format_exception(error, 0))
            success = False
    finally:
        sys.stdout, sys.stderr = saved
    _flush_real_streams()
    marker = request.get("marker", "").encode("ascii")
    markers = bool(marker) and _write_marker(1, marker) and _write_marker(2, marker)
    images, note = _cap_images(CALL.images if success else [])
    stderr_text = stderr.text()
    if note:
        stderr_text += ("\n" if stderr_text and not stderr_text.endswith("\n") else "") + note
    return {
        "id": request.get("id"),
        "ok": True,
        "success": success,
        "stdout": stdout.text(),
        "stderr": stderr_text,
        "stdoutDropped": stdout.dropped,
        "stderrDropped": stderr.dropped,
        "images": images,
        "markers": markers,
    }


def bind(request, namespace):
    """Makes a prewarmed process a session: its own directory, cwd, env and the task images."""
    from PIL import Image

    session_dir = request["sessionDir"]
    os.makedirs(session_dir, mode=0o700, exist_ok=True)
    os.chdir(session_dir)
    env = request.get("env") or {}
    for key, value in env.items():
        os.environ[key] = value
    if "MPLCONFIGDIR" in env:
        _install_font_cache()
    warnings = []
    for index, uri in enumerate(request.get("images") or []):
        # Like the reference, an undecodable task image is skipped (its image_<n> stays undefined).
        try:
            payload = uri.split(",", 1)[1] if "base64," in uri else uri
            namespace[f"image_{index + 1}"] = Image.open(io.BytesIO(base64.b64decode(payload)))
        except Exception as error:
            warnings.append(f"image_{index + 1}: {type(error).__name__}: {error}")
    return {"id": request.get("id"), "ok": True, "warnings": warnings}


def _initial_namespace():
    from PIL import Image

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    namespace.update(
        os=os,
        base64=base64,
        Image=Image,
        BytesIO=io.BytesIO,
        math=math,
        sin=math.sin,
        cos=math.cos,
        display=display,
    )
    namespace["np"] = _LazyModule("np", "numpy", namespace)
    namespace["plt"] = _LazyModule("plt", "matplotlib.pyplot", namespace)
    return namespace


def _send(stream, message):
    # ensure_ascii: lone surrogates printed by user code must not break the encoding of the reply.
    stream.write(json.dumps(message).encode("ascii") + b"\n")
    stream.flush()


CONFIG = {}


def _after_fork_in_child():
    """A child forked by user code must never speak the protocol: it loses the pipes and exits with its cell."""
    FORKED[0] = True
    for fd in (REQUEST_FD, RESPONSE_FD):
        try:
            os.close(fd)
        except OSError:
            pass


FORKED = [False]


def main():
    CONFIG.update(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
    limits = CONFIG.get("limits") or {}
    requests = os.fdopen(REQUEST_FD, "rb", buffering=0)
    responses = os.fdopen(RESPONSE_FD, "wb")
    # Subprocesses of user code must not inherit the protocol pipes.
    os.set_inheritable(REQUEST_FD, False)
    os.set_inheritable(RESPONSE_FD, False)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    namespace = _initial_namespace()
    _install_font_cache()
    _prefer_as_oom_victim()
    if CONFIG.get("preloadNumpy"):
        namespace["np"]._hdpo_load()
    _set_limits(limits)
    out_cap = int(limits.get("outputBytes") or 1 << 20)
    _send(responses, {"op": "ready", "pid": os.getpid()})
    reader = io.BufferedReader(requests, 1 << 16)
    while True:
        line = reader.readline()
        if not line:
            return
        request = None
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "run":
                reply = run(request, namespace, out_cap)
            elif op == "bind":
                reply = bind(request, namespace)
            elif op == "ping":
                reply = {"id": request.get("id"), "ok": True}
            else:
                reply = {"id": request.get("id"), "ok": False, "error": f"unknown op {op!r}"}
        except Exception as error:  # a driver bug or a bad request: answer, never die silently
            request_id = request.get("id") if isinstance(request, dict) else None
            reply = {"id": request_id, "ok": False, "error": f"{type(error).__name__}: {error}"}
        if FORKED[0]:
            os._exit(0)
        try:
            _send(responses, reply)
        except Exception as error:
            _send(responses, {"id": reply.get("id"), "ok": False, "error": f"could not encode the reply: {error!r}"})


if __name__ == "__main__":
    main()
