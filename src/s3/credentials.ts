import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { fromIni, fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { Settings } from "../config/settings.js";
import { CredentialsError } from "../errors.js";
import { accountOfArn, assumeRoleProvider, callerIdentity, type CredentialSource, type StsOptions } from "./assume-role.js";
import { s3ErrorFacts } from "./error-facts.js";

/**
 * The source credentials: the configured keys (+ session token), else the named profile, else undefined (the SDK's
 * default chain: environment, shared files, web identity, container, instance metadata).
 */
export function baseCredentials(settings: Settings): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined {
  if (settings.aws_access_key_id && settings.aws_secret_access_key) {
    return {
      accessKeyId: settings.aws_access_key_id,
      secretAccessKey: settings.aws_secret_access_key,
      ...(settings.aws_session_token ? { sessionToken: settings.aws_session_token } : {}),
    };
  }
  if (settings.aws_profile) return fromIni({ profile: settings.aws_profile });
  return undefined;
}

/** Where the source credentials come from, for logs and the check report (never the values). */
export function describeSource(settings: Settings): string {
  if (settings.aws_access_key_id && settings.aws_secret_access_key) {
    return settings.aws_session_token ? "access keys with session token" : "access keys";
  }
  if (settings.aws_profile) return `profile '${settings.aws_profile}'`;
  return "the default AWS credential chain";
}

export function stsOptionsOf(settings: Settings): StsOptions {
  return {
    region: settings.aws_region,
    endpoint: settings.sts_endpoint,
    maxRetries: settings.max_retries,
    requestTimeoutSeconds: settings.s3_request_timeout_seconds,
  };
}

export interface ResolvedCredentials {
  /** What S3 requests are signed with: the source, or the assumed role refreshed before expiry. */
  provider: AwsCredentialIdentityProvider;
  /** e.g. "role arn:aws:iam::1:role/x assumed with access keys" (no secrets). */
  description: string;
  /** The account checked against aws_account_id, when it was set. */
  account: string | undefined;
  /** Releases the STS client's connections. */
  close: () => void;
}

/**
 * Resolves the credentials once at start (so a missing key, a denied role or a wrong account fails before any input
 * is read) and returns a provider for the S3 client. With role_arn, the keys (or profile, or default chain) assume the
 * role through STS (`sts_endpoint`, else the regional AWS endpoint; `aws_endpoint` is for S3 only). With
 * aws_account_id, GetCallerIdentity of the final identity must name that account.
 */
export async function resolveCredentials(settings: Settings, options: { now?: () => number } = {}): Promise<ResolvedCredentials> {
  const sts = stsOptionsOf(settings);
  const source: CredentialSource = baseCredentials(settings) ?? fromNodeProviderChain();
  const sourceText = describeSource(settings);
  let provider: AwsCredentialIdentityProvider;
  let description: string;
  let close = (): void => undefined;

  if (settings.role_arn) {
    const role = assumeRoleProvider({
      ...sts,
      roleArn: settings.role_arn,
      externalId: settings.external_id,
      sessionName: settings.role_session_name,
      durationSeconds: settings.role_duration_seconds,
      source,
      ...(options.now ? { now: options.now } : {}),
    });
    provider = role;
    close = role.close;
    description = `role ${settings.role_arn} (session ${settings.role_session_name}${settings.external_id ? ", with external ID" : ""}) assumed with ${sourceText}`;
  } else {
    provider = typeof source === "function" ? source : () => Promise.resolve(source);
    description = sourceText;
  }

  try {
    await provider();
  } catch (error) {
    close();
    throw sourceError(error, sourceText);
  }

  let account: string | undefined;
  if (settings.aws_account_id) {
    const expected = settings.aws_account_id;
    const roleAccount = settings.role_arn ? accountOfArn(settings.role_arn) : undefined;
    if (roleAccount !== undefined && roleAccount !== expected) {
      close();
      throw new CredentialsError(`role_arn belongs to account ${roleAccount}, not aws_account_id ${expected}: fix one of them`);
    }
    let identity;
    try {
      identity = await callerIdentity(sts, provider);
    } catch (error) {
      close();
      throw error;
    }
    if (identity.account !== expected) {
      close();
      throw new CredentialsError(
        `the credentials (${identity.arn}) belong to AWS account ${identity.account}, not aws_account_id ${expected}: ` +
          `use credentials or a role_arn of account ${expected}, or fix aws_account_id`,
      );
    }
    account = identity.account;
  }
  return { provider, description, account, close };
}

function sourceError(error: unknown, sourceText: string): CredentialsError {
  if (error instanceof CredentialsError) return error;
  const { code, message } = s3ErrorFacts(error);
  return new CredentialsError(
    `no usable AWS credentials from ${sourceText}: ${code}: ${message}; ` +
      "set aws_access_key_id and aws_secret_access_key, or aws_profile, or provide credentials through the environment, " +
      "shared files, web identity, container or instance role",
    { cause: error },
  );
}
