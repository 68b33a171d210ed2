/** Errors the SDK raises only when the client was made with `failSilently: false`. */
export class SentrialError extends Error {
  override name = "SentrialError";
}

/** A wrong argument (a missing session id, a negative count, ...). */
export class ValidationError extends SentrialError {
  override name = "ValidationError";
}

/** An option or environment variable that cannot be used. */
export class ConfigurationError extends SentrialError {
  override name = "ConfigurationError";
}
