/**
 * The seccomp program every bwrap sandbox runs under (`bwrap --seccomp FD`): a classic-BPF filter, as the
 * kernel's `struct sock_filter[]` in host byte order (little-endian on both supported architectures).
 *
 * Why a deny list and not an allow list: Python, numpy, matplotlib and whatever a model runs through
 * `subprocess` use a large, changing set of syscalls; an allow list would break ordinary code in ways the
 * reference never does. What is denied is kernel surface that no computation needs and that has a history of
 * escapes or cross-session leaks: keyrings (persist per uid across sessions), io_uring, ptrace and process_vm_*,
 * perf/bpf, namespace and mount calls (nested sandboxes hand out capabilities), modules, kexec, clock and
 * host-wide administration. Denied calls fail with EPERM, so code that probes them sees an ordinary error.
 */

/** `struct seccomp_data` offsets: nr, arch, args[0] (low 32 bits on little-endian). */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 syscalls are x86_64 numbers with this bit set; they reach the same kernel code, so they are denied whole. */
const X32_SYSCALL_BIT = 0x40000000;

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;

export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

/** Namespace flags of clone(2): creating any namespace is denied (CLONE_NEWTIME shares bits with CSIGNAL there). */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 | // CLONE_NEWNS
  0x02000000 | // CLONE_NEWCGROUP
  0x04000000 | // CLONE_NEWUTS
  0x08000000 | // CLONE_NEWIPC
  0x10000000 | // CLONE_NEWUSER
  0x20000000 | // CLONE_NEWPID
  0x40000000; // CLONE_NEWNET

/** personality(2) values the kernel's own defaults use; others (e.g. ADDR_NO_RANDOMIZE) are denied. */
export const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;

/** Denied syscalls by name; numbers per architecture below. */
export const DENIED_SYSCALLS = [
  "keyctl",
  "add_key",
  "request_key",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "process_madvise",
  "pidfd_getfd",
  "kcmp",
  "perf_event_open",
  "bpf",
  "userfaultfd",
  "unshare",
  "setns",
  "mount",
  "umount2",
  "pivot_root",
  "open_tree",
  "move_mount",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "mount_setattr",
  "open_by_handle_at",
  "name_to_handle_at",
  "fanotify_init",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "syslog",
  "acct",
  "swapon",
  "swapoff",
  "reboot",
  "settimeofday",
  "clock_settime",
  "clock_adjtime",
  "adjtimex",
  "quotactl",
  "quotactl_fd",
  "vhangup",
  "lookup_dcookie",
  "sethostname",
  "setdomainname",
  "nfsservctl",
  "iopl",
  "ioperm",
  "uselib",
  "_sysctl",
  "create_module",
  "get_kernel_syms",
  "query_module",
] as const;

export type DeniedSyscall = (typeof DENIED_SYSCALLS)[number];
export type SeccompArch = "x86_64" | "aarch64";

/** Syscall numbers (x86_64: asm/unistd_64.h; aarch64: asm-generic/unistd.h); absent where the arch lacks it. */
export const SYSCALL_NUMBERS: Record<
  SeccompArch,
  Partial<Record<DeniedSyscall | "clone" | "clone3" | "personality", number>>
> = {
  x86_64: {
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    process_madvise: 440,
    pidfd_getfd: 438,
    kcmp: 312,
    perf_event_open: 298,
    bpf: 321,
    userfaultfd: 323,
    unshare: 272,
    setns: 308,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    fanotify_init: 300,
    kexec_load: 246,
    kexec_file_load: 320,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    syslog: 103,
    acct: 163,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    settimeofday: 164,
    clock_settime: 227,
    clock_adjtime: 305,
    adjtimex: 159,
    quotactl: 179,
    quotactl_fd: 443,
    vhangup: 153,
    lookup_dcookie: 212,
    sethostname: 170,
    setdomainname: 171,
    nfsservctl: 180,
    iopl: 172,
    ioperm: 173,
    uselib: 134,
    _sysctl: 156,
    create_module: 174,
    get_kernel_syms: 177,
    query_module: 178,
    clone: 56,
    clone3: 435,
    personality: 135,
  },
  aarch64: {
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    process_madvise: 440,
    pidfd_getfd: 438,
    kcmp: 272,
    perf_event_open: 241,
    bpf: 280,
    userfaultfd: 282,
    unshare: 97,
    setns: 268,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    fanotify_init: 262,
    kexec_load: 104,
    kexec_file_load: 294,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    syslog: 116,
    acct: 89,
    swapon: 224,
    swapoff: 225,
    reboot: 142,
    settimeofday: 170,
    clock_settime: 112,
    clock_adjtime: 266,
    adjtimex: 171,
    quotactl: 60,
    quotactl_fd: 443,
    vhangup: 58,
    lookup_dcookie: 18,
    sethostname: 161,
    setdomainname: 162,
    nfsservctl: 42,
    clone: 220,
    clone3: 435,
    personality: 92,
  },
};

