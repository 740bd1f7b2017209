/**
 * A state (checkpoint) name as the Tinker API takes it: `^[a-zA-Z0-9_-]+$`, at most 255 characters. Both learners
 * hold their names to it, so a name that works in process works on a server too.
 */
export function isStateName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 /* _ */ ||
      c === 45; /* - */
    if (!ok) return false;
  }
  return true;
}
