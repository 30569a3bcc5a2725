/** `bucket` may be a plain name or `s3://bucket/prefix` (MadConnect's Bucket URI); the prefix joins the key. */
export function parseBucket(value: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/i.exec(value.trim());
  if (!m) return { bucket: value.trim(), prefix: "" };
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}
