import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PNG_DATA_URI_PREFIX } from "./driver-reply";
import { createPythonLauncher, type PythonLauncher } from "./python-launcher";
import type { PythonSession } from "./python-session";
import { sandboxPids, testInterpreter } from "./python-test-support";
import { detectSandbox } from "./sandbox-detect";
import { type SeccompArch, SYSCALL_NUMBERS } from "./seccomp-filter";

// Issue 17's containment findings, each against the real sandbox with a positive control.
const LIMITS = { memoryBytes: 512 * 1024 ** 2, processes: 32, outputBytes: 64 * 1024, inodes: 300 };

let launcher: PythonLauncher;
let bystander: PythonSession;

async function expectBystanderWorks(): Promise<void> {
  const result = await bystander.run("counter += 1\nprint(counter)");
  expect(result.success).toBe(true);
  expect(result.stdout).toMatch(/^\d+\n$/);
}

beforeAll(async () => {
  launcher = await createPythonLauncher({
    interpreter: await testInterpreter(),
    // Needs the real sandbox: without bubblewrap this fails here, it never skips.
    sandbox: await detectSandbox({ require: "strict" }),
    limits: LIMITS,
    prewarm: 1,
  });
  bystander = await launcher.start("containment-bystander", []);
  await bystander.run("counter = 0");
});

afterAll(async () => {
  await launcher?.close();
});

/** User code that finds the id of the request it runs in (it can: same process) and writes `reply` with it. */
function forgeWithRightId(replyPython: string, sleepAfter = 1.5): string {
  return [
    "import sys, json, time",
    "f = sys._getframe()",
    "while f is not None and not (isinstance(f.f_locals.get('request'), dict) and 'id' in f.f_locals['request']):",
    "    f = f.f_back",
    "rid = f.f_locals['request']['id']",
    `reply = ${replyPython}`,
    "reply['id'] = rid",
    "os.write(4, (json.dumps(reply) + '\\n').encode())",
    `time.sleep(${sleepAfter})`,
  ].join("\n");
}

const REPLY_FIELDS = `{"ok": True, "success": True, "stdout": "forged\\n", "stderr": "", "stdoutDropped": 0, "stderrDropped": 0, "markers": False`;

describe("forged driver replies (finding 1)", () => {
  it("a line without the request's id ends the session; no image reaches the result", async () => {
    const session = await launcher.start("forge-no-id", []);
    const result = await session.run(
      `os.write(4, b'{"ok": true, "success": true, "stdout": "", "stderr": "", "stdoutDropped": 0, "stderrDropped": 0, "images": ["/etc/passwd"], "markers": false}\\n')\nimport time\ntime.sleep(1)\nprint('after')`,
    );
    expect(result).toMatchObject({ images: [], success: false, terminated: true });
    expect(result.stderr).toContain("the reply channel carried a reply to a request that was not asked");
    expect(session.alive).toBe(false);
    await expectBystanderWorks();
  });

  it("a reply with the right id but a host path, URL, HTML or wrong-size PNG as image: images dropped with a note", async () => {
    const wrongSize = await (async () => {
      const { PNG } = await import("pngjs");
      const image = new PNG({ width: 50, height: 50 });
      return `${PNG_DATA_URI_PREFIX}${PNG.sync.write(image).toString("base64")}`;
    })();
    for (const image of [
      "/etc/shadow",
      "http://169.254.169.254/latest/meta-data/",
      "data:text/html,<script>alert(1)</script>",
      wrongSize,
    ]) {
      const session = await launcher.start("forge-images", []);
      const result = await session.run(
        forgeWithRightId(`${REPLY_FIELDS}, "images": [${JSON.stringify(image)}]}`),
      );
      expect(result.images).toEqual([]);
      expect(result.stdout).toBe("forged\n");
      expect(result.stderr).toMatch(
        /^\[images dropped: image 1 of 1 is not a valid observation image \([^\n]+\)\]$/,
      );
      // The driver's own reply then arrives unasked: the session is ended for tampering.
      const next = await session.run("print('next')");
      expect(next).toMatchObject({ terminated: true, success: false });
    }
    await expectBystanderWorks();
  });

  it("a reply with a number as image or a wrong field type is rejected whole and ends the session", async () => {
    for (const fields of [`"images": [42]`, `"images": [], "stdoutDropped": "many"`]) {
      const session = await launcher.start("forge-types", []);
      const result = await session.run(forgeWithRightId(`${REPLY_FIELDS}, ${fields}}`));
      expect(result).toMatchObject({ images: [], success: false, terminated: true });
      expect(result.stderr).toMatch(
        /Python session was terminated because the reply has .+ in "(images|stdoutDropped)"/,
      );
    }
    await expectBystanderWorks();
  });

  it("a reply line over the cap is never buffered to the end: the session is killed", async () => {
    const session = await launcher.start("forge-huge", []);
    const result = await session.run("os.write(4, b'x' * (80 << 20))");
    expect(result).toMatchObject({ images: [], terminated: true });
    expect(result.stderr).toMatch(/reply line over \d+ bytes/);
    await expectBystanderWorks();
  });

  it("positive control: real images still pass, byte for byte what the driver made", async () => {
    const session = await launcher.start("real-images", []);
    const result = await session.run("display(Image.new('RGB', (64, 64), (10, 200, 30)))\nprint('drawn')");
    expect(result.success).toBe(true);
    expect(result.images).toHaveLength(1);
    expect(result.images[0]?.startsWith(PNG_DATA_URI_PREFIX)).toBe(true);
    expect(result.stderr).toBe("");
    await session.close();
  });
});

