/** A google.protobuf.Timestamp object (int64 seconds as a string, as proto-loader is configured). */
export interface ProtoTimestamp {
  seconds: string;
  nanos: number;
}

/** The Timestamp for `ms` since the epoch (default: now). */
export function timestamp(ms: number = Date.now()): ProtoTimestamp {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
