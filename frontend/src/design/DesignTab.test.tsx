// @vitest-environment jsdom
import { diagnosticCount } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithFake } from '../test/render';

/** The CodeMirror view of the Design tab, found from its text box. */
function editorView(): EditorView {
  const el = screen.getByRole('textbox', { name: /^Spec of / });
  const view = EditorView.findFromDOM(el);
  if (!view) throw new Error('no editor');
  return view;
}

function type(text: string, at = 0) {
  act(() => {
    const v = editorView();
    v.dispatch({ changes: { from: at, insert: text }, selection: { anchor: at + text.length }, userEvent: 'input.type' });
  });
}

async function openPetstore() {
  const r = renderWithFake();
  const list = screen.getByRole('listbox', { name: 'APIs' });
  await r.user.click(await within(list).findByRole('option', { name: /petstore/ }));
  await screen.findByRole('textbox', { name: 'Spec of petstore' });
  return r;
}

const currentLine = () => {
  const v = editorView();
  return v.state.doc.lineAt(v.state.selection.main.head).number;
};

describe('the Design tab', () => {
  it('shows the spec with its outline and no problems', async () => {
    await openPetstore();
    expect(editorView().state.doc.toString()).toContain('title: Swagger Petstore');
    const ops = screen.getByRole('listbox', { name: 'Operations' });
    expect(within(ops).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'GET/petsList pets',
      'POST/petsAdd a pet',
      'GET/pets/{id}Find a pet',
      'DELETE/pets/{id}Delete a pet',
    ]);
    expect(await screen.findByText('No problems found.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('jumps to an operation from the outline', async () => {
    const { user } = await openPetstore();
    await user.click(within(screen.getByRole('listbox', { name: 'Operations' })).getByRole('option', { name: /DELETE/ }));
    expect(editorView().state.doc.line(currentLine()).text).toBe('    delete:');
  });

  it('checks after typing and lists problems that jump to their line', async () => {
    const { user } = await openPetstore();
    type('openapi: 3.0.3\n');
    expect(screen.getByLabelText('Unsaved changes')).toBeInTheDocument();
    const problems = await screen.findByRole('listbox', { name: 'Problems' });
    const item = within(problems).getByRole('option', { name: /mapping key "openapi" already defined at line 1/ });
    expect(within(item).getByRole('img', { name: 'Error' })).toBeInTheDocument();
    expect(item).toHaveTextContent('2:1');
    await waitFor(() => expect(diagnosticCount(editorView().state)).toBe(1));
    act(() => editorView().dispatch({ selection: { anchor: editorView().state.doc.length } }));
    await user.click(item);
    expect(currentLine()).toBe(2);
    // The status line under the editor says where the cursor is and names the problem there.
    const cursor = screen.getByRole('status', { name: 'Cursor' });
    expect(cursor).toHaveTextContent('Ln 2, Col 1');
    expect(cursor).toHaveTextContent('error: mapping key "openapi" already defined at line 1');
    // The keyboard works too: focus the list, Enter jumps.
    act(() => editorView().dispatch({ selection: { anchor: 0 } }));
    problems.focus();
    await user.keyboard('{Enter}');
    expect(currentLine()).toBe(2);
  });

  it('saves with Ctrl+S and says which revision it made', async () => {
    const { user } = await openPetstore();
    type('# a comment\n');
    await user.keyboard('{Control>}s{/Control}');
    expect(await screen.findByText('Saved as revision 2')).toBeInTheDocument();
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();
    const petstore = within(screen.getByRole('listbox', { name: 'APIs' })).getByRole('option', { name: /petstore/ });
    await waitFor(() => expect(petstore).toHaveTextContent('rev 2'));
  });

  it('keeps the text and explains when Go refuses to save', async () => {
    const { user } = await openPetstore();
    type('broken: [a, b\n');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Not saved.');
    expect(alert).toHaveTextContent("petstore.yaml:1:9: did not find expected ',' or ']'");
    expect(alert).toHaveTextContent('Your text is still here');
    expect(editorView().state.doc.line(1).text).toBe('broken: [a, b');
    await user.click(within(alert).getByRole('button', { name: 'Dismiss save error' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('edits the workspace lint rules, starting from a preset, and says why a ruleset is refused', async () => {
    const { backend, user } = await openPetstore();
    const check = vi.spyOn(backend.workspace, 'Check');
    await user.click(screen.getByRole('button', { name: 'Lint rules…' }));
    let dialog = await screen.findByRole('dialog', { name: 'Lint rules of this workspace' });
    const rules = within(dialog).getByRole('textbox', { name: 'Ruleset (YAML)' });
    await waitFor(() => expect(rules).toBeEnabled());
    await user.click(within(dialog).getByRole('button', { name: 'Recommended + OWASP Top 10' }));
    expect(rules).toHaveValue('extends:\n  - [spectral:oas, recommended]\n  - owasp\n');

    backend.fake.failNext('SaveLintRuleset', 'workspace ruleset:3:5: extends[1]: unknown ruleset "owasps"');
    await user.click(within(dialog).getByRole('button', { name: 'Save rules' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The ruleset cannot be used: workspace ruleset:3:5');

    const calls = check.mock.calls.length;
    await user.click(within(dialog).getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await backend.workspace.LintRuleset()).toContain('owasp');
    await waitFor(() => expect(check.mock.calls.length).toBeGreaterThan(calls)); // checked again with the new rules

    await user.click(screen.getByRole('button', { name: 'Lint rules…' }));
    dialog = await screen.findByRole('dialog', { name: 'Lint rules of this workspace' });
    await waitFor(() => expect(within(dialog).getByRole('textbox', { name: 'Ruleset (YAML)' })).toHaveValue('extends:\n  - [spectral:oas, recommended]\n  - owasp\n'));
    await user.click(within(dialog).getByRole('button', { name: 'Use the built-in rules' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await backend.workspace.LintRuleset()).toBe('');
  });

  it('takes a change on disk when nothing is unsaved', async () => {
    const { backend } = await openPetstore();
    act(() => backend.fake.changeOnDisk('petstore', 'openapi: 3.1.0\ninfo:\n  title: From disk\n  version: "2"\n'));
    await waitFor(() => expect(editorView().state.doc.line(3).text).toBe('  title: From disk'));
    expect(await screen.findByText('Reloaded from the linked file')).toBeInTheDocument();
  });

  it('says when a change on disk cannot be used', async () => {
    const { backend } = await openPetstore();
    act(() => backend.fake.changeOnDisk('petstore', 'openapi: [\n', 'petstore.yaml:1:10: did not find expected node content'));
    await waitFor(() => expect(editorView().state.doc.line(1).text).toBe('openapi: ['));
    expect(await screen.findByText(/Reloaded from the linked file, which cannot be used: petstore.yaml:1:10/)).toBeInTheDocument();
    expect(screen.getByText(/stays in use until the file is fixed/)).toBeInTheDocument();
  });

  it('asks before replacing unsaved edits with a change on disk', async () => {
    const { backend, user } = await openPetstore();
    type('# mine\n');
    act(() => backend.fake.changeOnDisk('petstore', 'openapi: 3.1.0\n'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The linked file changed on disk while you have unsaved edits.');
    expect(editorView().state.doc.line(1).text).toBe('# mine');
    await user.click(within(alert).getByRole('button', { name: 'Reload from disk' }));
    expect(editorView().state.doc.toString()).toBe('openapi: 3.1.0\n');
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();
  });

  it('asks before dropping unsaved edits when switching APIs', async () => {
    const { user } = await openPetstore();
    type('# mine\n');
    await user.click(within(screen.getByRole('listbox', { name: 'APIs' })).getByRole('option', { name: /billing/ }));
    const dialog = screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(editorView().state.doc.line(1).text).toBe('# mine');
    await user.click(within(screen.getByRole('listbox', { name: 'APIs' })).getByRole('option', { name: /billing/ }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Discard changes' }));
    await screen.findByRole('textbox', { name: 'Spec of billing' });
    expect(editorView().state.doc.toString()).toContain('"title": "Billing"');
  });

  it('renders the docs preview', async () => {
    await openPetstore();
    const docs = screen.getByRole('complementary', { name: 'Documentation preview' });
    expect(await within(docs).findByRole('heading', { level: 1, name: /Swagger Petstore/ })).toBeInTheDocument();
    expect(within(docs).getByRole('heading', { level: 2, name: 'DELETE /pets/{id}' })).toBeInTheDocument();
  });

  it('toggles the docs preview', async () => {
    const { user } = await openPetstore();
    const toggle = screen.getByRole('button', { name: 'Docs' });
    expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await user.click(toggle);
    expect(screen.queryByRole('complementary', { name: 'Documentation preview' })).toBeNull();
  });

  it('shows the mock URL of the API while the gateway runs', async () => {
    const { user } = await openPetstore();
    await user.click(screen.getByRole('button', { name: 'Start gateway' }));
    expect(await screen.findByLabelText('Mock base URL')).toHaveTextContent('http://127.0.0.1:4010/petstore');
  });

  it('keeps the app shortcuts inside the editor (Ctrl+Enter starts the gateway, not a new line)', async () => {
    const { user } = await openPetstore();
    const before = editorView().state.doc.toString();
    await user.click(screen.getByRole('textbox', { name: 'Spec of petstore' }));
    await user.keyboard('{Control>}{Enter}{/Control}');
    expect(await screen.findByText('Gateway running')).toBeInTheDocument();
    expect(editorView().state.doc.toString()).toBe(before);
  });

  it('links and unlinks the spec file', async () => {
    const { user } = await openPetstore();
    await user.click(screen.getByRole('button', { name: 'Unlink file' }));
    expect(await screen.findByRole('button', { name: 'Link file…' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Link file…' }));
    expect(await screen.findByText('petstore now follows ~/specs/petstore.yaml')).toBeInTheDocument();
  });

  it('adds an operation through the form as an undoable edit', async () => {
    const { user } = await openPetstore();
    await user.click(screen.getByRole('button', { name: 'Add operation' }));
    const dialog = screen.getByRole('dialog', { name: 'Add operation' });
    const path = within(dialog).getByRole('textbox', { name: 'Path' });
    expect(path).toHaveFocus();
    await user.clear(path);
    await user.type(path, '/owners');
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Method' }), 'POST');
    await user.type(within(dialog).getByRole('textbox', { name: 'Operation ID' }), 'addOwner');
    await user.type(within(dialog).getByRole('textbox', { name: 'Summary' }), 'Add an owner');
    await user.type(within(dialog).getByRole('textbox', { name: 'Tags' }), 'owners');
    await user.click(within(dialog).getByRole('button', { name: 'Add parameter' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Parameter 1 name' }), 'dryRun');
    await user.click(within(dialog).getByRole('checkbox', { name: 'Has a request body' }));
    await user.click(within(dialog).getByRole('textbox', { name: 'Body schema (JSON)' }));
    await user.paste('{"type": "object"}');
    await user.clear(within(dialog).getByRole('textbox', { name: 'Response 1 status' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Response 1 status' }), '201');
    await user.click(within(dialog).getByRole('button', { name: 'Add operation' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const text = editorView().state.doc.toString();
    expect(text).toContain('  /owners:\n    post:\n');
    expect(text).toContain('operationId: addOwner');
    expect(text).toContain('name: dryRun');
    expect(screen.getByLabelText('Unsaved changes')).toBeInTheDocument();
    const ops = screen.getByRole('listbox', { name: 'Operations' });
    expect(await within(ops).findByRole('option', { name: /POST\s*\/owners/ })).toBeInTheDocument();

    // One Undo takes the whole operation back.
    const { undo } = await import('@codemirror/commands');
    act(() => void undo(editorView()));
    expect(editorView().state.doc.toString()).not.toContain('/owners');
  });

  it('shows an error at the field it names and changes nothing', async () => {
    const { user } = await openPetstore();
    const before = editorView().state.doc.toString();
    await user.click(screen.getByRole('button', { name: 'Add operation' }));
    const dialog = screen.getByRole('dialog', { name: 'Add operation' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Path' }), 'owners');
    await user.click(within(dialog).getByRole('button', { name: 'Add parameter' }));
    await user.click(within(dialog).getByRole('button', { name: 'Add parameter' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Parameter 1 name' }), 'a');
    await user.type(within(dialog).getByRole('textbox', { name: 'Parameter 2 name' }), 'b');
    await user.type(within(dialog).getByRole('textbox', { name: 'Parameter 2 schema' }), 'not json');
    await user.click(within(dialog).getByRole('button', { name: 'Add operation' }));

    const schema = within(dialog).getByRole('textbox', { name: 'Parameter 2 schema' });
    await waitFor(() => expect(schema).toHaveAttribute('aria-invalid', 'true'));
    expect(schema).toHaveAccessibleDescription(/^not valid JSON/);
    expect(schema).toHaveFocus();
    expect(within(dialog).getByRole('textbox', { name: 'Path' })).not.toHaveAttribute('aria-invalid');
    expect(editorView().state.doc.toString()).toBe(before);
  });

  it('edits an operation and deletes one after asking', async () => {
    const { user } = await openPetstore();
    const ops = screen.getByRole('listbox', { name: 'Operations' });
    await user.click(within(ops).getByRole('option', { name: /Find a pet/ }));
    await user.click(screen.getByRole('button', { name: 'Edit GET /pets/{id}' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit GET /pets/{id}' });
    expect(within(dialog).getByRole('textbox', { name: 'Parameter 1 name' })).toHaveValue('id');
    const summary = within(dialog).getByRole('textbox', { name: 'Summary' });
    expect(summary).toHaveValue('Find a pet');
    await user.clear(summary);
    await user.type(summary, 'Fetch one pet');
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(editorView().state.doc.toString()).toContain('summary: Fetch one pet');

    await user.click(within(ops).getByRole('option', { name: /DELETE/ }));
    await user.click(screen.getByRole('button', { name: 'Delete DELETE /pets/{id}' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Delete DELETE /pets/{id}?' });
    await user.click(within(confirm).getByRole('button', { name: 'Delete operation' }));
    await waitFor(() => expect(within(ops).queryByRole('option', { name: /DELETE/ })).toBeNull());
    expect(editorView().state.doc.toString()).not.toContain('    delete:');
  });
});
