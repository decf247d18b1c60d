import { loadConfig } from "../../shared/config.js";
import { type Identity, identityNames } from "../../shared/permissions.js";
import { readStackFile } from "../cli-env.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { googleDoctor, impersonatingClients, restTester } from "../doctor-google.js";
import { localDoctor } from "../doctor-local.js";
import { type DoctorReport, hasProblems, renderReport } from "../doctor-report.js";

export const doctor: Command = {
  path: ["doctor"],
  summary: "check each function identity holds exactly the permission table's grants",
  usage: `usage: modelgate doctor [--identity NAME] [--json]

  Against the running local stack (its stack file): reads the grants the local servers enforce and compares them
  with the permission table (shared/permissions.ts). Without a local stack, against Google Cloud: impersonates each
  service account (the caller needs roles/iam.serviceAccountTokenCreator on them) and asks testIamPermissions on the
  project, the artifact bucket, the topics, the secrets and the service accounts.
  Exit 0 when every identity matches, 1 on any missing or excess permission or a check that failed.

  --identity NAME   check one identity (${identityNames.join(", ")})
  --json            print the report as JSON`,
  options: { identity: { type: "string" }, json: { type: "boolean" } },
  async run({ values }, io) {
    const only = values.identity as string | undefined;
    if (only !== undefined && !(identityNames as readonly string[]).includes(only)) {
      throw new UsageError(`unknown identity "${only}"; one of: ${identityNames.join(", ")}`);
    }
    const selected: readonly Identity[] = only ? [only as Identity] : identityNames;
    const stack = readStackFile(io.env);
    let report: DoctorReport;
    if (stack) {
      const storage = stack.env.STORAGE_EMULATOR_HOST;
      if (!storage) {
        io.err("the local stack file names no STORAGE_EMULATOR_HOST\n");
        return 1;
      }
      report = await localDoctor(storage.startsWith("http") ? storage : `http://${storage}`);
      report.identities = report.identities.filter((i) => selected.includes(i.identity));
    } else {
      const config = loadConfig(io.env);
      let clients: Awaited<ReturnType<typeof impersonatingClients>>;
      try {
        clients = await impersonatingClients(config.project);
      } catch (error) {
        io.err(
          `no local stack is running, and Google Cloud credentials are not available: ${(error as Error).message}\n` +
            "(run `gcloud auth application-default login`, or start the local stack with `npm start`)\n",
        );
        return 1;
      }
      report = await googleDoctor(config, restTester(clients), selected);
    }
    io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return hasProblems(report) ? 1 : 0;
  },
};
