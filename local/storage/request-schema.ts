import type { z } from "zod";
import { badRequest } from "./errors.js";

/** Parses a decoded JSON body with `schema`, or throws a 400 "Invalid <what>: <field>: <problem>; …". */
export function parseRequest<S extends z.ZodType>(schema: S, json: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    throw badRequest(`Invalid ${what}: ${issues}`);
  }
  return parsed.data;
}
