/** google.protobuf.Duration / Timestamp as proto-loader decodes them (int64 seconds as a string). */
export interface ProtoSeconds {
  seconds?: string | number | null;
  nanos?: number | null;
}

/** Milliseconds in a Duration, or undefined when the field is unset. */
export function durationToMs(duration: ProtoSeconds | null | undefined): number | undefined {
  if (!duration) return undefined;
  const seconds = Number(duration.seconds ?? 0);
  const nanos = Number(duration.nanos ?? 0);
  return seconds * 1000 + nanos / 1e6;
}

/** A Duration for the given milliseconds (sub-second values kept in nanos). */
export function msToDuration(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** A Timestamp for a Date. */
export function dateToTimestamp(date: Date): { seconds: string; nanos: number } {
  return msToDuration(date.getTime());
}
