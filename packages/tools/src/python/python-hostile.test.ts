import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesOfUid } from "./process-tree";
import { createPythonLauncher, type PythonLauncher } from "./python-launcher";
import { formatPythonObservation } from "./python-observation";
import type { PythonSession } from "./python-session";
import { sandboxPids, testInterpreter } from "./python-test-support";
import { detectSandbox } from "./sandbox-detect";

// Raw model code straight into the sandbox: the reference's substring blocklist is deliberately NOT in front.
const SECRET = "sk-hdpo-hostile-test-secret-6d1f";
const LIMITS = {
  memoryBytes: 512 * 1024 ** 2,
  processes: 32,
  outputBytes: 64 * 1024,
  diskBytes: 8 * 1024 ** 2,
};

let launcher: PythonLauncher;
let bystander: PythonSession;
let hostDir: string;
let hostFile: string;
let server: Server;
let serverPort: number;
let serverConnections = 0;

/** The unrelated session every case checks afterwards: it must keep its state and answer. */
async function expectBystanderWorks(): Promise<void> {
  const result = await bystander.run("counter += 1\nprint(counter, open('keep.txt').read())");
  expect(result.success).toBe(true);
  expect(result.stdout).toMatch(/^\d+ bystander data\n$/);
}

beforeAll(async () => {
  process.env.HDPO_HOSTILE_SECRET = SECRET;
  hostDir = await mkdtemp(join(tmpdir(), "hdpo-hostile-host-"));
  hostFile = join(hostDir, "host-only.txt");
  await writeFile(hostFile, "host secret file");
  server = createServer((socket) => {
    serverConnections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverPort = (server.address() as { port: number }).port;
  launcher = await createPythonLauncher({
    interpreter: await testInterpreter(),
    // The hostile suite needs the real sandbox: without bubblewrap it fails here, it never skips.
    sandbox: await detectSandbox({ require: "strict" }),
    limits: LIMITS,
    prewarm: 1,
  });
  bystander = await launcher.start("bystander", []);
  await bystander.run("counter = 0\nopen('keep.txt', 'w').write('bystander data')");
});

afterAll(async () => {
  delete process.env.HDPO_HOSTILE_SECRET;
  await launcher?.close();
  await new Promise((resolve) => server?.close(resolve));
  await rm(hostDir, { recursive: true, force: true });
});

describe("hostile code is contained and other sessions keep working", () => {
  it("infinite loop: the call times out, the session is killed, the reference's text is returned", async () => {
    const session = await launcher.start("loop", []);
    const result = await session.run("while True:\n    pass", { timeoutMs: 1500 });
    expect(result).toEqual({
      stdout: "",
      stderr: "Error: Execution timed out after 1.5 seconds and the kernel was terminated.",
      images: [],
      success: false,
      timedOut: true,
      terminated: true,
    });
    expect(session.alive).toBe(false);
    const observation = formatPythonObservation(result, "while True:\n    pass");
    expect(observation.obs).toBe(
      "Error: Execution timed out after 1.5 seconds and the kernel was terminated.",
    );
    expect(observation.timeout).toBe(true);
    await expectBystanderWorks();
  });

  it("fork bomb: processes are capped, everything dies with the session, nothing is left", async () => {
    const session = await launcher.start("forkbomb", []);
    const counted = await session.run(
      "import os, time\nmade = 0\nerror = None\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError as e:\n        error = e.errno\n        break\n    if pid == 0:\n        time.sleep(600)\n        os._exit(0)\n    made += 1\nprint(made, error)",
    );
    const [made, errno] = counted.stdout.trim().split(" ");
    expect(Number(made)).toBeLessThan(LIMITS.processes);
    expect(errno).toBe("11"); // EAGAIN: RLIMIT_NPROC
    const uid = Number((await session.run("os.getuid()")).stdout);
    const bomb = await session.run(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
      {
        timeoutMs: 2000,
      },
    );
    expect(bomb).toMatchObject({ timedOut: true, terminated: true });
    await expectBystanderWorks();
    await session.close();
    if (launcher.sandbox.uidDrop) expect(await processesOfUid(uid)).toEqual([]);
  });

  it("memory bomb: MemoryError at the address-space cap, the session survives", async () => {
    const session = await launcher.start("membomb", []);
    expect((await session.run("print(open('/proc/self/oom_score_adj').read())")).stdout).toBe("1000\n\n");
    const big = await session.run("x = bytearray(8 * 1024 ** 3)");
    expect(big.success).toBe(false);
    expect(big.stderr).toContain("MemoryError");
    const growing = await session.run(
      "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 1024 ** 2))",
    );
    expect(growing.success).toBe(false);
    expect(growing.stderr).toContain("MemoryError");
    const after = await session.run("chunks = None\nprint('still here')");
    expect(after.stdout).toBe("still here\n");
    await expectBystanderWorks();
    await session.close();
  });

  it("huge output: stdout and raw fd output are capped with a note", async () => {
    const session = await launcher.start("flood", []);
    const result = await session.run(
      "for i in range(300000):\n    print(i)\nos.write(1, b'y' * (4 * 1024 * 1024))",
    );
    expect(result.success).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(LIMITS.outputBytes + 200);
    expect(result.stdout).toMatch(/\[output truncated: \d+ more bytes were not kept/);
    await expectBystanderWorks();
    await session.close();
  });

  it("writing outside the session dir fails or stays inside the sandbox", async () => {
    const session = await launcher.start("escape-write", []);
    const script = [
      "results = []",
      "for path in ['/usr/evil.txt', '/etc/evil.txt', '/opt/hdpo/driver/evil.py', '/evil.txt', '/proc/evil.txt', '/dev/evil', '/opt/evil']:",
      "    try:",
      "        open(path, 'w').write('x')",
      "        results.append('wrote ' + path)",
      "    except OSError as e:",
      "        results.append(type(e).__name__)",
      "print(results)",
      `open(${JSON.stringify(join(hostDir, "planted.txt"))}, 'w').write('planted')`,
    ].join("\n");
    const result = await session.run(script);
    expect(result.stdout).not.toContain("wrote");
    // The host temp dir does not exist inside (its /tmp is a private tmpfs), so the write fails there.
    expect(existsSync(join(hostDir, "planted.txt"))).toBe(false);
    await expectBystanderWorks();
    await session.close();
  });

  it("secrets in the server's environment are not visible", async () => {
    expect(process.env.HDPO_HOSTILE_SECRET).toBe(SECRET);
    const session = await launcher.start("env-read", []);
    const result = await session.run(
      "import glob\nfound = [p for p in glob.glob('/proc/*/environ') if b'sk-hdpo' in open(p, 'rb').read()]\nprint(os.environ.get('HDPO_HOSTILE_SECRET'), found, sorted(os.environ))",
    );
    expect(result.stdout).toContain("None []");
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).not.toMatch(/API_KEY|TOKEN/);
    await expectBystanderWorks();
    await session.close();
  });

  it("sockets: neither the host's 127.0.0.1 services nor outside addresses are reachable", async () => {
    const session = await launcher.start("net", []);
    const script = [
      "import socket",
      "out = []",
      `for host, port in [('127.0.0.1', ${serverPort}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:`,
      "    s = socket.socket()",
      "    s.settimeout(2)",
      "    try:",
      "        s.connect((host, port))",
      "        out.append('connected')",
      "    except OSError as e:",
      "        out.append(e.errno)",
      "    s.close()",
      "print(out)",
    ].join("\n");
    const result = await session.run(script);
    expect(result.success).toBe(true);
    expect(result.stdout).not.toContain("connected");
    expect(serverConnections).toBe(0);
    await expectBystanderWorks();
    await session.close();
  });

  it("a spawned shell is confined too: no host files, no network", async () => {
    const session = await launcher.start("shell", []);
    const script = [
      "import subprocess",
      `r = subprocess.run(['sh', '-c', 'cat ${hostFile}; cat /etc/hostname; ls /root /home; id -u'], capture_output=True, text=True)`,
      "print(r.stdout)",
      `n = subprocess.run(['python3', '-c', 'import socket; socket.create_connection(("127.0.0.1", ${serverPort}), 2)'], capture_output=True, text=True)`,
      "print('net rc', n.returncode)",
      `print(os.system('cat ${hostFile}'))`,
      "u = subprocess.run(['unshare', '--user', '--map-root-user', 'id', '-u'], capture_output=True, text=True)",
      "print('userns rc', u.returncode, u.stdout.strip())",
    ].join("\n");
    const result = await session.run(script);
    expect(result.stdout).not.toContain("host secret file");
    expect(result.stdout).toContain("net rc 1");
    // no nested user namespace (which would give the shell root-like capabilities over new namespaces)
    expect(result.stdout).toMatch(/userns rc [1-9]\d* \n/);
    expect(result.stderr).toContain("No such file or directory");
    expect(serverConnections).toBe(0);
    await expectBystanderWorks();
    await session.close();
  });

  it("another session's directory is neither visible nor deletable", async () => {
    const victim = await launcher.start("victim", []);
    await victim.run("open('precious.txt', 'w').write('mine')");
    const attacker = await launcher.start("attacker", []);
    const result = await attacker.run(
      "import shutil\nprint(os.listdir('/tmp/metis_sessions'))\nshutil.rmtree('/tmp/metis_sessions/victim')",
    );
    expect(result.stdout).toBe("['attacker']\n");
    expect(result.stderr).toContain("FileNotFoundError");
    // kill(-1) reaches only the caller's own pid namespace, where nothing else runs.
    const killer = await attacker.run(
      "import signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError as e:\n    print('kill failed', e.errno)",
    );
    expect(killer.stdout).toBe("kill failed 3\n");
    expect((await victim.run("print(open('precious.txt').read())")).stdout).toBe("mine\n");
    await expectBystanderWorks();
    await Promise.all([victim.close(), attacker.close()]);
  });

  it("filling the disk hits ENOSPC at the session's cap; the host disk is untouched", async () => {
    const session = await launcher.start("diskfill", []);
    const script = [
      "written = 0",
      "errno = None",
      "try:",
      "    for i in range(1000):",
      "        with open(f'fill-{i}.bin', 'wb') as f:",
      "            f.write(b'0' * (1024 * 1024))",
      "        written += 1",
      "except OSError as e:",
      "    errno = e.errno",
      "print(written, errno)",
    ].join("\n");
    const result = await session.run(script);
    const [written, errno] = result.stdout.trim().split(" ");
    expect(errno).toBe("28"); // ENOSPC
    expect(Number(written)).toBeLessThanOrEqual(LIMITS.diskBytes / 1024 ** 2);
    expect(existsSync("/tmp/metis_sessions/diskfill/fill-0.bin")).toBe(false);
    await expectBystanderWorks();
    await session.close();
  });

  it("leaves no sandbox process behind after close", async () => {
    await launcher.close();
    expect(sandboxPids()).toEqual([]);
  });
});
