import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";

type Blocks = Record<string, Array<Record<string, unknown>>>;

/** The module's variables (type, default, validation) and locals, as hcl2json gives them. */
async function moduleParts(moduleDir: string) {
  const variables: Blocks = {};
  const locals: Record<string, unknown> = {};
  for (const file of readdirSync(moduleDir).filter((f) => f.endsWith(".tf"))) {
    const parsed = (await parse(file, readFileSync(join(moduleDir, file), "utf8"))) as {
      variable?: Blocks;
      locals?: Array<Record<string, unknown>>;
    };
    Object.assign(variables, parsed.variable ?? {});
    for (const block of parsed.locals ?? []) Object.assign(locals, block);
  }
  return { variables, locals };
}

/** Literal JSON for a .tf.json file: `${` and `%{` would otherwise start a template. */
function literal(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/([$%])\{/g, "$1$1{");
  if (Array.isArray(value)) return value.map(literal);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literal(v)]));
  return value;
}

/**
 * Evaluates `expression` with the real terraform binary (`terraform console`, which needs no provider): the
 * module's own variable declarations (types, validations) with `values`, the named locals of the module as
 * written, and `local.data` as `data`. Returns the value as JSON; a Terraform error throws with its message.
 */
export async function evaluateInModule(
  moduleDir: string,
  options: {
    locals: readonly string[];
    data?: unknown;
    values?: Record<string, unknown>;
    expression: string;
  },
): Promise<unknown> {
  const { variables, locals } = await moduleParts(moduleDir);
  const variable = Object.fromEntries(
    Object.entries(variables).map(([name, [body]]) => {
      const { type, default: fallback, validation } = body ?? {};
      return [
        name,
        {
          ...(typeof type === "string" ? { type: type.replace(/^\$\{([\s\S]*)\}$/, "$1") } : {}),
          ...(fallback === undefined ? {} : { default: literal(fallback) }),
          ...(validation === undefined ? {} : { validation }),
        },
      ];
    }),
  );
  const chosen = Object.fromEntries(
    options.locals.map((name) => {
      if (!(name in locals)) throw new Error(`the module has no local ${name}`);
      return [name, locals[name]];
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), "modelgate-tf-"));
  try {
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ variable, locals: { ...chosen, data: literal(options.data ?? {}) } }, null, 1),
    );
    writeFileSync(join(dir, "cli.tfrc"), "");
    writeFileSync(join(dir, "terraform.tfvars.json"), JSON.stringify(options.values ?? {}));
    const run = spawnSync("terraform", ["console", "-no-color"], {
      cwd: dir,
      input: `jsonencode(${options.expression})\n`,
      encoding: "utf8",
      env: {
        ...process.env,
        TF_CLI_CONFIG_FILE: join(dir, "cli.tfrc"),
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
      },
    });
    // Console may print a value and still report errors: any "Error:" fails the evaluation.
    if (run.status !== 0 || run.stderr.includes("Error:")) {
      const text = (run.stderr || run.stdout).replace(/[│╷╵]/g, " ").replace(/\s+/g, " ").trim();
      throw new Error(`terraform: ${text.slice(0, 2000)}`);
    }
    const output = run.stdout;
    return JSON.parse(JSON.parse(output.trim()) as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
