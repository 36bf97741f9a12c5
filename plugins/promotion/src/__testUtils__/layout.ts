/**
 * Expects a text inside a list item to wrap onto more lines when it is long,
 * rather than being cut to one line: Backstage's theme sets dense list items'
 * text to `white-space: nowrap; overflow: hidden`, and jsdom applies the
 * theme's style sheets, so the computed style tells.
 */
export function expectTextToWrap(element: HTMLElement) {
  const chain: HTMLElement[] = [];
  for (
    let node: HTMLElement | null = element;
    node && node.tagName !== 'LI';
    node = node.parentElement
  ) {
    chain.push(node);
  }
  const cut = chain.filter(
    node => window.getComputedStyle(node).whiteSpace === 'nowrap',
  );
  expect(cut.map(node => node.className)).toEqual([]);
}
