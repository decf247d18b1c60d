import { invalidArgument, notFound } from "./errors.js";

/** The project and location one server instance serves, e.g. `projects/local-project/locations/us-central1`. */
export class LocationScope {
  readonly parent: string;
  constructor(
    readonly project: string,
    readonly location: string,
  ) {
    this.parent = `projects/${project}/locations/${location}`;
  }

  /** Checks a `parent` field names this server's location. */
  checkParent(parent: unknown, field = "parent"): string {
    if (typeof parent !== "string" || parent === "") {
      throw invalidArgument(`Field \`${field}\` is required, e.g. \`${this.parent}\`.`);
    }
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (!match) {
      throw invalidArgument(
        `Field \`${field}\` must have the form \`projects/{project}/locations/{location}\`, got \`${parent}\`.`,
      );
    }
    this.checkScope(match[1] ?? "", match[2] ?? "", parent);
    return parent;
  }

  /**
   * Parses `projects/P/locations/L/<collection>/<id>[@suffix]` and checks P and L are served here.
   * `what` names the resource in messages ("Endpoint", "Model"…).
   */
  parse(
    name: unknown,
    collection: string,
    what: string,
    opts: { field?: string; allowSuffix?: boolean } = {},
  ): { name: string; id: string; suffix: string | undefined } {
    const field = opts.field ?? "name";
    if (typeof name !== "string" || name === "") {
      throw invalidArgument(
        `Field \`${field}\` is required: the ${what} resource name, e.g. \`${this.parent}/${collection}/123\`.`,
      );
    }
    const match = /^projects\/([^/]+)\/locations\/([^/]+)\/([^/]+)\/([^/@]+)(?:@([^/@]+))?$/.exec(name);
    if (!match || match[3] !== collection || (match[5] !== undefined && !opts.allowSuffix)) {
      throw invalidArgument(
        `Field \`${field}\` must be a ${what} resource name of the form \`projects/{project}/locations/{location}/${collection}/{id}\`${
          opts.allowSuffix ? " with an optional `@{version}`" : ""
        }, got \`${name}\`.`,
      );
    }
    this.checkScope(match[1] ?? "", match[2] ?? "", name);
    const id = match[4] ?? "";
    return { name: `${this.parent}/${collection}/${id}`, id, suffix: match[5] };
  }

  private checkScope(project: string, location: string, name: string): void {
    if (location !== this.location) {
      throw invalidArgument(
        `Location \`${location}\` in \`${name}\` is not served here; this endpoint serves \`${this.parent}\`.`,
      );
    }
    if (project !== this.project) {
      throw notFound(
        `Project \`${project}\` in \`${name}\` not found; this endpoint serves \`${this.parent}\`.`,
      );
    }
  }
}
