package workspace

import (
	"errors"
	"path/filepath"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/suite"
)

// WorkspaceRequestsDir is the folder beside the workspace database that holds the saved
// requests of the APIs that are not linked to a spec file, one sub-folder per API.
const WorkspaceRequestsDir = "requests"

// RequestsFolder returns where the saved requests (suites) of api live.
//
// An API linked to a spec file keeps them as plain files in the "requests" folder beside
// that file, the layout `gantry test --suite` reads, so the CLI, the desktop and version
// control share them. An API that is not linked keeps them with the workspace: in
// requests/<api name>/ beside the workspace database at dbPath (still one YAML file per
// request, one sub-folder per suite), so they survive like the workspace does and can be
// copied next to a spec later.
func RequestsFolder(api *model.API, dbPath string) (suite.Folder, error) {
	if api.LinkedPath != "" {
		return suite.FolderBeside(api.LinkedPath), nil
	}
	if dbPath == "" {
		return suite.Folder{}, errors.New("the workspace has no folder on disk for saved requests: link the API to a spec file")
	}
	return suite.Folder{Dir: filepath.Join(filepath.Dir(dbPath), WorkspaceRequestsDir, api.Name)}, nil
}