/** One `struct sock_filter`. `jt`/`jf` are label names until assembly resolves them to forward offsets. */
interface Instruction {
  code: number;
  jt: number | string;
  jf: number | string;
  k: number;
  label?: string;
}

const op = (code: number, k: number, jt: number | string = 0, jf: number | string = 0): Instruction => ({
  code,
  jt,
  jf,
  k: k >>> 0,
});

function archBlock(arch: SeccompArch): Instruction[] {
  const numbers = SYSCALL_NUMBERS[arch];
  const deny = `${arch}-deny`;
  const out: Instruction[] = [op(BPF_LD_W_ABS, OFFSET_NR)];
  if (arch === "x86_64") out.push(op(BPF_JSET_K, X32_SYSCALL_BIT, deny, 0));
  for (const name of DENIED_SYSCALLS) {
    const nr = numbers[name];
    if (nr !== undefined) out.push(op(BPF_JEQ_K, nr, deny, 0));
  }
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library fall back to clone.
  out.push(op(BPF_JEQ_K, numbers.clone3 as number, `${arch}-enosys`, 0));
  out.push(op(BPF_JEQ_K, numbers.clone as number, `${arch}-clone`, 0));
  out.push(op(BPF_JEQ_K, numbers.personality as number, `${arch}-personality`, 0));
  out.push(op(BPF_RET_K, SECCOMP_RET_ALLOW));
  const clone = op(BPF_LD_W_ABS, OFFSET_ARG0_LOW);
  clone.label = `${arch}-clone`;
  out.push(clone, op(BPF_JSET_K, CLONE_NAMESPACE_FLAGS, deny, 0), op(BPF_RET_K, SECCOMP_RET_ALLOW));
  const personality = op(BPF_LD_W_ABS, OFFSET_ARG0_LOW);
  personality.label = `${arch}-personality`;
  out.push(personality);
  for (const value of ALLOWED_PERSONALITIES) out.push(op(BPF_JEQ_K, value, `${arch}-allow`, 0));
  const denied = op(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM);
  denied.label = deny;
  const enosys = op(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS);
  enosys.label = `${arch}-enosys`;
  const allow = op(BPF_RET_K, SECCOMP_RET_ALLOW);
  allow.label = `${arch}-allow`;
  out.push(denied, enosys, allow);
  return out;
}

/** Resolves label jumps to forward offsets; classic BPF only jumps forward, by at most 255. */
function assemble(instructions: Instruction[]): Buffer {
  const at = new Map<string, number>();
  instructions.forEach((instruction, index) => {
    if (instruction.label) at.set(instruction.label, index);
  });
  const resolve = (target: number | string, index: number): number => {
    if (typeof target === "number") return target;
    const position = at.get(target);
    if (position === undefined) throw new Error(`seccomp program: unknown label ${target}`);
    const offset = position - index - 1;
    if (offset < 0 || offset > 255)
      throw new Error(`seccomp program: jump to ${target} out of range (${offset})`);
    return offset;
  };
  const bytes = Buffer.alloc(instructions.length * 8);
  instructions.forEach((instruction, index) => {
    bytes.writeUInt16LE(instruction.code, index * 8);
    bytes.writeUInt8(resolve(instruction.jt, index), index * 8 + 2);
    bytes.writeUInt8(resolve(instruction.jf, index), index * 8 + 3);
    bytes.writeUInt32LE(instruction.k, index * 8 + 4);
  });
  return bytes;
}

let cached: Buffer | undefined;

/**
 * The filter: x86_64 and aarch64 syscalls are checked against the deny list; any other architecture (i386 via
 * `int 0x80` on x86_64, arm32 compat) is refused whole, since its numbers differ and nothing here needs it.
 */
export function seccompProgram(): Buffer {
  if (!cached) {
    const program: Instruction[] = [
      op(BPF_LD_W_ABS, OFFSET_ARCH),
      op(BPF_JEQ_K, AUDIT_ARCH_X86_64, "x86_64", 0),
      op(BPF_JEQ_K, AUDIT_ARCH_AARCH64, "aarch64", 0),
      op(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM),
    ];
    const x86 = archBlock("x86_64");
    (x86[0] as Instruction).label = "x86_64";
    const arm = archBlock("aarch64");
    (arm[0] as Instruction).label = "aarch64";
    cached = assemble([...program, ...x86, ...arm]);
  }
  return Buffer.from(cached);
}

/** The kernel's architecture tokens, for tests and detection. */
export const SECCOMP_ARCH = { x86_64: AUDIT_ARCH_X86_64, aarch64: AUDIT_ARCH_AARCH64 } as const;
