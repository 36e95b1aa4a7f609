// TEMPORARY stub until the transfer-names branch lands (not to be committed).
export const MAX_NAME_BYTES = 4096;
export const MAX_PART_BYTES = 255;
export const PARTIAL_SUFFIX = ".hotline-partial";
export function nameProblem(name: Buffer, _platform: NodeJS.Platform = process.platform): string | null {
  const s = name.toString("utf8");
  if (s === "" || s.startsWith("/")) return "is empty or absolute";
  for (const part of s.split("/")) if (part === "" || part === "." || part === "..") return "has a '..' part";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return "holds a control character";
  if (s.endsWith(PARTIAL_SUFFIX)) return "ends in .hotline-partial";
  return null;
}
export function printableName(name: Buffer): string {
  return JSON.stringify(name.toString("utf8")).slice(1, -1);
}
