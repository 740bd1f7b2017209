/** A setting's value from the command line or the environment: JSON when it is JSON, else the bare word. */
export function parseSettingValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
