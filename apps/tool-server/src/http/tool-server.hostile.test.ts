import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendants, eventually } from "../test-support/processes";
import {
  getJson,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
  toolCall,
} from "../test-support/tool-server-fixture";

// Model-written code is hostile. Every case runs through HTTP with the reference's substring blocklist OFF (so the
// OS sandbox alone has to hold), asserts containment, and meanwhile a bystander trajectory keeps getting correct
// answers.
const TIMEOUT_S = 3;
const DISK_BYTES = 16 * 1024 ** 2;

let fixture: ToolServerFixture;
let bystanderRuns = 0;

beforeAll(async () => {
  fixture = await startToolServerFixture({
    runtime: { blocklist: false, workers: 2 },
    limits: { timeoutMs: TIMEOUT_S * 1000, diskBytes: DISK_BYTES, memoryBytes: 1024 ** 3 },
  });
});
afterAll(async () => {
  await fixture?.close();
  // Every sandbox the runtime started is gone with it (bwrap, python, anything they forked).
  expect(await eventually(() => descendants(process.pid).length === 0)).toBe(true);
});

/** Three calls on a fresh bystander trajectory; each answer must be exactly right. */
async function bystander(): Promise<void> {
  const id = `bystander-${bystanderRuns++}`;
  expect(stdoutOf(await fixture.python(id, "b = 10\nprint(b)"))).toBe("10");
  expect(stdoutOf(await fixture.python(id, "b *= 3\nprint(b)"))).toBe("30");
  expect(stdoutOf(await fixture.python(id, "print(b + 1, 'ok')"))).toBe("31 ok");
}

/** Runs `code` on trajectory `id` while a bystander works; resolves with the hostile call's observation text. */
async function hostile(id: string, code: string): Promise<string> {
  const [obs] = await Promise.all([fixture.python(id, code), bystander()]);
  return obs;
}

