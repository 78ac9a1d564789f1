package policies_test

import (
	"slices"
	"time"

	portal "github.com/openportal/portal"
)

func portalCode(err error) string { return portal.ErrorCode(err) }

func slicesSortDurations(d []time.Duration) { slices.Sort(d) }
