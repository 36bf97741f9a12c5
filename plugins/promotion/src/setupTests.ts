import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The component tests render whole pages and dialogs with MUI. On a machine
// busy with the rest of the suite that takes seconds, not milliseconds: a
// `findBy…`/`waitFor` waits up to 20 s for what it expects (it returns as
// soon as it sees it), and a test may take a minute.
configure({ asyncUtilTimeout: 20_000 });
jest.setTimeout(60_000);
