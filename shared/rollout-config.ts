import * as z from "zod";

/**
 * A bake time as a duration string: a whole number and one unit, `s`, `m`, `h` or `d` (`"30m"`, `"2h"`). A strict
 * regular expression rather than the `ms` package: `ms` also takes `"1.5 hours"`, `"-3d"` and `"100"` (millis),
 * which in a rollout configuration are more likely mistakes than intentions, and four units need no dependency.
 */
const durationPattern = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest bake: Cloud Tasks schedules at most 30 days ahead. */
export const maxBakeMs = 30 * unitMs.d;

/** Milliseconds in a duration string such as `"30m"`, or why it is not one. */
export function parseDuration(text: string): number | string {
  const match = durationPattern.exec(text);
  if (!match) return `"${text}" is not a duration: a whole number and a unit, s, m, h or d (e.g. "30m")`;
  const ms = Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
  return ms > maxBakeMs ? `"${text}" is longer than 30 days, the furthest Cloud Tasks schedules` : ms;
}

const Duration = z.string().superRefine((text, ctx) => {
  const parsed = parseDuration(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

/** One step of a progressive rollout: the candidate's share, and what must happen before it is verified there. */
export const RolloutStepConfig = z.strictObject({
  /** The candidate's share of the endpoint's traffic at this step (the others keep the rest in proportion). */
  traffic: z.number().int().min(1).max(100),
  /** Least time at this share before it is verified (`"30m"`), waited out by a scheduled task. */
  bake: Duration.optional(),
  /** The rollout waits before this step until `modelgate promote` (someone in promotion.promoters). */
  approval: z.boolean().default(false),
  /** Golden lines verified at this step: the first N of the golden set; the whole set when absent. */
  sampleSize: z.number().int().min(1).optional(),
});

/** The model's rollout: its steps, and the confidence at which a step's sample must decide. */
export const RolloutConfig = z
  .strictObject({
    steps: z.array(RolloutStepConfig).min(1).max(20),
    /**
     * A step's verdict is `inconclusive` when the accuracy gates' confidence intervals at this level straddle
     * their limits (docs/verification.md).
     */
    confidence: z.number().gt(0.5).lt(1).default(0.95),
  })
  .superRefine((rollout, ctx) => {
    rollout.steps.forEach((step, i) => {
      const before = rollout.steps[i - 1];
      if (before && step.traffic <= before.traffic) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "traffic"],
          message: `must be more than the step before's ${before.traffic}: shares only increase`,
        });
      }
    });
    const last = rollout.steps.at(-1);
    if (last && last.traffic !== 100) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", rollout.steps.length - 1, "traffic"],
        message: `the last step must give the candidate 100, not ${last.traffic}`,
      });
    }
  });

export type RolloutStepConfig = z.infer<typeof RolloutStepConfig>;
export type RolloutConfig = z.infer<typeof RolloutConfig>;