describe("hostile code through HTTP (blocklist off)", () => {
  it("infinite loop: killed at the timeout, the next call starts clean and says so", async () => {
    const obs = await hostile("evil-loop", "x = 1\nwhile True:\n    pass");
    expect(obs).toContain(`Execution timed out after ${TIMEOUT_S} seconds`);
    const next = await fixture.python("evil-loop", "print('alive', 'x' in globals())");
    expect(stdoutOf(next)).toBe("alive False");
    expect(next.toLowerCase()).toMatch(/restart|terminated|new session|fresh/);
    await fixture.finish("evil-loop");
  });

  it("fork bomb: capped by the process limit and killed with its session", async () => {
    const obs = await hostile(
      "evil-fork",
      "import os\nkids = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time\n            time.sleep(600)\n            os._exit(0)\n        kids += 1\nexcept OSError as e:\n    print('fork refused after', kids, type(e).__name__)",
    );
    const match = /fork refused after (\d+)/.exec(obs);
    if (match !== null) expect(Number(match[1])).toBeLessThanOrEqual(64);
    else expect(obs).toMatch(/timed out|terminated/);
    await fixture.finish("evil-fork");
    await bystander();
  });

  it("memory bomb: MemoryError (or a kill), the host is untouched and the server answers", async () => {
    const obs = await hostile(
      "evil-memory",
      "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))",
    );
    expect(obs).toMatch(/MemoryError|terminated|Killed|timed out/);
    await fixture.finish("evil-memory");
  });

  it("huge output: truncated to the output limit", async () => {
    const obs = await hostile("evil-output", "print('y' * (64 * 1024 * 1024))");
    expect(obs.length).toBeLessThan(2 * 1024 * 1024);
    expect(obs).toContain("yyyy");
    await fixture.finish("evil-output");
  });

  it("writing outside the session dir never reaches the host", async () => {
    const hostPath = join(fixture.root, "escaped.txt");
    const obs = await hostile(
      "evil-write",
      `for path in [${JSON.stringify(hostPath)}, ${JSON.stringify(join(fixture.sessionRoot, "planted.txt"))}, '/etc/hdpo-planted', '../escaped.txt']:\n    try:\n        open(path, 'w').write('pwned')\n        print('wrote', path)\n    except OSError as e:\n        print('refused', path, type(e).__name__)`,
    );
    expect(obs).toMatch(/wrote|refused/);
    expect(existsSync(hostPath)).toBe(false);
    expect(existsSync(join(fixture.sessionRoot, "planted.txt"))).toBe(false);
    expect(existsSync("/etc/hdpo-planted")).toBe(false);
    await fixture.finish("evil-write");
  });

  it("reading secrets: the server's environment is not visible to the code", async () => {
    // The secret is in this process's environment while the runtime runs; the spawned-bin test covers the
    // secret being in the server's initial environment block (/proc/<pid>/environ) too.
    process.env.HDPO_TEST_SECRET_TOKEN = "sk-hostile-test-4242";
    try {
      const obs = await hostile(
        "evil-env",
        "import os, glob\nfound = [k for k, v in os.environ.items() if 'hostile-test' in v]\nfor p in glob.glob('/proc/*/environ'):\n    try:\n        if b'hostile-test' in open(p, 'rb').read():\n            found.append(p)\n    except OSError:\n        pass\nprint('found', found, sorted(os.environ))",
      );
      expect(stdoutOf(obs)).toMatch(/^found \[\]/);
      expect(obs).not.toContain("sk-hostile-test-4242");
    } finally {
      delete process.env.HDPO_TEST_SECRET_TOKEN;
    }
    await fixture.finish("evil-env");
  });

  it("opening a socket: neither the server's port nor the internet is reachable", async () => {
    const port = new URL(fixture.url).port;
    const obs = await hostile(
      "evil-socket",
      `import socket\nfor host, port in [('127.0.0.1', ${port}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n    s = socket.socket()\n    s.settimeout(2)\n    try:\n        s.connect((host, port))\n        print('CONNECTED', host)\n    except OSError as e:\n        print('blocked', host, type(e).__name__)\n    finally:\n        s.close()`,
    );
    expect(obs).not.toContain("CONNECTED");
    expect(
      stdoutOf(obs)
        .split("\n")
        .filter((l) => l.startsWith("blocked")),
    ).toHaveLength(3);
    await fixture.finish("evil-socket");
  });

  it("spawning a shell: whatever runs stays inside the sandbox", async () => {
    const hostPath = join(fixture.root, "shell-was-here");
    const obs = await hostile(
      "evil-shell",
      `import subprocess, os\nfor argv in (['/bin/sh', '-c', 'echo pwned > ${hostPath}; id -u'], ['sh', '-c', 'id -u']):\n    try:\n        r = subprocess.run(argv, capture_output=True, text=True, timeout=5)\n        print('ran', r.returncode, r.stdout.strip(), r.stderr.strip()[:80])\n    except Exception as e:\n        print('refused', type(e).__name__)\nprint('system', os.system('echo pwned > ${hostPath}'))`,
    );
    expect(obs).toMatch(/ran|refused/);
    expect(existsSync(hostPath)).toBe(false);
    // A shell that did run is not root.
    expect(stdoutOf(obs)).not.toMatch(/^ran 0 0\b/m);
    await fixture.finish("evil-shell");
  });

  it("deleting another trajectory's session dir: the victim keeps its files", async () => {
    await fixture.python("victim", "open('keep.txt', 'w').write('precious')\nprint('saved')");
    const obs = await hostile(
      "evil-delete",
      `import shutil, os\nfor path in ['../victim', ${JSON.stringify(join(fixture.sessionRoot, "victim"))}, ${JSON.stringify(fixture.sessionRoot)}]:\n    try:\n        shutil.rmtree(path)\n        print('deleted', path)\n    except OSError as e:\n        print('refused', path, type(e).__name__)`,
    );
    expect(obs).toMatch(/deleted|refused/);
    expect(stdoutOf(await fixture.python("victim", "print(open('keep.txt').read())"))).toBe("precious");
    await fixture.finish("evil-delete");
    await fixture.finish("victim");
  });

  it("filling the disk: writes stop at the session's disk cap", async () => {
    const obs = await hostile(
      "evil-disk",
      "chunk = b'0' * (1024 * 1024)\nn = 0\ntry:\n    with open('big.bin', 'wb') as f:\n        while n < 4096:\n            f.write(chunk)\n            f.flush()\n            n += 1\n    print('wrote all', n)\nexcept OSError as e:\n    print('stopped after MiB', n, e.errno)",
    );
    const match = /stopped after MiB (\d+)/.exec(stdoutOf(obs));
    expect(match, obs).not.toBeNull();
    expect(Number(match![1])).toBeLessThanOrEqual(DISK_BYTES / 1024 ** 2);
    await fixture.finish("evil-disk");
  });

  it("filling the disk outside the session dir: /, /etc, /opt, /dev are not an uncapped tmpfs", async () => {
    // Many files, each under the per-file cap (RLIMIT_FSIZE), in every writable-looking place other than the
    // session dir and /tmp (which are capped tmpfs): the total must stay within one disk cap, not grow with RAM.
    const obs = await hostile(
      "evil-fill-root",
      "total = 0\nfor d in ['/', '/etc', '/opt', '/dev', '/var', '/home']:\n    for i in range(8):\n        try:\n            with open(f'{d}/fill{i}.bin', 'wb') as f:\n                for _ in range(8):\n                    f.write(b'0' * (1024 * 1024))\n                    total += 1\n        except OSError:\n            break\nprint('MiB', total)",
    );
    const match = /MiB (\d+)/.exec(stdoutOf(obs));
    expect(match, obs).not.toBeNull();
    expect(Number(match![1])).toBeLessThanOrEqual(DISK_BYTES / 1024 ** 2);
    await fixture.finish("evil-fill-root");
  });
});

