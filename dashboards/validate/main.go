// Command validate checks Grafana dashboard JSON files against the dashboard schema, with grafana-foundation-sdk's
// strict decoding (unknown fields, wrong types and missing required fields fail) and its Validate constraints.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate DASHBOARD.json...")
		os.Exit(2)
	}
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, path := range os.Args[1:] {
		if err := check(path); err != nil {
			fmt.Printf("%s: invalid: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: valid\n", path)
	}
	if failed {
		os.Exit(1)
	}
}

func check(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	board := dashboard.Dashboard{}
	if err := board.UnmarshalJSONStrict(raw); failed(err) {
		return fmt.Errorf("strict decoding: %w (%T)", err, err)
	}
	if err := board.Validate(); failed(err) {
		return fmt.Errorf("constraints: %w", err)
	}
	return nil
}

// failed is false for nil and for an empty error list (some generated decoders return one instead of nil).
func failed(err error) bool {
	var list cog.BuildErrors
	if errors.As(err, &list) {
		return len(list) > 0
	}
	return err != nil
}
