// What went wrong with a file or directory, as the end of a sentence: "Cannot write the report
// "x.html": the disk is full." The bare code (ENOSPC) told a user nothing, and Node's own
// message ("ENOTDIR: not a directory, mkdir '/a/b'") is a system call's, not theirs.

const PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "it is a directory",
  EEXIST: "a file of that name is in the way",
  EACCES: "permission denied",
  EPERM: "the operation is not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EIO: "an input/output error on the device",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
};

/** The problem of a failed file operation in words, with its code: "the disk is full (ENOSPC)". */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string") return "it could not be done";
  const words = PROBLEMS[code];
  return words ? `${words} (${code})` : code;
}

/** True for an error of the operating system's (ENOENT, EACCES, ...), not of the program. */
export function isFileError(err: unknown): boolean {
  return /^E[A-Z]+$/.test((err as NodeJS.ErrnoException | null)?.code ?? "");
}
