import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { fromIni } from "@aws-sdk/credential-providers";
import type { Settings } from "../config/settings.js";

/**
 * The credentials S3 calls are signed with: the configured keys, else the named profile, else the SDK's
 * default chain (environment, shared files, web identity, container, instance metadata).
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
