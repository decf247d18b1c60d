/** Cloud Logging severities (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity). */
export const Severity = {
  debug: "DEBUG",
  info: "INFO",
  notice: "NOTICE",
  warning: "WARNING",
  error: "ERROR",
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export interface LogContext {
  functionName?: string;
  correlationId?: string;
  /** `projects/<project>/traces/<trace-id>`, from a trace header that came in. */
  trace?: string;
  spanId?: string;
  [key: string]: unknown;
}

export type LogSink = (line: string) => void;

/** A structured logger: one JSON object per line, in the shape Cloud Logging's agent parses. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields (correlation id, trace…) to every line. */
  child(context: LogContext): Logger;
}

const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Creates a logger writing Cloud Logging JSON lines to `sink` (stdout by default). */
export function createLogger(context: LogContext = {}, sink: LogSink = stdoutSink): Logger {
  const write = (severity: Severity, message: string, fields?: Record<string, unknown>) => {
    const { trace, spanId, ...rest } = context;
    const entry: Record<string, unknown> = {
      severity,
      message,
      time: new Date().toISOString(),
      ...rest,
      ...fields,
    };
    if (trace) entry["logging.googleapis.com/trace"] = trace;
    if (spanId) entry["logging.googleapis.com/spanId"] = spanId;
    sink(safeStringify(entry));
  };
  return {
    debug: (m, f) => write(Severity.debug, m, f),
    info: (m, f) => write(Severity.info, m, f),
    notice: (m, f) => write(Severity.notice, m, f),
    warn: (m, f) => write(Severity.warning, m, f),
    error: (m, f) => write(Severity.error, m, f),
    child: (more) => createLogger({ ...context, ...more }, sink),
  };
}

// W3C Trace Context: version 00–fe (ff is invalid), a trace id and a parent id that are not all zeros, flags.
const traceparentPattern = /^(?!ff)[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-[0-9a-f]{2}$/;
// Google's header: TRACE_ID/SPAN_ID;o=OPTIONS, the span id a decimal unsigned 64-bit number.
const cloudTracePattern = /^(?!0{32})([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=[01])?$/;
const maxSpanId = 2n ** 64n - 1n;

/**
 * Reads a trace id from `traceparent` (W3C) or `X-Cloud-Trace-Context` and formats it the way Cloud Logging
 * links log lines to traces. Returns {} when there is no well-formed header or no project. A trace header is
 * whatever the caller says: HTTP functions call this only once the request is authenticated, so a stranger
 * cannot attach lines to someone else's trace.
 */
export function traceContext(
  headers: Record<string, string | string[] | undefined>,
  project: string | undefined,
): Pick<LogContext, "trace" | "spanId"> {
  if (!project) return {};
  const header = (name: string) => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const value = key === undefined ? undefined : headers[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const w3c = header("traceparent")?.match(traceparentPattern);
  if (w3c?.[1] && w3c[2]) return { trace: `projects/${project}/traces/${w3c[1]}`, spanId: w3c[2] };
  const cloud = header("x-cloud-trace-context")?.match(cloudTracePattern);
  if (cloud?.[1]) {
    const span = cloud[2] === undefined ? undefined : BigInt(cloud[2]);
    return {
      trace: `projects/${project}/traces/${cloud[1].toLowerCase()}`,
      ...(span !== undefined && span > 0n && span <= maxSpanId
        ? { spanId: span.toString(16).padStart(16, "0") }
        : {}),
    };
  }
  return {};
}

function safeStringify(entry: Record<string, unknown>): string {
  return JSON.stringify(entry, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message };
    return value;
  });
}
