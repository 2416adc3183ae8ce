import type { AppError, Result } from "../bindings";

/** A failure from the core, with its stable code for the UI to switch on. */
export class IpcError extends Error {
  readonly code: AppError["code"];

  constructor(error: AppError) {
    super(error.message);
    this.name = "IpcError";
    this.code = error.code;
  }
}

/** Turns a command's `Result` into a value, or throws its coded error. */
export async function unwrap<T>(pending: Promise<Result<T, AppError>>): Promise<T> {
  const result = await pending;
  if (result.status === "error") throw new IpcError(result.error);
  return result.data;
}

/** Any thrown value as `{code, message}`, for display. */
export function asAppError(thrown: unknown): AppError {
  if (thrown instanceof IpcError) return { code: thrown.code, message: thrown.message };
  if (isAppError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: "internal", message };
}

function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}
