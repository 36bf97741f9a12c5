import { stringify, Options } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet would read as a formula: it starts with `=`, `+`, `-`,
 * `@`, a tab or a carriage return (OWASP, "CSV Injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Keeps a cell from being executed when the file is opened in a spreadsheet:
 * a value that starts like a formula is prefixed with a single quote, which
 * spreadsheets show as text. Every other value is unchanged.
 */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * Every CSV the product writes goes through here: csv-stringify with each
 * string cell neutralised against formula injection.
 */
export function toCsv(rows: unknown[][], options: Options = {}): string {
  return stringify(rows, {
    ...options,
    cast: { ...options.cast, string: neutraliseFormula },
  });
}
