/**
 * `modelgate doctor` against the running local stack: the storage server's default port serves the grants the
 * three local servers enforce (`GET /_modelgate/grants`); they are compared, exactly, with the permission table.
 */
import { z } from "zod";
import { type Entitlement, entitlements, identityNames } from "../shared/permissions.js";
import { type DoctorReport, diffEntitlements } from "./doctor-report.js";

/** Kept in step with local/storage/request-handler.ts's `grantsPath` (the CLI does not load the local servers). */
export const localGrantsPath = "/_modelgate/grants";

const grantsDocument = z.object({
  enforced: z.boolean(),
  identities: z.record(z.string(), z.object({ storage: z.string(), pubsub: z.string(), vertex: z.string() })),
  grants: z.array(
    z.object({
      identity: z.string(),
      permission: z.string(),
      scope: z.object({ kind: z.string(), value: z.string().optional() }),
    }),
  ),
});

/** Reads the local servers' grants and compares them with the table. */
export async function localDoctor(
  storageUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<DoctorReport> {
  const url = `${storageUrl.replace(/\/$/, "")}${localGrantsPath}`;
  const target = `local stack (grants the servers enforce, from ${url})`;
  let body: unknown;
  try {
    const response = await fetchImpl(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    return {
      target,
      identities: [],
      notes: [],
      errors: [`cannot read the local servers' grants from ${url}: ${(error as Error).message}`],
    };
  }
  const parsed = grantsDocument.safeParse(body);
  if (!parsed.success) {
    return { target, identities: [], notes: [], errors: [`${url} answered an unexpected document`] };
  }
  const doc = parsed.data;
  const known = new Set<string>(identityNames);
  const actual = doc.grants.filter((g) => known.has(g.identity)) as unknown as Entitlement[];
  const errors: string[] = [];
  const strangers = [...new Set(doc.grants.filter((g) => !known.has(g.identity)).map((g) => g.identity))];
  if (strangers.length > 0)
    errors.push(`grants for identities the table does not know: ${strangers.join(", ")}`);
  if (!doc.enforced) {
    errors.push("the local stack does not enforce identities (started with identity.enforce: false)");
  }
  const identities = diffEntitlements(entitlements(), actual);
  for (const report of identities) {
    if (doc.enforced && !doc.identities[report.identity]) {
      report.errors.push("has no ports of its own on the local servers, so nothing is enforced for it");
    }
  }
  return {
    target,
    identities,
    errors,
    notes: [
      "the default ports (the stack's setup, tests, the CLI) act as an admin and are not restricted",
      "the local servers check Vertex AI (with actAs on the training account), Cloud Storage and Pub/Sub; secret grants are compared, not enforced",
    ],
  };
}
