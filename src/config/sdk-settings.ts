/**
 * Singer SDK target settings that are not target-s3 settings but ask for behaviour: left as unknown keys they would
 * only be warned about, and a user asking for `load_method: overwrite` would quietly get appends. Each value that
 * asks for something target-s3 does not do gets the sentence that refuses it; other values stay unknown keys.
 */
export function unsupportedSdkSetting(name: string, value: unknown, where: string): string | undefined {
  if (name === "load_method" && value !== undefined && value !== null && value !== "" && value !== "append-only") {
    return (
      `load_method ${JSON.stringify(value)} (${where}) asks to replace or merge the stream's data, which target-s3 does not do: ` +
      'every run adds new objects; remove load_method or set it to "append-only"'
    );
  }
  if (name === "hard_delete" && (value === true || value === "true")) {
    return (
      `hard_delete (${where}) asks to delete the records a tap marks with _sdc_deleted_at, which target-s3 does not do: ` +
      "it writes files and never deletes records (such records are written with their _sdc_deleted_at value); remove hard_delete"
    );
  }
  return undefined;
}
