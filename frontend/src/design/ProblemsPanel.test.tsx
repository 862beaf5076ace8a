// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Diagnostic } from '../api';
import { PROBLEMS_SHOWN, ProblemsPanel } from './ProblemsPanel';

const many = (n: number): Diagnostic[] =>
  Array.from({ length: n }, (_, i) => ({
    severity: 'warning',
    source: 'lint',
    rule: 'operation-description',
    message: `problem ${i + 1}`,
    file: 'big.yaml',
    line: i + 1,
    column: 1,
    endLine: 0,
    endColumn: 0,
    pointer: '',
  }));

describe('the Problems panel', () => {
  it('renders the first problems of a long list and all of them on request', async () => {
    const user = userEvent.setup();
    render(<ProblemsPanel diagnostics={many(PROBLEMS_SHOWN + 50)} root="big.yaml" checking={false} checkError="" onJump={() => {}} />);
    const list = screen.getByRole('listbox', { name: 'Problems' });
    expect(within(list).getAllByRole('option')).toHaveLength(PROBLEMS_SHOWN);
    expect(screen.getByText(`${PROBLEMS_SHOWN + 50} warnings`)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: `Show all ${PROBLEMS_SHOWN + 50}` }));
    expect(within(list).getAllByRole('option')).toHaveLength(PROBLEMS_SHOWN + 50);
  });

  it('jumps to problems of the root document only', async () => {
    const user = userEvent.setup();
    const onJump = vi.fn();
    const [inRoot, elsewhere] = many(2) as [Diagnostic, Diagnostic];
    const other: Diagnostic = { ...elsewhere, file: 'schemas/pet.yaml', message: 'in the schema file' };
    render(<ProblemsPanel diagnostics={[inRoot, other]} root="big.yaml" checking={false} checkError="" onJump={onJump} />);
    const list = screen.getByRole('listbox', { name: 'Problems' });
    const schemaProblem = within(list).getByRole('option', { name: /in the schema file/ });
    expect(schemaProblem).toHaveTextContent('schemas/pet.yaml 2:1');
    await user.click(schemaProblem);
    expect(onJump).not.toHaveBeenCalled();
    await user.click(within(list).getByRole('option', { name: /problem 1/ }));
    expect(onJump).toHaveBeenCalledWith(inRoot);
  });
});