describe("containment layers (findings 4-6)", () => {
  it("reports seccomp, the inode cap and the oom floor in the sandbox report", () => {
    expect(launcher.sandbox.seccomp).toBe(true);
    const names = launcher.sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name);
    expect(names).toContain("seccomp syscall filter");
    expect(names).toContain("per-call sweep of leftover processes");
    expect(launcher.sandbox.inodeCap).toBe(process.getuid?.() === 0);
    expect(launcher.sandbox.oomLocked).toBe(true);
  });

  it("seccomp: keyrings, io_uring, ptrace, unshare, perf, bpf and x32 fail with EPERM; ordinary calls work", async () => {
    const arch: SeccompArch = process.arch === "arm64" ? "aarch64" : "x86_64";
    const nr = SYSCALL_NUMBERS[arch];
    const session = await launcher.start("seccomp", []);
    const script = [
      "import ctypes, json, threading, subprocess",
      "libc = ctypes.CDLL(None, use_errno=True)",
      "libc.syscall.restype = ctypes.c_long",
      "def sc(n, *a):",
      "    ctypes.set_errno(0)",
      "    r = libc.syscall(n, *[ctypes.c_long(x) for x in a])",
      "    return 'ok' if r >= 0 else ctypes.get_errno()",
      "out = {}",
      `out['keyctl'] = sc(${nr.keyctl}, 0, -4, 0)`,
      `out['add_key'] = sc(${nr.add_key}, 0, 0, 0, 0, -4)`,
      `out['request_key'] = sc(${nr.request_key}, 0, 0, 0, -4)`,
      `out['io_uring_setup'] = sc(${nr.io_uring_setup}, 1, 0)`,
      `out['ptrace'] = sc(${nr.ptrace}, 0, 0, 0, 0)`,
      `out['unshare'] = sc(${nr.unshare}, 0x10000000)`,
      `out['perf_event_open'] = sc(${nr.perf_event_open}, 0, 0, -1, -1, 0)`,
      `out['bpf'] = sc(${nr.bpf}, 0, 0, 0)`,
      `out['mount'] = sc(${nr.mount}, 0, 0, 0, 0, 0)`,
      arch === "x86_64" ? "out['x32_getpid'] = sc(0x40000000 | 39)" : "out['x32_getpid'] = 1",
      "t = threading.Thread(target=lambda: out.__setitem__('thread', 'ok'))",
      "t.start(); t.join()",
      "out['subprocess'] = subprocess.run(['echo', 'hi'], capture_output=True, text=True).stdout",
      "out['getpid'] = os.getpid() > 0",
      "out['seccomp'] = [l for l in open('/proc/self/status') if l.startswith('Seccomp:')][0].split()[1]",
      "print(json.dumps(out, sort_keys=True))",
    ].join("\n");
    const result = await session.run(script);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      keyctl: 1,
      add_key: 1,
      request_key: 1,
      io_uring_setup: 1,
      ptrace: 1,
      unshare: 1,
      perf_event_open: 1,
      bpf: 1,
      mount: 1,
      x32_getpid: 1,
      thread: "ok",
      subprocess: "hi\n",
      getpid: true,
      seccomp: "2",
    });
    await session.close();
  });

  it("a call's forked busy children are gone when it returns; the session and its variables stay", async () => {
    const session = await launcher.start("sweep", []);
    const started = await session.run(
      [
        "import os",
        "kept = 'still here'",
        "child = os.fork()",
        "if child == 0:",
        "    if os.fork() == 0:",
        "        while True:",
        "            pass",
        "    while True:",
        "        pass",
        "import time",
        "time.sleep(0.3)",
        "during = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())",
        "print(len(during) >= 4)",
      ].join("\n"),
    );
    expect(started.stdout).toBe("True\n"); // positive control: the busy processes ran during the call
    const after = await session.run(
      "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), os.path.exists(f'/proc/{child}'), kept)",
    );
    // Only bwrap's init (1) and the driver (2) are left in the sandbox's pid namespace.
    expect(after.stdout).toBe("[1, 2] False still here\n");
    const again = await session.run(
      "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(os.waitpid(pid, 0)[1])",
    );
    expect(again.stdout).toBe("0\n");
    await session.close();
    await expectBystanderWorks();
  });

  it("inodes: a file flood stops at the session's cap, a normal number of files works", async () => {
    if (!launcher.sandbox.inodeCap) {
      // Reported as a degraded layer (not root): nothing to enforce here.
      expect(launcher.sandbox.layers.find((l) => l.name.startsWith("inode cap"))?.active).toBe(false);
      return;
    }
    const session = await launcher.start("inode-flood", []);
    const flood = [
      "def flood(where, n):",
      "    made = 0",
      "    try:",
      "        for i in range(n):",
      "            open(f'{where}/f{i}', 'w').close()",
      "            made += 1",
      "    except OSError as e:",
      "        return made, e.errno",
      "    return made, None",
      `print(os.statvfs('/tmp').f_files, flood('.', 1000), flood('/dev/shm', 1000))`,
    ].join("\n");
    const result = await session.run(flood);
    const match = /^(\d+) \((\d+), (\d+)\) \((\d+), (\d+)\)\n$/.exec(result.stdout);
    expect(match, result.stdout + result.stderr).not.toBeNull();
    const [, files, made, errno, shmMade, shmErrno] = (match as RegExpExecArray).map(Number);
    expect(files).toBe(LIMITS.inodes);
    expect(made).toBeLessThan(LIMITS.inodes);
    expect(errno).toBe(28); // ENOSPC
    expect(shmMade).toBeLessThan(LIMITS.inodes);
    expect(shmErrno).toBe(28);
    const normal = await launcher.start("inode-normal", []);
    const ok = await normal.run(`${flood.split("\nprint")[0]}\nprint(flood('.', 100))`);
    expect(ok.stdout).toBe("(100, None)\n");
    await Promise.all([session.close(), normal.close()]);
    await expectBystanderWorks();
  });

  it("oom_score_adj: user code cannot lower it from 1000, neither the driver nor a child", async () => {
    const session = await launcher.start("oom", []);
    const result = await session.run(
      [
        "def lower():",
        "    try:",
        "        with open('/proc/self/oom_score_adj', 'w') as f:",
        "            f.write('0')",
        "        return 'lowered'",
        "    except OSError as e:",
        "        return e.errno",
        "import subprocess",
        "child = subprocess.run(['sh', '-c', 'echo 0 > /proc/self/oom_score_adj; cat /proc/self/oom_score_adj'], capture_output=True, text=True)",
        "print(lower(), open('/proc/self/oom_score_adj').read().strip(), child.stdout.strip())",
      ].join("\n"),
    );
    // positive control: the value is readable, and 1000
    expect(result.stdout).toBe("30 1000 1000\n"); // EROFS: /proc is read-only inside
    await session.close();
  });

  it("leaves no sandbox process behind after close", async () => {
    await expectBystanderWorks();
    await launcher.close();
    expect(sandboxPids()).toEqual([]);
  });
});
