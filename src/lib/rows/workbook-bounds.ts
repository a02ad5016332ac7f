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

/** XML attributes of each element named `tag` in `xml` (machine-written parts of a workbook). */
function elements(xml: string, tag: string): Record<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${tag}\\b([^>]*)/?>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w:]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

/**
 * The number of the worksheet named `sheet` (its part `xl/worksheets/sheetN.xml`, which is how a
 * streaming reader names it), read from the workbook's own list of sheets; a name it does not have
 * is refused, naming the ones it has.
 */
export async function worksheetNumberOf(path: string, name: string, sheet: string): Promise<number> {
  const unzipper = await import('unzipper');
  const { files } = await unzipper.Open.file(path);
  const text = async (part: string) =>
    (await files.find((f) => f.path === part)?.buffer())?.toString('utf8') ?? '';
  const sheets = elements(await text('xl/workbook.xml'), 'sheet');
  const wanted = sheets.find((s) => s.name === sheet);
  if (!wanted)
    throw new InputFileError(
      `${name}: no sheet "${sheet}" (its sheets: ${sheets.map((s) => `"${s.name ?? ''}"`).join(', ')})`,
    );
  const target = elements(await text('xl/_rels/workbook.xml.rels'), 'Relationship').find(
    (r) => r.Id === wanted['r:id'],
  )?.Target;
  const number = /sheet(\d+)\.xml$/.exec(target ?? '')?.[1];
  if (number === undefined)
    throw new InputFileError(`${name}: the sheet "${sheet}" could not be found in the file`);
  return Number(number);
}
