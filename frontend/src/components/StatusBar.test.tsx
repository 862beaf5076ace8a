// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { StatusBar } from './StatusBar';
import { renderWithFake } from '../test/render';

const stopped = { running: false, listen: '', baseURL: '', apis: [], revision: 0, error: '' };

describe('StatusBar serve scope', () => {
  it('offers every API or only the selected one', async () => {
    const onScope = vi.fn();
    const user = userEvent.setup();
    render(
      <StatusBar status={stopped} busy={false} error="" listen="127.0.0.1:4010" onListen={() => {}} selectedApi="petstore" scope="" onScope={onScope} onToggle={() => {}} onDismissError={() => {}} workspacePath="" />,
    );
    const serve = screen.getByRole('combobox', { name: 'Serve' });
    expect(screen.getByRole('option', { name: 'All APIs' })).toBeInTheDocument();
    await user.selectOptions(serve, 'Only petstore');
    expect(onScope).toHaveBeenCalledWith('petstore');
  });

  it('starts the gateway for the selected API alone', async () => {
    const r = renderWithFake();
    const start = vi.spyOn(r.backend.gateway, 'Start');
    await r.user.click(await screen.findByRole('option', { name: /^petstore/ }));
    await r.user.selectOptions(screen.getByRole('combobox', { name: 'Serve' }), 'Only petstore');
    await r.user.click(screen.getByRole('button', { name: 'Start gateway' }));
    expect(start).toHaveBeenCalledWith('127.0.0.1:4010', ['petstore']);
  });
});
