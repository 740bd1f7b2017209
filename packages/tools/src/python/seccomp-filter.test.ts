import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ALLOWED_PERSONALITIES,
  CLONE_NAMESPACE_FLAGS,
  DENIED_SYSCALLS,
  SECCOMP_ARCH,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  type SeccompArch,
  SYSCALL_NUMBERS,
  seccompProgram,
} from "./seccomp-filter";

const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;

/**
 * A classic-BPF interpreter for the subset seccomp programs use, strict like the kernel's checker: every
 * instruction must be known, every jump must land inside the program, and every path must end in a return.
 */
function runFilter(program: Buffer, data: { nr: number; arch: number; args?: number[] }): number {
  expect(program.length % 8).toBe(0);
  const count = program.length / 8;
  expect(count).toBeLessThanOrEqual(4096);
  const word = (offset: number): number => {
    if (offset === 0) return data.nr >>> 0;
    if (offset === 4) return data.arch >>> 0;
    if (offset >= 16 && offset < 64 && offset % 8 === 0) return (data.args?.[(offset - 16) / 8] ?? 0) >>> 0;
    if (offset >= 16 && offset < 64 && offset % 8 === 4) return 0;
    throw new Error(`load from offset ${offset} outside seccomp_data`);
  };
  let accumulator = 0;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} fell off the program`);
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: // ld [k]
        accumulator = word(k);
        pc += 1;
        break;
      case 0x15: // jeq #k
        pc += 1 + (accumulator === k ? jt : jf);
        break;
      case 0x45: // jset #k
        pc += 1 + ((accumulator & k) >>> 0 !== 0 ? jt : jf);
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`unknown opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("no return within 10000 steps");
}

const program = seccompProgram();
const ARCHES: SeccompArch[] = ["x86_64", "aarch64"];

describe("seccompProgram", () => {
  it("denies every listed syscall with EPERM on both architectures", () => {
    for (const arch of ARCHES) {
      for (const name of DENIED_SYSCALLS) {
        const nr = SYSCALL_NUMBERS[arch][name];
        if (nr === undefined) continue;
        expect(runFilter(program, { arch: SECCOMP_ARCH[arch], nr }), `${arch} ${name}`).toBe(EPERM);
      }
    }
  });

  it("allows every other syscall number (positive control over the whole table)", () => {
    for (const arch of ARCHES) {
      const denied = new Set(Object.values(SYSCALL_NUMBERS[arch]));
      for (let nr = 0; nr < 512; nr++) {
        if (denied.has(nr)) continue;
        expect(runFilter(program, { arch: SECCOMP_ARCH[arch], nr }), `${arch} ${nr}`).toBe(SECCOMP_RET_ALLOW);
      }
    }
  });

  it("denies x32 syscalls and unknown architectures (i386 via int 0x80) whole", () => {
    expect(runFilter(program, { arch: SECCOMP_ARCH.x86_64, nr: 0x40000000 | 39 })).toBe(EPERM);
    expect(runFilter(program, { arch: SECCOMP_ARCH.x86_64, nr: 0x40000000 | 512 })).toBe(EPERM);
    expect(runFilter(program, { arch: 0x40000003, nr: 20 })).toBe(EPERM);
  });

  it("lets clone fork and spawn threads but not create namespaces; clone3 falls back with ENOSYS", () => {
    for (const arch of ARCHES) {
      const clone = SYSCALL_NUMBERS[arch].clone as number;
      const at = SECCOMP_ARCH[arch];
      expect(runFilter(program, { arch: at, nr: clone, args: [17] })).toBe(SECCOMP_RET_ALLOW); // fork: SIGCHLD
      expect(runFilter(program, { arch: at, nr: clone, args: [0x3d0f00] })).toBe(SECCOMP_RET_ALLOW); // a thread
      for (let bit = 0; bit < 32; bit++) {
        const flag = (1 << bit) >>> 0;
        if ((CLONE_NAMESPACE_FLAGS & flag) === 0) continue;
        expect(runFilter(program, { arch: at, nr: clone, args: [flag | 17] })).toBe(EPERM);
      }
      expect(runFilter(program, { arch: at, nr: SYSCALL_NUMBERS[arch].clone3 as number })).toBe(ENOSYS);
    }
  });

  it("allows only the default personalities", () => {
    for (const arch of ARCHES) {
      const nr = SYSCALL_NUMBERS[arch].personality as number;
      for (const value of ALLOWED_PERSONALITIES) {
        expect(runFilter(program, { arch: SECCOMP_ARCH[arch], nr, args: [value] })).toBe(SECCOMP_RET_ALLOW);
      }
      expect(runFilter(program, { arch: SECCOMP_ARCH[arch], nr, args: [0x0040000] })).toBe(EPERM); // ADDR_NO_RANDOMIZE
    }
  });

  it("uses the numbers of this host's kernel headers where they are installed", () => {
    const headers: [SeccompArch, string, string][] = [
      ["x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "__NR_"],
      ["aarch64", "/usr/include/asm-generic/unistd.h", "__NR(3264)?_"],
    ];
    let checked = 0;
    let read = 0;
    for (const [arch, path, prefix] of headers) {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
        read += 1;
      } catch {
        continue;
      }
      for (const [name, nr] of Object.entries(SYSCALL_NUMBERS[arch])) {
        const match = new RegExp(`#define ${prefix}${name}\\s+(\\d+)`).exec(text);
        if (match) {
          expect(Number(match[2] ?? match[1]), `${arch} ${name}`).toBe(nr);
          checked += 1;
        }
      }
    }
    if (read === 0) console.warn("no kernel headers here: syscall numbers checked only by the sandbox test");
    else expect(checked).toBeGreaterThan(40 * read);
  });
});
