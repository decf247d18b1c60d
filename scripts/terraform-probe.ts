/**
 * A provider-free copy of a Terraform configuration, so the real `terraform` binary can evaluate its expressions
 * with no provider download (there is no network in CI). Variables, locals, outputs and module calls are kept;
 * each `resource`/`data` block becomes a call of a one-variable "probe" module that takes the block's arguments
 * as one object value, with its own `for_each`/`count` (so Terraform's for_each rules apply), `dynamic` blocks as
 * `for` expressions, and references to other resources replaced by stand-in strings of the referenced shape.
 * `terraform validate` and `terraform plan` of the copy then type-check and evaluate every expression the module
 * holds. What it cannot prove (provider-side validation, computed values, API calls) is in
 * docs/reference-checks.md. Hand-written because no tool evaluates HCL without the providers' schemas.
 *
 * Usage: tsx scripts/terraform-probe.ts <root module dir> [<var file>]
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Body = { [key: string]: Json };
/** hcl2json's shape of one file: block type → (labels →) list of bodies. */
type ParsedFile = { [blockType: string]: Json };

const metaArguments = new Set([
  "for_each",
  "count",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);

/** Top-level blocks the probe copies or rewrites, and those it drops (settings, not expressions to evaluate). */
const handledBlocks = new Set(["variable", "locals", "output", "module", "resource", "data"]);
const droppedBlocks = new Set(["terraform", "provider", "moved", "import", "removed"]);

/** Parses every .tf file of one directory with @cdktf/hcl2json. */
async function parseDirectory(directory: string): Promise<Array<[string, ParsedFile]>> {
  const { parse } = await import("@cdktf/hcl2json");
  const files = (await readdir(directory)).filter((f) => f.endsWith(".tf")).sort();
  return Promise.all(
    files.map(
      async (f): Promise<[string, ParsedFile]> => [
        f,
        (await parse(f, await readFile(join(directory, f), "utf8"))) as ParsedFile,
      ],
    ),
  );
}

/** A template split into literal text and `${…}` interpolations (the expression text, braces matched). */
export function splitTemplate(text: string): Array<{ literal: string } | { expression: string }> {
  const parts: Array<{ literal: string } | { expression: string }> = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "$${";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = endOfExpression(text, i + 2);
      if (literal) parts.push({ literal });
      literal = "";
      parts.push({ expression: text.slice(i + 2, end) });
      i = end + 1;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** The index of the `}` closing an interpolation whose expression starts at `start`. */
function endOfExpression(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i + 1);
    } else if (c === "{") {
      depth += 1;
    } else if (c === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
    i += 1;
  }
  throw new Error(`unterminated interpolation in ${JSON.stringify(text.slice(start - 2, start + 60))}`);
}

/** The index of the `"` closing a quoted string that starts at `start` (nested interpolations skipped). */
function endOfString(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i;
    else if (text.startsWith("${", i)) i = endOfExpression(text, i + 2) + 1;
    else i += 1;
  }
  throw new Error(`unterminated string in ${JSON.stringify(text.slice(start - 1, start + 60))}`);
}

/** A resource or data source a configuration references, and the attribute paths it reads. */
interface Referenced {
  local: string;
  paths: Set<string>;
}

/** Rewrites what a provider-free copy cannot hold: resource references, path.module and path.root. */
class Rewriter {
  readonly referenced = new Map<string, Referenced>();

  constructor(
    private readonly moduleDir: string,
    private readonly rootDir: string,
  ) {}

