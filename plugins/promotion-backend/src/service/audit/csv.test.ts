import { neutraliseFormula, toCsv } from './csv';

describe('toCsv', () => {
  it.each([
    [
      '=HYPERLINK("http://evil.example/?x","open")',
      `"'=HYPERLINK(""http://evil.example/?x"",""open"")"\n`,
    ],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0\n"],
    ['@SUM(1+1)', "'@SUM(1+1)\n"],
    ['+1+1', "'+1+1\n"],
    ['-2+3', "'-2+3\n"],
    ['\t=1+1', "'\t=1+1\n"],
    ['\r=1+1', `"'\r=1+1"\n`],
  ])('prefixes a cell that starts like a formula: %j', (value, csv) => {
    expect(toCsv([[value]])).toBe(csv);
  });

  it.each([['1.0.0'], ['Approved: looks good'], ['a=b'], ['café — ✓']])(
    'leaves other text as it is: %j',
    value => {
      expect(toCsv([[value]])).toBe(`${value}\n`);
    },
  );

  it('neutralises data rows and keeps the header words', () => {
    expect(toCsv([['=1+1', 'ok']], { header: true, columns: ['a', 'b'] })).toBe(
      "a,b\n'=1+1,ok\n",
    );
  });

  it('neutraliseFormula leaves a neutralised value as it is', () => {
    expect(neutraliseFormula(neutraliseFormula('=1'))).toBe("'=1");
  });
});
