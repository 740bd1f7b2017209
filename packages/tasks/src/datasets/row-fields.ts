import type { ToolNecessity } from "@hdpo/core";
import { DatasetError } from "../tasks-error";

/** Reads typed fields of one raw row, throwing a DatasetError that names the file, row and column. */
export class RowFields {
  constructor(
    private readonly file: string,
    readonly row: number,
    private readonly record: Record<string, unknown>,
  ) {}

  fail(column: string | undefined, problem: string): never {
    throw new DatasetError(this.file, this.row, column, problem);
  }

  has(column: string): boolean {
    const value = this.record[column];
    return value !== undefined && value !== null && value !== "";
  }

  raw(column: string): unknown {
    return this.record[column];
  }

  /** An id: a non-empty string, or a number (as its decimal text). */
  id(column: string): string {
    const value = this.record[column];
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    if (typeof value === "string" && value.trim() !== "") return value;
    return this.fail(column, `expected a non-empty string or number id, got ${describe(value)}`);
  }

  string(column: string): string {
    const value = this.record[column];
    if (typeof value === "string") return value;
    return this.fail(column, `expected a string, got ${describe(value)}`);
  }

  optionalString(column: string): string | undefined {
    return this.has(column) ? this.scalarText(column) : undefined;
  }

  /** A string; numbers are taken as their text (spreadsheets turn "42" into 42). */
  scalarText(column: string): string {
    const value = this.record[column];
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
      return String(value);
    return this.fail(column, `expected a string, got ${describe(value)}`);
  }

  /** A ground truth: a string, or a non-empty list of acceptable strings. */
  answer(column: string): string | string[] {
    const value = this.record[column];
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
      return String(value);
    if (Array.isArray(value) && value.length > 0) {
      return value.map((item, i) => {
        if (typeof item === "string") return item;
        if (typeof item === "number") return String(item);
        return this.fail(
          column,
          `expected item ${i} of the answer list to be a string, got ${describe(item)}`,
        );
      });
    }
    return this.fail(
      column,
      `expected a string or a non-empty list of acceptable strings, got ${describe(value)}`,
    );
  }

  /** A JSON object (not an array, not null). */
  object(column: string): Record<string, unknown> {
    const value = this.record[column];
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    return this.fail(column, `expected an object, got ${describe(value)}`);
  }

  optionalStringList(column: string): string[] | undefined {
    if (!this.has(column)) return undefined;
    const value = this.record[column];
    if (!Array.isArray(value)) return this.fail(column, `expected a list of strings, got ${describe(value)}`);
    return value.map((item, i) =>
      typeof item === "string"
        ? item
        : this.fail(column, `expected item ${i} to be a string, got ${describe(item)}`),
    );
  }

  optionalToolNecessity(column: string): ToolNecessity | undefined {
    if (!this.has(column)) return undefined;
    const value = this.record[column];
    if (value === "required" || value === "unnecessary" || value === "unknown") return value;
    return this.fail(column, `expected "required" or "unnecessary", got ${describe(value)}`);
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing (the column is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "string")
    return value.length > 40 ? `the string "${value.slice(0, 40)}…"` : `"${value}"`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