  expression(text: string): string {
    let out = text
      .replace(/(?<![\w.])path\.module(?![\w])/g, JSON.stringify(this.moduleDir))
      .replace(/(?<![\w.])path\.root(?![\w])/g, JSON.stringify(this.rootDir));
    // `for k, r in google_x.y : … r.email …` reads attributes through the iterator: the stand-in needs them too.
    for (const loop of out.matchAll(
      /\bfor\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+(data\.)?(google(?:_[a-z0-9]+)+)\.([a-z_][a-z0-9_-]*)\s*:/g,
    )) {
      const [, first, second, data, type, name] = loop;
      const iterator = second ?? first;
      const address = `${data ?? ""}${type}.${name}`;
      for (const read of out.matchAll(new RegExp(`(?<![\\w.])${iterator}(?=[.\\[])`, "g"))) {
        this.entry(address, Boolean(data), type ?? "", name ?? "").paths.add(
          attributePath(out, (read.index ?? 0) + (iterator?.length ?? 0), false),
        );
      }
    }
    out = out.replace(
      /(?<![\w.])(data\.)?(google(?:_[a-z0-9]+)+)\.([a-z_][a-z0-9_-]*)/g,
      (match, data: string | undefined, type: string, name: string, offset: number) => {
        const entry = this.entry(`${data ?? ""}${type}.${name}`, Boolean(data), type, name);
        entry.paths.add(attributePath(out, offset + match.length));
        return `local.${entry.local}`;
      },
    );
    return out;
  }

  private entry(address: string, data: boolean, type: string, name: string): Referenced {
    const entry = this.referenced.get(address) ?? {
      local: `stub__${data ? "data__" : ""}${type}__${name}`,
      paths: new Set<string>(),
    };
    this.referenced.set(address, entry);
    return entry;
  }
}

/**
 * The attribute path after a reference (its instance key skipped when `keyed`): `.service_config[0].uri` →
 * `service_config.0.uri`.
 */
function attributePath(text: string, start: number, keyed = true): string {
  let i = start;
  if (keyed && text[i] === "[") i = endOfBracket(text, i) + 1;
  const path: string[] = [];
  for (;;) {
    const attribute = /^\.([A-Za-z_][\w-]*)/.exec(text.slice(i));
    const index = /^\[(\d+)\]/.exec(text.slice(i));
    if (attribute?.[1]) {
      path.push(attribute[1]);
      i += attribute[0].length;
    } else if (index?.[1]) {
      path.push(index[1]);
      i += index[0].length;
    } else {
      return path.join(".");
    }
  }
}

function endOfBracket(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === '"') i = endOfString(text, i + 1);
    else if (text[i] === "[") depth += 1;
    else if (text[i] === "]" && --depth === 0) return i;
  }
  return text.length;
}

