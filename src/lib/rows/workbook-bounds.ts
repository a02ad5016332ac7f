import { InputFileError } from '../errors/input-file-error';

/**
 * What a workbook may expand to: a million rows of a dozen columns is some 200 MB of sheet XML; a
 * file that says it expands far beyond (a zip bomb) is refused before a byte of it is inflated.
 */
export const workbookBounds = {
  /** All its parts together, uncompressed. @default 2 GiB */
  maxExpandedBytes: 2 * 1024 ** 3,
  /** Its shared strings, which are read into memory. @default 256 MiB */
  maxSharedStringsBytes: 256 * 1024 ** 2,
};

/**
 * Reads the workbook's table of contents (the zip's central directory) and refuses, naming the file,
 * one that is not a zip or not a workbook, or that would expand past `workbookBounds`.
 */
export async function checkWorkbook(path: string, name: string, bounds = workbookBounds): Promise<void> {
  const unzipper = await import('unzipper');
  let entries: { path: string; uncompressedSize: number }[];
  try {
    entries = (await unzipper.Open.file(path)).files;
  } catch {
    throw new InputFileError(
      `${name}: not an Excel workbook (.xlsx): it is not a zip file. Save it from Excel as .xlsx, or as CSV UTF-8`,
    );
  }
  if (!entries.some((entry) => entry.path === 'xl/workbook.xml'))
    throw new InputFileError(`${name}: not an Excel workbook (.xlsx): it has no xl/workbook.xml`);
  const expanded = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  const shared = entries.find((entry) => entry.path === 'xl/sharedStrings.xml')?.uncompressedSize ?? 0;
  if (expanded > bounds.maxExpandedBytes || shared > bounds.maxSharedStringsBytes)
    throw new InputFileError(
      `${name}: the workbook expands to ${(expanded / 1024 ** 2).toFixed(0)} MB (shared strings ${(shared / 1024 ** 2).toFixed(0)} MB), past what hire-queue reads (${(bounds.maxExpandedBytes / 1024 ** 2).toFixed(0)} MB, ${(bounds.maxSharedStringsBytes / 1024 ** 2).toFixed(0)} MB): split it, or save it as CSV`,
    );
}
