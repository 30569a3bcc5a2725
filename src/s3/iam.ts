/** What to grant when S3 says no: the IAM action behind each S3 operation, and the resource ARN to grant it on. */

export interface ObjectGrantContext {
  tags?: boolean;
  acl?: boolean;
  kms?: boolean;
}

/** The IAM actions an S3 operation needs (object writes need more when tags, ACLs or KMS are in play). */
export function iamActionsFor(operation: string | undefined, context: ObjectGrantContext = {}): string[] {
  switch (operation) {
    case "PutObject":
    case "CreateMultipartUpload":
    case "UploadPart":
    case "CompleteMultipartUpload": {
      const actions = ["s3:PutObject"];
      if (context.tags) actions.push("s3:PutObjectTagging");
      if (context.acl) actions.push("s3:PutObjectAcl");
      if (context.kms) actions.push("kms:GenerateDataKey", "kms:Decrypt");
      return actions;
    }
    case "AbortMultipartUpload":
      return ["s3:AbortMultipartUpload"];
    case "HeadBucket":
    case "ListObjects":
    case "ListObjectsV2":
      return ["s3:ListBucket"];
    case "DeleteObject":
    case "DeleteObjects":
      return ["s3:DeleteObject"];
    case "GetObject":
    case "HeadObject":
      return ["s3:GetObject"];
    case "GetBucketLocation":
      return ["s3:GetBucketLocation"];
    default:
      return ["s3:PutObject"];
  }
}

/** `aws`, or `aws-cn` / `aws-us-gov` for those regions. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The ARN a grant names: the bucket for bucket-level actions, else `bucket/prefix*`. */
export function grantResource(operation: string | undefined, bucket: string, keyPrefix: string, region = "us-east-1"): string {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`;
  if (operation === "HeadBucket" || operation === "ListObjects" || operation === "ListObjectsV2" || operation === "GetBucketLocation") {
    return arn;
  }
  return `${arn}/${keyPrefix}*`;
}

/** `grant s3:PutObject on arn:aws:s3:::bucket/prefix*` (KMS actions name the key instead). */
export function grantHint(
  operation: string | undefined,
  bucket: string,
  keyPrefix: string,
  region: string,
  context: ObjectGrantContext & { kmsKeyId?: string | undefined } = {},
): string {
  const actions = iamActionsFor(operation, context);
  const s3Actions = actions.filter((a) => a.startsWith("s3:"));
  const kmsActions = actions.filter((a) => a.startsWith("kms:"));
  let hint = `grant ${s3Actions.join(", ")} on ${grantResource(operation, bucket, keyPrefix, region)}`;
  if (kmsActions.length > 0) hint += ` and ${kmsActions.join(", ")} on ${context.kmsKeyId ?? "the bucket's KMS key"}`;
  return hint;
}

/** The folder of a key with a trailing slash (`a/b/c.csv` → `a/b/`), for grants. */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf("/");
  return slash >= 0 ? key.slice(0, slash + 1) : "";
}