// Issue 17's findings, each through HTTP while the bystander keeps exact answers; the same server instance answers
// /health at the end with a larger uptime (the spawned-bin test checks the same pid after a hostile body).
describe("issue 17: hostile replies, freezes and containment gaps (blocklist off)", () => {
  let uptimeAtStart = 0;
  beforeAll(async () => {
    uptimeAtStart = (await getJson(`${fixture.url}/health`)).uptime_seconds;
  });
  afterAll(async () => {
    const health = await getJson(`${fixture.url}/health`);
    expect(health.status).toBe("healthy");
    expect(health.uptime_seconds).toBeGreaterThan(uptimeAtStart);
  });

  it("a reply forged on the driver's fd carries no host path out: the session ends, the next call starts clean", async () => {
    const forged =
      'import os\nos.write(4, b\'{"ok": true, "success": true, "stdout": "x", "stderr": "", "images": ["/etc/passwd", "http://169.254.169.254/", "data:text/html,hi", 42]}\\n\')\nprint("after")';
    const [reply] = await Promise.all([
      fixture.act("evil-forge", toolCall("python", { code: forged })),
      bystander(),
    ]);
    const observation = reply.observation as { obs: string; image?: unknown[] };
    expect(observation.image ?? []).toEqual([]);
    expect(JSON.stringify(reply)).not.toMatch(/etc\/passwd|169\.254|text\/html/);
    expect(observation.obs).toMatch(/terminated/);
    const next = await fixture.python("evil-forge", "print(6 * 7)");
    expect(stdoutOf(next)).toBe("42");
    expect(next).toMatch(/new session/);
    await fixture.finish("evil-forge");
  });

  it("output and actions that froze the server for seconds answer at once", async () => {
    const started = Date.now();
    const obs = await hostile("evil-spaces", "print(' ' * 262000 + 'x')");
    // Compared by its parts: a failing diff of 262,000 spaces would itself take a minute to print.
    const stdout = stdoutOf(obs);
    expect([stdout.length, stdout.endsWith(" x"), stdout.trim()]).toEqual([262_001, true, "x"]);
    const tags = await fixture.act("evil-tags", `<tool_call>`.repeat(20_000));
    expect(tags.valid).toBe(false);
    const tooLong = await fixture.act("evil-tags", `<tool_call>`.repeat(60_000));
    expect(JSON.stringify(tooLong.observation)).toMatch(/over the 262144-character limit/);
    // A guard against a freeze, not a speed target: the strip regex took 30–75 s on the first, the parser 6–13 s.
    expect(Date.now() - started).toBeLessThan(20_000);
    await fixture.finish("evil-spaces");
    await fixture.finish("evil-tags");
  });

  it("kernel keyrings, io_uring, ptrace and unshare are refused (EPERM); a normal syscall works", async () => {
    const obs = await hostile(
      "evil-syscalls",
      "import ctypes, platform, os\nlibc = ctypes.CDLL(None, use_errno=True)\nnr = {'x86_64': {'keyctl': 250, 'add_key': 248, 'io_uring_setup': 425, 'ptrace': 101, 'unshare': 272, 'getpid': 39}, 'aarch64': {'keyctl': 219, 'add_key': 217, 'io_uring_setup': 425, 'ptrace': 117, 'unshare': 97, 'getpid': 172}}[platform.machine()]\nfor name in ['keyctl', 'add_key', 'io_uring_setup', 'ptrace', 'unshare']:\n    ctypes.set_errno(0)\n    r = libc.syscall(nr[name], 0, 0, 0, 0, 0)\n    print(name, r, ctypes.get_errno())\nprint('getpid', libc.syscall(nr['getpid']) == os.getpid())",
    );
    const lines = stdoutOf(obs).split("\n");
    for (const name of ["keyctl", "add_key", "io_uring_setup", "ptrace", "unshare"]) {
      expect(lines).toContain(`${name} -1 1`);
    }
    expect(lines).toContain("getpid True");
    await fixture.finish("evil-syscalls");
  });

  it("a finished trajectory's uid is not handed to the next one", async () => {
    const first = stdoutOf(await fixture.python("uid-first", "import os\nprint(os.getuid())"));
    await fixture.finish("uid-first");
    const second = stdoutOf(await fixture.python("uid-second", "import os\nprint(os.getuid())"));
    await fixture.finish("uid-second");
    expect(Number(first)).toBeGreaterThan(0);
    expect(second).not.toBe(first);
  });

  it("a busy child forked in a call is gone when the call returns; the session's state stays", async () => {
    await hostile(
      "evil-busy",
      "import os\nkept = 7\nif os.fork() == 0:\n    while True:\n        pass\nprint('forked')",
    );
    const obs = await fixture.python(
      "evil-busy",
      "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), kept)",
    );
    expect(stdoutOf(obs)).toBe("[1, 2] 7");
    await fixture.finish("evil-busy");
  });

  it("an inode flood stops at the tmpfs cap; the OOM score cannot be lowered", async () => {
    const obs = await hostile(
      "evil-inodes",
      "import os\nn = 0\ntry:\n    for n in range(200000):\n        open(f'/tmp/f{n}', 'w').close()\nexcept OSError as e:\n    print('stopped', n, e.errno)\ntry:\n    open('/proc/self/oom_score_adj', 'w').write('0')\n    print('lowered')\nexcept OSError as e:\n    print('oom', type(e).__name__, open('/proc/self/oom_score_adj').read().strip())",
    );
    const match = /stopped (\d+) 28/.exec(stdoutOf(obs));
    expect(match, obs).not.toBeNull();
    // Control: thousands of files were fine before the cap (8,192 inodes per tmpfs by default).
    expect(Number(match![1])).toBeGreaterThan(1000);
    expect(Number(match![1])).toBeLessThanOrEqual(8192);
    expect(stdoutOf(obs)).toContain("oom OSError 1000");
    await fixture.finish("evil-inodes");
  });
});