/** A JSON value of hcl2json as a native HCL expression. */
function value(v: Json, rw: Rewriter): string {
  if (typeof v === "string") return template(v, rw);
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[\n${v.map((x) => `${value(x, rw)},`).join("\n")}\n]`;
  return object(v, rw);
}

function template(text: string, rw: Rewriter): string {
  const parts = splitTemplate(text);
  const only = parts[0];
  if (parts.length === 1 && only && "expression" in only) return rw.expression(only.expression);
  const body = parts
    .map((p) =>
      "literal" in p
        ? p.literal.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")
        : `\${${rw.expression(p.expression)}}`,
    )
    .join("");
  return `"${body}"`;
}

function object(o: { [key: string]: Json }, rw: Rewriter): string {
  return `{\n${Object.entries(o)
    .map(([k, v]) => `${JSON.stringify(k)} = ${value(v, rw)}`)
    .join("\n")}\n}`;
}

/** A resource's arguments and nested blocks as one object; `dynamic "x"` becomes a `for` expression for x. */
function bodyValue(body: Body, rw: Rewriter): string {
  const fields = new Map<string, string[]>();
  const add = (key: string, expression: string) => fields.set(key, [...(fields.get(key) ?? []), expression]);
  for (const [key, v] of Object.entries(body)) {
    if (metaArguments.has(key)) continue;
    if (key === "dynamic") {
      for (const [name, entries] of Object.entries(v as { [name: string]: Body[] })) {
        for (const entry of entries) {
          const iterator = typeof entry.iterator === "string" ? stripInterpolation(entry.iterator) : name;
          const content = (entry.content as Body[] | undefined)?.[0] ?? {};
          add(
            name,
            `[for k, v in ${value(entry.for_each ?? [], rw)} : [for ${iterator} in [{ key = k, value = v }] : ${bodyValue(content, rw)}][0]]`,
          );
        }
      }
    } else if (Array.isArray(v) && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
      add(key, `[\n${v.map((b) => `${bodyValue(b as Body, rw)},`).join("\n")}\n]`);
    } else {
      add(key, value(v, rw));
    }
  }
  // A lifecycle's pre- and postconditions are evaluated too (not asserted: their values are unknown-free here).
  const lifecycle = (body.lifecycle as Body[] | undefined)?.[0];
  for (const kind of ["precondition", "postcondition"] as const) {
    for (const [i, c] of ((lifecycle?.[kind] as Body[] | undefined) ?? []).entries()) {
      add(
        `__${kind}_${i}`,
        `{ condition = ${value(c.condition ?? true, rw)}, error_message = ${value(c.error_message ?? "", rw)} }`,
      );
    }
  }
  const entries = [...fields].map(([k, list]) =>
    list.length === 1
      ? `${JSON.stringify(k)} = ${list[0]}`
      : `${JSON.stringify(k)} = concat(${list.join(", ")})`,
  );
  return `{\n${entries.join("\n")}\n}`;
}

function stripInterpolation(text: string): string {
  const parts = splitTemplate(text);
  const only = parts[0];
  return parts.length === 1 && only && "expression" in only ? only.expression.trim() : text;
}

/** Stand-in values of the shape the configuration reads: `{ email = "…", service_config = [{ uri = "…" }] }`. */
function stubObject(address: string, paths: ReadonlySet<string>): string {
  const tree: { [key: string]: unknown } = {};
  for (const path of paths) {
    if (path === "") continue;
    let node = tree;
    const keys = path.split(".");
    for (const [i, key] of keys.entries()) {
      if (i === keys.length - 1) node[key] ??= `${address}.${path}`;
      else {
        node[key] ??= {};
        node = node[key] as { [key: string]: unknown };
      }
    }
  }
  const render = (node: unknown): string => {
    if (typeof node === "string") return JSON.stringify(node);
    const o = node as { [key: string]: unknown };
    const keys = Object.keys(o);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      const length = Math.max(...keys.map(Number)) + 1;
      return `[${Array.from({ length }, (_, i) => (o[String(i)] === undefined ? "null" : render(o[String(i)]))).join(", ")}]`;
    }
    return `{ ${keys.map((k) => `${JSON.stringify(k)} = ${render(o[k])}`).join(", ")} }`;
  };
  return render(tree);
}

interface Declared {
  address: string;
  forEach?: Json;
  count?: Json;
}

/**
 * Writes the provider-free copy of the module in `sourceDir` (and, recursively, of the local modules it calls)
 * to `outDir`. `rootDir` is the root module's source directory (what `path.root` means).
 */
export async function writeProbeModule(
  sourceDir: string,
  outDir: string,
  rootDir = sourceDir,
): Promise<void> {
  const files = await parseDirectory(sourceDir);
  const rw = new Rewriter(resolve(sourceDir), resolve(rootDir));
  const blocks: string[] = [];
  const declared = new Map<string, Declared>();
  await mkdir(outDir, { recursive: true });

  for (const [fileName, file] of files) {
    const unknown = Object.keys(file).filter((k) => !handledBlocks.has(k) && !droppedBlocks.has(k));
    if (unknown.length > 0) {
      throw new Error(
        `${join(sourceDir, fileName)}: the probe does not know how to evaluate ${unknown.join(", ")} blocks`,
      );
    }
    blocks.push(`# ---- from ${fileName}`);
    for (const [name, list] of Object.entries((file.variable ?? {}) as { [n: string]: Body[] })) {
      for (const v of list) blocks.push(variableBlock(name, v, rw));
    }
    for (const locals of (file.locals ?? []) as Body[]) {
      blocks.push(
        `locals {\n${Object.entries(locals)
          .map(([k, v]) => `${k} = ${value(v, rw)}`)
          .join("\n")}\n}`,
      );
    }
    for (const [name, list] of Object.entries((file.output ?? {}) as { [n: string]: Body[] })) {
      for (const o of list) {
        const sensitive = o.sensitive === true ? "\nsensitive = true" : "";
        blocks.push(`output "${name}" {\nvalue = ${value(o.value ?? null, rw)}${sensitive}\n}`);
      }
    }
    for (const [name, list] of Object.entries((file.module ?? {}) as { [n: string]: Body[] })) {
      for (const m of list) {
        const source = String(m.source);
        if (!source.startsWith("./") && !source.startsWith("../")) {
          throw new Error(`module "${name}": only local module sources can be probed offline (${source})`);
        }
        const child = join(outDir, "modules", name);
        await writeProbeModule(join(sourceDir, source), child, rootDir);
        const args = Object.entries(m)
          .filter(([k]) => k !== "source" && k !== "providers" && k !== "depends_on" && k !== "version")
          .map(([k, v]) => `${k} = ${value(v, rw)}`);
        blocks.push(`module "${name}" {\nsource = "./${relative(outDir, child)}"\n${args.join("\n")}\n}`);
      }
    }
    for (const kind of ["resource", "data"] as const) {
      for (const [type, named] of Object.entries(
        (file[kind] ?? {}) as { [t: string]: { [n: string]: Body[] } },
      )) {
        for (const [name, list] of Object.entries(named)) {
          for (const body of list) {
            const address = `${kind === "data" ? "data." : ""}${type}.${name}`;
            declared.set(address, {
              address,
              ...(body.for_each !== undefined ? { forEach: body.for_each } : {}),
              ...(body.count !== undefined ? { count: body.count } : {}),
            });
            const iteration =
              body.for_each !== undefined
                ? `for_each = ${value(body.for_each, rw)}\n`
                : body.count !== undefined
                  ? `count = ${value(body.count, rw)}\n`
                  : "";
            blocks.push(
              `# ${address}\nmodule "${kind}__${type}__${name}" {\nsource = "./probe"\n${iteration}value = ${bodyValue(body, rw)}\n}`,
            );
          }
        }
      }
    }
  }

  // Stand-ins for the resources referenced, with the instance keys their own for_each/count gives.
  const stubs: string[] = [];
  for (const [address, { local, paths }] of rw.referenced) {
    const d = declared.get(address);
    if (!d) throw new Error(`${address} is referenced but not declared in ${sourceDir}`);
    const stub = stubObject(address, paths);
    if (d.forEach !== undefined)
      stubs.push(`${local} = { for k, v in ${value(d.forEach, rw)} : k => ${stub} }`);
    else if (d.count !== undefined)
      stubs.push(`${local} = [for i in range(${value(d.count, rw)}) : ${stub}]`);
    else stubs.push(`${local} = ${stub}`);
  }
  if (stubs.length > 0) blocks.push(`locals {\n${stubs.join("\n")}\n}`);

  await writeFile(join(outDir, "probe.tf"), `${blocks.join("\n\n")}\n`);
  await mkdir(join(outDir, "probe"), { recursive: true });
  await writeFile(
    join(outDir, "probe", "main.tf"),
    'variable "value" {\n  type = any\n}\n\noutput "value" {\n  value     = var.value\n  sensitive = true\n}\n',
  );
}

