// What a page declares of its uploads (the joined message's "uploads"), and
// the checks that the upload chunk makes before it sends a byte: pure
// functions, apart from the DOM and the network. The server checks again.

/** One upload name's declaration, as the joined message carries it. */
export interface UploadSpec {
  /** The input's accept list: MIME types, type/* and .ext; empty or absent: any file. */
  accept?: string[];
  /** Bytes per file; absent or 0: no limit here. */
  max_size?: number;
  /** Files per upload request; absent or 0: one unless the input is multiple. */
  max_files?: number;
  /** true: upload as files are chosen, dropped or pasted; false: when the enclosing lvt-submit form is submitted. */
  auto?: boolean;
}

/** The part of a File that the checks read. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly type: string;
}

/** Whether file matches the accept list (as the browser's file picker reads an accept attribute). */
export function accepts(file: FileInfo, accept: readonly string[] | undefined): boolean {
  if (!accept || accept.length === 0) return true;
  const name = file.name.toLowerCase();
  const type = file.type.toLowerCase();
  return accept.some((a) => {
    const x = a.trim().toLowerCase();
    if (x.startsWith(".")) return name.endsWith(x);
    if (x.endsWith("/*")) return type.startsWith(x.slice(0, -1));
    return x !== "" && type === x;
  });
}

/** Formats n bytes for a person: 1.5 MB, 200 kB, 12 B (decimal units, as browsers show sizes). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/**
 * The reasons, for the user, why files may not be uploaded under spec: one per refused file
 * (type, size) and one for their count. Empty: every file may go. queued is how many files of
 * the name are chosen already and count toward max_files.
 */
export function refusals(files: readonly FileInfo[], spec: UploadSpec, queued = 0): string[] {
  const out: string[] = [];
  const max = spec.max_files ?? 0;
  if (max > 0 && files.length + queued > max) out.push(`at most ${max} file${max === 1 ? "" : "s"}`);
  for (const f of files) {
    if (!accepts(f, spec.accept)) out.push(`${f.name}: type not accepted`);
    else if (spec.max_size && f.size > spec.max_size) out.push(`${f.name}: larger than ${bytes(spec.max_size)}`);
  }
  return out;
}
