import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { CredentialsError } from "../errors.js";
import { s3ErrorFacts } from "./error-facts.js";
import { httpHandler, nameSilentEndpoint } from "./request-timeout.js";

export type CredentialSource = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface StsOptions {
  region: string;
  /** Custom STS endpoint (`sts_endpoint`); unset: the regional AWS endpoint. `aws_endpoint` never applies here. */
  endpoint: string | undefined;
  maxRetries: number;
  /** A request silent this long is given up (and retried): s3_request_timeout_seconds. */
  requestTimeoutSeconds: number;
}

export interface AssumeRoleOptions extends StsOptions {
  roleArn: string;
  externalId: string | undefined;
  sessionName: string;
  durationSeconds: number;
  /** Credentials that call AssumeRole (keys, profile or the default chain). */
  source: CredentialSource;
  /** Refresh this long before the session expires (default 10 minutes; at least the SDK's own 5-minute window). */
  refreshBeforeMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** An assumed-role credential provider: assumes on first use, caches, and assumes again before expiry. */
export interface RoleProvider extends AwsCredentialIdentityProvider {
  /** How many AssumeRole calls succeeded so far. */
  readonly assumed: () => number;
  /** The assumed-role user ARN of the last session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION). */
  readonly sessionArn: () => string | undefined;
  /** Closes the STS client's connections. */
  readonly close: () => void;
}

const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000;

export function stsClient(options: StsOptions, credentials: CredentialSource): STSClient {
  const config: STSClientConfig = {
    region: options.region,
    credentials,
    maxAttempts: options.maxRetries + 1,
    requestHandler: httpHandler(options.requestTimeoutSeconds),
  };
  if (options.endpoint) config.endpoint = options.endpoint;
  const client = new STSClient(config);
  nameSilentEndpoint(client, options.endpoint ?? `the STS endpoint of ${options.region}`, options.requestTimeoutSeconds);
  return client;
}

/** True when credentials expiring at `expiration` should be replaced now. */
export function needsRefresh(expiration: Date | undefined, now: number, refreshBeforeMs: number): boolean {
  return expiration === undefined ? false : expiration.getTime() - now <= refreshBeforeMs;
}

/** The 12-digit account of an IAM/STS ARN (`arn:aws:iam::123456789012:role/x`), if it has one. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

export function assumeRoleProvider(options: AssumeRoleOptions): RoleProvider {
  const now = options.now ?? Date.now;
  const refreshBefore = Math.max(options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS, 5 * 60_000);
  const client = stsClient(options, options.source);
  let cached: AwsCredentialIdentity | undefined;
  let inFlight: Promise<AwsCredentialIdentity> | undefined;
  let assumed = 0;
  let sessionArn: string | undefined;

  const assume = async (): Promise<AwsCredentialIdentity> => {
    let out;
    try {
      out = await client.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: options.durationSeconds,
          ...(options.externalId !== undefined ? { ExternalId: options.externalId } : {}),
        }),
      );
    } catch (error) {
      throw assumeRoleError(options.roleArn, options.externalId !== undefined, error);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new CredentialsError(`AssumeRole of ${options.roleArn} returned no credentials: check sts_endpoint`);
    }
    assumed++;
    sessionArn = out.AssumedRoleUser?.Arn;
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  };

  const provider = (async (): Promise<AwsCredentialIdentity> => {
    if (cached && !needsRefresh(cached.expiration, now(), refreshBefore)) return cached;
    inFlight ??= assume().finally(() => (inFlight = undefined));
    try {
      cached = await inFlight;
    } catch (error) {
      // A failed refresh while the current session is still valid for a minute: keep using it, try again later.
      if (cached?.expiration && cached.expiration.getTime() - now() > 60_000) return cached;
      throw error;
    }
    return cached;
  }) as RoleProvider;
  Object.assign(provider, { assumed: () => assumed, sessionArn: () => sessionArn, close: () => client.destroy() });
  return provider;
}

/** The identity the credentials belong to (GetCallerIdentity needs no permission). */
export async function callerIdentity(options: StsOptions, credentials: CredentialSource): Promise<{ account: string; arn: string }> {
  const client = stsClient(options, credentials);
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? "", arn: out.Arn ?? "" };
  } catch (error) {
    const { code, message } = s3ErrorFacts(error);
    throw new CredentialsError(`GetCallerIdentity failed: ${code}: ${message} (check the credentials and sts_endpoint)`, { cause: error });
  } finally {
    client.destroy();
  }
}

function assumeRoleError(roleArn: string, withExternalId: boolean, error: unknown): CredentialsError {
  if (error instanceof CredentialsError) return error;
  const { code, status, message } = s3ErrorFacts(error);
  const fix =
    code === "AccessDenied"
      ? `the source identity needs sts:AssumeRole on ${roleArn}, and the role's trust policy must allow it` +
        (withExternalId ? " with this external_id (sts:ExternalId condition)" : " (set external_id if the trust policy requires one)")
      : code === "CredentialsProviderError"
        ? "set aws_access_key_id and aws_secret_access_key, aws_profile, or provide credentials through the default AWS chain"
        : "check role_arn, role_duration_seconds (within the role's maximum session duration) and sts_endpoint";
  return new CredentialsError(`assuming role ${roleArn} failed: ${code}${status ? ` (HTTP ${status})` : ""}: ${message}; ${fix}`, { cause: error });
}
