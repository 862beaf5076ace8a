import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { App } from '../App';
import { createFakeBackend, type FakeBackend } from '../fake';
import type { FakeOptions } from '../api';
import { BackendProvider } from '../hooks/backend';
import { NotifyProvider } from '../hooks/notify';

/** Renders ui (the whole app by default) against a fresh fake backend. */
export function renderWithFake(ui: ReactElement = <App />, opts: FakeOptions = {}) {
  const backend: FakeBackend = createFakeBackend(opts);
  const user = userEvent.setup();
  const result = render(
    <BackendProvider backend={backend}>
      <NotifyProvider>{ui}</NotifyProvider>
    </BackendProvider>,
  );
  return { ...result, backend, user };
}
