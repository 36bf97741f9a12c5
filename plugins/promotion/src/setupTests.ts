import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The component tests render whole pages and dialogs with MUI. On a machine
// busy with the rest of the suite that takes seconds, not milliseconds: a
// `findBy…`/`waitFor` waits up to 20 s for what it expects (it returns as
// soon as it sees it), and a test may take a minute.
configure({ asyncUtilTimeout: 20_000 });
jest.setTimeout(60_000);

// jsdom has no ResizeObserver; recharts' ResponsiveContainer observes its
// box with one. Nothing is ever resized in jsdom, so one that never reports
// is what the browser would do here.
if (!('ResizeObserver' in globalThis)) {
  Object.assign(globalThis, {
    ResizeObserver: class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  });
}