function variableBlock(name: string, v: Body, rw: Rewriter): string {
  const lines: string[] = [];
  if (typeof v.type === "string") lines.push(`type = ${stripInterpolation(v.type)}`);
  if (v.default !== undefined) lines.push(`default = ${value(v.default, rw)}`);
  for (const key of ["sensitive", "nullable", "ephemeral"] as const) {
    if (typeof v[key] === "boolean") lines.push(`${key} = ${v[key]}`);
  }
  for (const validation of (v.validation ?? []) as Body[]) {
    lines.push(
      `validation {\ncondition = ${value(validation.condition ?? true, rw)}\nerror_message = ${value(validation.error_message ?? "", rw)}\n}`,
    );
  }
  return `variable "${name}" {\n${lines.join("\n")}\n}`;
}

const run = promisify(execFile);

/** The outcome of one terraform command: its exit status and what it printed (colour off). */
export interface TerraformRun {
  ok: boolean;
  output: string;
}

/** Runs terraform in `cwd` offline: no checkpoint call, no CLI configuration, no colour, no prompts. */
export async function terraform(args: readonly string[], cwd: string): Promise<TerraformRun> {
  const env = {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TF_CLI_CONFIG_FILE: "/dev/null",
    TF_DATA_DIR: join(cwd, ".terraform"),
  };
  try {
    const { stdout, stderr } = await run("terraform", [...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? e.message}` };
  }
}

/**
 * Builds the provider-free copy of `rootDir` in a temporary directory and runs `terraform init`, `validate` and
 * `plan` there (with `varFile`, if given). Returns the first failing step's output, or the plan's.
 */
export async function probeConfiguration(
  rootDir: string,
  varFile?: string,
): Promise<TerraformRun & { step: "init" | "validate" | "plan" }> {
  const out = await mkdtemp(join(tmpdir(), "modelgate-tf-probe-"));
  try {
    await writeProbeModule(rootDir, out);
    const located = async (r: TerraformRun) => ({ ...r, output: await withSources(r.output, out, rootDir) });
    const init = await terraform(["init", "-input=false", "-no-color"], out);
    if (!init.ok) return { ...(await located(init)), step: "init" };
    const validate = await terraform(["validate", "-no-color"], out);
    if (!validate.ok) return { ...(await located(validate)), step: "validate" };
    const planArgs = ["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false"];
    if (varFile) planArgs.push(`-var-file=${resolve(varFile)}`);
    const plan = await terraform(planArgs, out);
    return { ...(await located(plan)), step: "plan" };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Adds to each `on <dir>/probe.tf line N` of terraform's output the source file that line was generated from. */
async function withSources(output: string, out: string, rootDir: string): Promise<string> {
  const cache = new Map<string, string[]>();
  const located: string[] = [];
  for (const line of output.split("\n")) {
    const at = /^(\s*on (?:(.+)\/)?probe\.tf line (\d+))(.*)$/.exec(line);
    if (!at?.[1] || !at[3]) {
      located.push(line);
      continue;
    }
    const dir = at[2] ?? "";
    if (!cache.has(dir)) {
      cache.set(dir, (await readFile(join(out, dir, "probe.tf"), "utf8").catch(() => "")).split("\n"));
    }
    const lines = cache.get(dir) ?? [];
    let source: string | undefined;
    for (let i = Number(at[3]) - 1; i >= 0 && source === undefined; i -= 1) {
      source = /^# ---- from (.+)$/.exec(lines[i] ?? "")?.[1];
    }
    const module =
      dir.replace(/^modules\//, "").replace(/\/modules\//g, "/") || relative(process.cwd(), rootDir);
    located.push(source ? `${at[1]} (generated from ${module}: ${source})${at[4] ?? ""}` : line);
  }
  return located.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [root, varFile] = process.argv.slice(2);
  if (!root) {
    console.error("usage: tsx scripts/terraform-probe.ts <root module dir> [<var file>]");
    process.exit(2);
  }
  const result = await probeConfiguration(root, varFile);
  console.log(`terraform ${result.step}: ${result.ok ? "ok" : "FAILED"}`);
  if (!result.ok) console.log(result.output);
  process.exit(result.ok ? 0 : 1);
}
