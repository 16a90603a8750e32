// Package rightsdesk holds the OpenAPI document the API is generated from and validated against.
package rightsdesk

import _ "embed"

// OpenAPI is openapi.yaml, embedded so that the binary serves and enforces the document it was built from.
//
//go:embed openapi.yaml
var OpenAPI []byte
