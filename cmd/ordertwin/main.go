package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ordertwin/ordertwin/scenarios"
)

func main() {
	sc, err := scenarios.Load(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	r, err := sc.Run(context.Background(), scenarios.Options{})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", "  ")
	e.Encode(r)
}
