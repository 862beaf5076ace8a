package hostedpg

import "encoding/json"

func unmarshalJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }
