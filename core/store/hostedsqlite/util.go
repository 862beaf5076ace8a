package hostedsqlite

import (
	"encoding/json"

	"github.com/gantry-dev/gantry/core/model"
)

func unmarshalJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func marshalJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func fileOf(path string, content []byte) model.SpecFile {
	return model.SpecFile{Path: path, Content: content}
}
