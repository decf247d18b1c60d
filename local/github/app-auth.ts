import { randomBytes } from "node:crypto";
import { type CryptoKey, errors, importSPKI, jwtVerify } from "jose";

/** The GitHub App the stand-in knows: its id, its one installation, and the public half of its key. */
export interface LocalGithubApp {
  id: number;
  installationId: number;
  /** PEM (SPKI) public key of the App's private key. */
  publicKey: string;
}

/** GitHub refuses an App JWT whose lifetime exceeds ten minutes. */
const maxJwtLifetimeSeconds = 600;
/** An installation token lives an hour, as GitHub's do. */
const installationTokenLifetimeMs = 60 * 60 * 1000;

/** Why a credential was refused, in GitHub's words where it has them. */
export class CredentialError extends Error {}

/**
 * The stand-in's authentication: verifies App JWTs (RS256, signed by the App's key, `iss` = the App id, expiry at
 * most ten minutes after issue and not passed) and issues and checks installation tokens.
 */
export class LocalAppAuth {
  private readonly tokens = new Map<string, number>();
  private key: Promise<CryptoKey> | undefined;

  constructor(
    readonly app: LocalGithubApp,
    private readonly now: () => number = Date.now,
  ) {}

  /** Verifies `Authorization: Bearer <jwt>`; throws CredentialError saying what is wrong. */
  async verifyAppJwt(authorization: string | undefined): Promise<void> {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) throw new CredentialError("A JSON web token could not be decoded");
    this.key ??= importSPKI(this.app.publicKey, "RS256");
    let payload: { iat?: number; exp?: number; iss?: unknown };
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        algorithms: ["RS256"],
        currentDate: new Date(this.now()),
        requiredClaims: ["iat", "exp", "iss"],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new CredentialError("'Expiration time' claim ('exp') is too far in the past");
      throw new CredentialError(`A JSON web token could not be decoded (${(error as Error).message})`);
    }
    // GitHub takes the App id as a number (what octokit sends) or a string.
    if (String(payload.iss) !== String(this.app.id)) {
      throw new CredentialError(`'Issuer' claim ('iss') must be the App's id ${this.app.id}`);
    }
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > maxJwtLifetimeSeconds) {
      throw new CredentialError("'Expiration time' claim ('exp') is too far in the future");
    }
  }

  /** A new installation token and when it expires. */
  issueToken(): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    const expires = this.now() + installationTokenLifetimeMs;
    this.tokens.set(token, expires);
    return { token, expiresAt: new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }

  /** Checks `Authorization: token <t>` (or Bearer) against the live installation tokens. */
  verifyInstallationToken(authorization: string | undefined): void {
    const token = /^(?:token|Bearer) (\S+)$/i.exec(authorization ?? "")?.[1];
    const expires = token === undefined ? undefined : this.tokens.get(token);
    if (expires === undefined || expires <= this.now()) throw new CredentialError("Bad credentials");
  }
}
