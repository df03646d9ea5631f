// SPDX-License-Identifier: LGPL-2.1-or-later

// varlinkclient drives nsdd with the varlink project's own Go library, as an
// orchestrator written in Go would:
//
//	varlinkclient SOCKET PLAN.json
//
// It calls GetInfo, parses GetInterfaceDescription with the library's IDL
// parser, calls Info and List (the library sends "parameters": null for
// them), submits the plan and watches it with "more" to its last event. One
// line per fact, for the test script to check.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/varlink/go/varlink"
	"github.com/varlink/go/varlink/idl"
)

func die(what string, err error) {
	fmt.Printf("error %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: varlinkclient SOCKET PLAN.json")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := varlink.NewConnection(ctx, "unix:"+os.Args[1])
	if err != nil {
		die("connect", err)
	}
	defer c.Close()

	var vendor, product, version, url string
	var ifaces []string
	if err := c.GetInfo(ctx, &vendor, &product, &version, &url, &ifaces); err != nil {
		die("GetInfo", err)
	}
	fmt.Printf("product %s\ninterfaces %s\n", product, strings.Join(ifaces, " "))

	desc, err := c.GetInterfaceDescription(ctx, "io.nsdd.supervisor")
	if err != nil {
		die("GetInterfaceDescription", err)
	}
	parsed, err := idl.New(desc)
	if err != nil {
		die("idl.New", err)
	}
	var methods []string
	for _, m := range parsed.Methods {
		methods = append(methods, m.Name)
	}
	fmt.Printf("idl %s methods %s\n", parsed.Name, strings.Join(methods, " "))

	var info struct {
		Version  string   `json:"version"`
		Features []string `json:"features"`
	}
	if err := c.Call(ctx, "io.nsdd.supervisor.Info", nil, &info); err != nil {
		die("Info", err)
	}
	fmt.Printf("info %s\n", info.Version)
	var list struct {
		Plans []json.RawMessage `json:"plans"`
	}
	if err := c.Call(ctx, "io.nsdd.supervisor.List", nil, &list); err != nil {
		die("List", err)
	}
	fmt.Printf("list %d\n", len(list.Plans))

	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		die("read plan", err)
	}
	var plan map[string]interface{}
	if err := json.Unmarshal(raw, &plan); err != nil {
		die("parse plan", err)
	}
	var sub struct {
		ID    string `json:"id"`
		Steps int    `json:"steps"`
	}
	if err := c.Call(ctx, "io.nsdd.supervisor.Submit", map[string]interface{}{"plan": plan}, &sub); err != nil {
		die("Submit", err)
	}
	fmt.Printf("submitted %s %d\n", sub.ID, sub.Steps)

	receive, err := c.Send(ctx, "io.nsdd.supervisor.Watch", map[string]string{"id": sub.ID}, varlink.More)
	if err != nil {
		die("Watch", err)
	}
	for {
		var ev struct {
			Event struct {
				Kind string `json:"kind"`
				Want *int64 `json:"want"`
				Got  *int64 `json:"got"`
			} `json:"event"`
		}
		flags, err := receive(ctx, &ev)
		if err != nil {
			die("Watch reply", err)
		}
		fmt.Printf("event %s", ev.Event.Kind)
		if ev.Event.Want != nil && ev.Event.Got != nil {
			fmt.Printf(" %d %d", *ev.Event.Want, *ev.Event.Got)
		}
		fmt.Println()
		if flags&varlink.Continues == 0 {
			break
		}
	}
}
