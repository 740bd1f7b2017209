/** The reference's refusal text (Metis `check_forbidden_imports`). */
export const REFERENCE_BLOCKED_TEXT =
  "Execution blocked: Code contains potentially dangerous operations or imports.";

const FORBIDDEN_MODULES = [
  "subprocess",
  "multiprocessing",
  "threading",
  "socket",
  "psutil",
  "resource",
  "ctypes",
];
const DANGEROUS_CALLS = [
  "os.system",
  "os.popen",
  "os.spawn",
  "os.fork",
  "os.exec",
  "sys.exit",
  "os._exit",
  "os.kill",
];

/**
 * The reference's substring blocklist, kept for fidelity (a trainer may count its refusals). It is NOT a
 * sandbox (`__import__("sub"+"process")` passes it); the OS sandbox is what contains hostile code.
 * Returns the reference's "Execution blocked: ..." text when the code would have been refused, else undefined.
 */
export function checkReferenceBlocklist(code: string): string | undefined {
  for (const name of FORBIDDEN_MODULES) {
    if (code.includes(`import ${name}`) || code.includes(`from ${name}`)) return REFERENCE_BLOCKED_TEXT;
  }
  for (const pattern of DANGEROUS_CALLS) {
    if (code.includes(pattern)) return REFERENCE_BLOCKED_TEXT;
  }
  return undefined;
}
