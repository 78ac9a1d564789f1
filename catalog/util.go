package catalog

import "regexp"

var (
	legalEntityCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,9}$`)
	unitCode        = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,9}$`)
)
