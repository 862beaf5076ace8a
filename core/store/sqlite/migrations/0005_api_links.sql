-- An API may follow a spec file on disk: edits there become new revisions, and edits saved in
-- the desktop are written back. '' means not linked.
ALTER TABLE apis ADD COLUMN linked_path TEXT NOT NULL DEFAULT '';
